"""The live pull from the review sites: each configured location of each site whose credentials are set.

Every answer is saved into inbox/reviews/ under the name the reader knows
(`<prefix>__<id>__<details|reviews>__<YYYY-MM-DD>.json`, the fetch date being the practice-local date of
the run) before anything reads it, so the night's normal landing takes it like a file staff dropped there:
raw copy kept, manifest, versions, and the same reader (`clinicops.sources.reviews`). The pull itself
never makes a row.

One site or location failing never stops the others: each failure is one line (site, location, what went
wrong, never a response body), returned in `PullResult.failures` for the run summary and ops.run_sources.
A failure that concerns the whole site (the key refused, the quota used up) skips that site's remaining
locations and says which. With no credentials set, nothing is called.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import httpx

from clinicops import __version__
from clinicops.config import REVIEW_SITES, Config
from clinicops.home import Home
from clinicops.sources.pull import business_profile, places, yelp
from clinicops.sources.pull.context import SitePull
from clinicops.sources.pull.credentials import has_credential, load_credential
from clinicops.sources.pull.http import HttpPolicy, PullError

log = logging.getLogger("clinicops")
PULLERS = {"yelp": yelp.pull_location, "google": places.pull_location,
           "google_business_profile": business_profile.pull_location}


@dataclass
class PullResult:
    site: str
    saved: list[str] = field(default_factory=list)  # file names written into inbox/reviews/
    failures: list[str] = field(default_factory=list)  # one line each, no PHI


def locations_to_pull(config: Config, site: str) -> list[tuple[str, str]]:
    """(location id, the site's id) in location order; Places skips locations with a Business Profile entry."""
    settings = config.review_sites.get(site)
    if settings is None:
        return []
    skipped: set[str] = set()
    if site == "google" and "google_business_profile" in config.review_sites:
        skipped = set(config.review_sites["google_business_profile"].locations)
    return [(loc, value) for loc, value in sorted(settings.locations.items()) if loc not in skipped]


def sites_to_pull(config: Config, env: Mapping[str, str] | None = None) -> list[str]:
    """The sites with at least one location to pull and a credential set (environment only: calls nothing)."""
    return [site for site in REVIEW_SITES if locations_to_pull(config, site) and has_credential(site, env)]


def fetch_date_of(config: Config, started_at: datetime) -> date:
    """The fetch date of a run's pull: the practice-local date the run started."""
    return started_at.astimezone(config.practice.zone).date()


def pull_site(home: Home, config: Config, site: str, started_at: datetime, *, env: Mapping[str, str] | None = None,
              policy: HttpPolicy | None = None) -> PullResult:
    """Pull every configured location of one site; failures are returned, never raised."""
    result = PullResult(site)
    todo = locations_to_pull(config, site)
    if not todo:
        return result
    try:
        policy = policy or HttpPolicy.from_env(env, timeout=config.review_sites[site].timeout_seconds)
        credential = load_credential(site, env)
    except PullError as e:
        result.failures.append(f"{e} (the {site} pull did not run)")
        return result
    for noisy in ("httpx", "httpcore"):  # their INFO lines carry URLs (a legacy Places key is a query parameter)
        logging.getLogger(noisy).setLevel(logging.WARNING)
    headers = {"User-Agent": f"clinicops/{__version__}"}
    with httpx.Client(timeout=policy.timeouts, headers=headers, follow_redirects=False) as client:
        pull = SitePull(home, config, site, fetch_date_of(config, started_at), policy, client, credential)
        for number, (location_id, site_id) in enumerate(todo):
            try:
                saved = PULLERS[site](pull, location_id, site_id)
            except PullError as e:
                rest = [loc for loc, _ in todo[number + 1:]] if e.site_wide else []
                result.failures.append(f"{e}" + (f" (not tried: {', '.join(rest)})" if rest else ""))
                log.warning("review pull: %s", result.failures[-1])
                if e.site_wide:
                    break
                continue
            except OSError as e:
                result.failures.append(f"{site} {location_id}: the answer could not be saved into inbox/reviews "
                                       f"({type(e).__name__}: {e.strerror or 'error'})")
                log.warning("review pull: %s", result.failures[-1])
                continue
            except Exception as e:  # noqa: BLE001 - one location never fails the others; the text may hold a URL
                result.failures.append(f"{site} {location_id}: the pull failed ({type(e).__name__})")
                log.warning("review pull: %s", result.failures[-1])
                continue
            result.saved += saved
            log.info("review pull %s %s: saved %s", site, location_id, ", ".join(saved))
    return result
