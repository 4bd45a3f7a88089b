"""Yelp Fusion: business details and business reviews of each configured business id or alias.

`GET {api_base}/v3/businesses/{id}` and `GET {api_base}/v3/businesses/{id}/reviews`, with the API key as a
Bearer token (api_base default `https://api.yelp.com`). Saved as `yelp__<id>__details__<date>.json` and
`yelp__<id>__reviews__<date>.json`. A business whose details fail is not asked for its reviews.
"""

from __future__ import annotations

from urllib.parse import quote

from clinicops.sources.pull.context import SitePull, json_object
from clinicops.sources.pull.http import get
from clinicops.sources.pull.saving import check_id

DEFAULT_BASE = "https://api.yelp.com"


def pull_location(pull: SitePull, location_id: str, business: str) -> list[str]:
    check_id(pull.call(location_id, business).label, business)
    headers = {"Authorization": f"Bearer {pull.credential}", "Accept": "application/json"}
    url = f"{pull.base(DEFAULT_BASE)}/v3/businesses/{quote(business, safe='')}"
    saved = []
    for kind, address in (("details", url), ("reviews", f"{url}/reviews")):
        call = pull.call(location_id, business, kind)
        response = get(pull.client, address, call, pull.policy, headers=headers)
        saved.append(pull.save("yelp", business, kind, response.content, json_object(call)))
    return saved
