"""What the pull of one site shares: the home, the fetch date, the HTTP client and policy, the credential."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import httpx

from clinicops.config import Config, ReviewSite
from clinicops.home import Home
from clinicops.sources.pull.credentials import CREDENTIALS
from clinicops.sources.pull.http import Call, HttpPolicy, PullError, error_codes, is_quota, quota_error
from clinicops.sources.pull.saving import check_id, response_name, save_response

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
ID_WORD = {"yelp": "business", "google": "place", "google_business_profile": "location"}


@dataclass(frozen=True)
class SitePull:
    home: Home
    config: Config
    site: str
    fetch_date: date
    policy: HttpPolicy
    client: httpx.Client
    credential: str  # never logged, never a task parameter

    @property
    def settings(self) -> ReviewSite:
        return self.config.review_sites[self.site]

    def base(self, default: str) -> str:
        """The site's API base URL: `api_base` of its [review_sites.<site>] table, else the vendor's. Plain
        http only to this machine (a test's fake server): elsewhere the key would travel in clear."""
        base = (self.settings.api_base or default).rstrip("/")
        parts = urlsplit(base)
        if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
            raise PullError(f"{self.site}: api_base {base!r} is plain http (allowed only for 127.0.0.1 and localhost: "
                            "the key would travel in clear); use https", site_wide=True)
        return base

    def call(self, location_id: str, site_id: str, what: str = "") -> Call:
        label = f"{self.site} {location_id} ({ID_WORD[self.site]} {site_id}{', ' + what if what else ''})"
        return Call(label, CREDENTIALS[self.site].described)

    def save(self, prefix: str, site_id: str, kind: str, content: bytes,
             check: Callable[[bytes], object]) -> str:
        """Save one answer into inbox/reviews/ under the reader's name; the name."""
        name = response_name(prefix, check_id(f"{self.site} {site_id}", site_id), kind, self.fetch_date)
        save_response(self.home, name, content, check)
        return name


def json_object(call: Call) -> Callable[[bytes], dict]:
    """A check for a 2xx answer: a JSON object that is not an API error body."""

    def check(content: bytes) -> dict:
        try:
            body = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise PullError(f"{call.label}: the site's answer is not JSON; it is pulled again next run") from None
        if not isinstance(body, dict):
            raise PullError(f"{call.label}: the site's answer is not a JSON object; it is pulled again next run")
        if body.get("error"):
            codes = error_codes(content)
            code = codes[0] if codes else None
            if any(is_quota(c) for c in codes):
                raise quota_error(call, None, code)
            raise PullError(f"{call.label}: the site answered with an error{' ' + code if code else ''}")
        return body

    return check
