"""Google Places details of each configured place id: Places API (New) by default, or the legacy API.

`[review_sites.google] api = "places_new"` (default): `GET {api_base}/v1/places/{id}` with the key in
`X-Goog-Api-Key` and `X-Goog-FieldMask: id,rating,userRatingCount,reviews` (api_base default
`https://places.googleapis.com`). `api = "legacy"`: `GET {api_base}/maps/api/place/details/json` with
`place_id`, `fields=place_id,rating,user_ratings_total,reviews`, `reviews_sort=newest` and `key` (api_base
default `https://maps.googleapis.com`); the legacy API answers errors with HTTP 200 and a `status`.
Either is saved as `google__<place id>__details__<date>.json`. A location that also has a Business Profile
entry is not asked: its Places data would not be used (the Business Profile wins).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from clinicops.sources.pull.context import SitePull, json_object
from clinicops.sources.pull.http import Call, PullError, get, quota_error
from clinicops.sources.pull.saving import check_id

NEW_BASE = "https://places.googleapis.com"
LEGACY_BASE = "https://maps.googleapis.com"
NEW_FIELDS = "id,rating,userRatingCount,reviews"
LEGACY_FIELDS = "place_id,rating,user_ratings_total,reviews"
LEGACY_DATA = ("OK", "ZERO_RESULTS")


def pull_location(pull: SitePull, location_id: str, place: str) -> list[str]:
    call = pull.call(location_id, place)
    check_id(call.label, place)
    if pull.settings.api == "legacy":
        response = get(pull.client, f"{pull.base(LEGACY_BASE)}/maps/api/place/details/json", call, pull.policy,
                       params={"place_id": place, "fields": LEGACY_FIELDS, "reviews_sort": "newest",
                               "key": pull.credential})
        check: Callable[[bytes], object] = legacy_check(call)
    else:
        response = get(pull.client, f"{pull.base(NEW_BASE)}/v1/places/{quote(place, safe='')}", call, pull.policy,
                       headers={"X-Goog-Api-Key": pull.credential, "X-Goog-FieldMask": NEW_FIELDS})
        check = json_object(call)
    return [pull.save("google", place, "details", response.content, check)]


def legacy_check(call: Call) -> Callable[[bytes], dict]:
    """A legacy answer is data only with status OK or ZERO_RESULTS; the others are errors in an HTTP 200."""
    as_object = json_object(call)

    def check(content: bytes) -> dict:
        body = as_object(content)
        status = body.get("status")
        if status is None or status in LEGACY_DATA:
            return body
        code = status if isinstance(status, str) and status.isupper() and len(status) < 40 else "an unknown status"
        if code in ("OVER_QUERY_LIMIT", "OVER_DAILY_LIMIT"):
            raise quota_error(call, None, code)
        if code == "REQUEST_DENIED":
            raise PullError(f"{call.label}: the {call.credential} was refused (REQUEST_DENIED: not valid, or the "
                            "Places API is not enabled for it); set a valid one", site_wide=True)
        if code in ("INVALID_REQUEST", "NOT_FOUND"):
            raise PullError(f"{call.label}: Google does not know this place id ({code}); "
                            "check clinicops.toml [review_sites.google]")
        raise PullError(f"{call.label}: the site answered {code}; it is pulled again next run")

    return check
