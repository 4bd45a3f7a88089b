"""Google Business Profile: every review of each configured location of the practice's own account.

`GET {api_base}/v4/accounts/{A}/locations/{L}/reviews?pageSize=50[&pageToken=...]` with the OAuth access
token as a Bearer token (api_base default `https://mybusiness.googleapis.com`), following `nextPageToken`
until a page has none. All pages of one location and day are saved as ONE file,
`google_business_profile__<L>__reviews__<date>.json`, in the documented ListReviewsResponse shape: the
`reviews` of every page in order, the first page's `averageRating` and `totalReviewCount`, and no
`nextPageToken` (which is how the reader knows the file lists every review: only such a file can show
that a review was removed). When the list fits on one page the file is the server's bytes unchanged.
Each page is staged on disk as it came before it is read, and removed once the day's file is saved.

The location is configured as `L`, `locations/L` or `accounts/A/locations/L`; `account = "accounts/A"` in
[review_sites.google_business_profile] supplies A when the entry does not.
"""

from __future__ import annotations

import json
import re

from clinicops.sources.pull.context import SitePull, json_object
from clinicops.sources.pull.http import Call, PullError, get
from clinicops.sources.pull.saving import check_id, response_name, stage_response

DEFAULT_BASE = "https://mybusiness.googleapis.com"
PAGE_SIZE = 50  # the API's maximum
MAX_PAGES = 400  # 20 000 reviews: a location with more is a loop, not a practice
_FULL = re.compile(r"^accounts/([^/]+)/locations/([^/]+)$")
_ACCOUNT = re.compile(r"^(?:accounts/)?([^/]+)$")


def location_parent(pull: SitePull, location_id: str, configured: str) -> tuple[str, str]:
    """(`accounts/A/locations/L`, L) for a configured entry, or PullError naming what is missing."""
    value = configured.strip().strip("/")
    full = _FULL.match(value)
    if full:
        return value, full.group(2)
    number = value.rsplit("/", 1)[-1]
    account = (pull.settings.account or "").strip().strip("/")
    matched = _ACCOUNT.match(account)
    if not matched:
        raise PullError(f"{pull.site} {location_id}: no Business Profile account: set account = \"accounts/A\" "
                        "in clinicops.toml [review_sites.google_business_profile] (or configure the location as "
                        "accounts/A/locations/L)")
    return f"accounts/{matched.group(1)}/locations/{number}", number


def pull_location(pull: SitePull, location_id: str, configured: str) -> list[str]:
    parent, number = location_parent(pull, location_id, configured)
    name = response_name("google_business_profile", check_id(f"{pull.site} {location_id}", number), "reviews",
                         pull.fetch_date)
    url = f"{pull.base(DEFAULT_BASE)}/v4/{parent}/reviews"
    headers = {"Authorization": f"Bearer {pull.credential}", "Accept": "application/json"}
    pages: list[dict] = []
    first_content = b""
    token: str | None = None
    tokens: set[str] = set()
    while True:
        if len(pages) >= MAX_PAGES:
            raise PullError(f"{pull.call(location_id, number).label}: more than {MAX_PAGES} pages of reviews; "
                            "the pull stopped")
        call = pull.call(location_id, number, f"page {len(pages) + 1}")
        params: dict[str, str | int] = {"pageSize": PAGE_SIZE}
        if token:
            params["pageToken"] = token
        response = get(pull.client, url, call, pull.policy, params=params, headers=headers)
        staged = stage_response(pull.home, name, response.content, part=f"page-{len(pages) + 1}")
        try:
            page = _page(call, staged.read_bytes())
        finally:
            staged.unlink(missing_ok=True)
        pages.append(page)
        if len(pages) == 1:
            first_content = response.content
        token = page.get("nextPageToken") or None
        if not token:
            break
        if not isinstance(token, str) or token in tokens:
            raise PullError(f"{call.label}: the site gave a page token it had given before; the pull stopped")
        tokens.add(token)
    content = first_content if len(pages) == 1 else _combined(pages)
    pull.save("google_business_profile", number, "reviews", content, lambda saved: _page(pull.call(
        location_id, number), saved))
    return [name]


def _page(call: Call, content: bytes) -> dict:
    page = json_object(call)(content)
    if not isinstance(page.get("reviews", []), list):
        raise PullError(f"{call.label}: the page's 'reviews' is not a list; it is pulled again next run")
    return page


def _combined(pages: list[dict]) -> bytes:
    """Every page's reviews in one ListReviewsResponse: the first page's summary, no nextPageToken."""
    summary = {k: v for k, v in pages[0].items() if k not in ("reviews", "nextPageToken")}
    reviews = [review for page in pages for review in page.get("reviews", [])]
    return json.dumps({"reviews": reviews, **summary}, ensure_ascii=False).encode("utf-8")
