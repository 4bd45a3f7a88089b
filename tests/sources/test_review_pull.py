"""The live review pull against a real HTTP server on 127.0.0.1 that answers with the vendors' documented JSON.

Each test runs `pull_site` (the plain function behind the flow's pull task) with a real httpx client, then
checks what reached inbox/reviews/: the names the reader knows, the exact bytes the server sent, and that
the review reader reads them unchanged.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from clinicops.config import Config, parse_config
from clinicops.home import Home
from clinicops.sources.common import ReadContext
from clinicops.sources.pull import fetch_date_of, pull_site, sites_to_pull
from clinicops.sources.pull.http import HttpPolicy, PullError, retry_after_seconds
from clinicops.sources.reviews import read_reviews
from tests.fake_sites import (
    FakeSites,
    Reply,
    fake_sites,
    gbp_page,
    gbp_review,
    google_error,
    places_legacy,
    places_new,
    yelp_details,
    yelp_error,
    yelp_reviews,
)

STARTED = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # 22:30 on 24 November in New York: the fetch date
DAY = "2026-11-24"
YELP = {"COL": "midlands-psychiatry-columbia", "GRN": "midlands__psych-greenville"}
PLACES = {"COL": "ChIJcolumbia", "AUG": "ChIJaugusta", "GRN": "ChIJgreenville"}
ACCOUNT = "accounts/1122334455"
GBP_NUMBER = "4567890123456789"
GBP_PATH = f"/v4/{ACCOUNT}/locations/{GBP_NUMBER}/reviews"
ENV = {"CLINICOPS_YELP_API_KEY": "yelp-key-123", "CLINICOPS_GOOGLE_API_KEY": "google-key-456",
       "CLINICOPS_GOOGLE_BUSINESS_PROFILE_TOKEN": "ya29.oauth-token-789"}


class Sleeps(list):
    """The waits the policy asked for (really slept, but briefly, so the suite stays fast)."""

    def __call__(self, seconds: float) -> None:
        import time

        self.append(seconds)
        time.sleep(min(seconds, 0.01))


@pytest.fixture
def sites() -> Iterator[FakeSites]:
    with fake_sites() as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def policy(sleeps: Sleeps) -> HttpPolicy:
    return HttpPolicy(timeout=0.3, attempts=3, backoff=0.5, backoff_cap=5.0, sleep=sleeps)


def make_config(url: str, *, api: str | None = None, gbp: dict | None = None) -> Config:
    google: dict = {"api_base": url, **PLACES}
    if api:
        google["api"] = api
    return parse_config({
        "practice": {"name": "Midlands Psychiatry & Ketamine Clinic", "timezone": "America/New_York"},
        "locations": [{"id": "AUG", "name": "Augusta"}, {"id": "COL", "name": "Columbia"},
                      {"id": "GRN", "name": "Greenville"}],
        "review_sites": {
            "yelp": {"api_base": url, **YELP},
            "google": google,
            "google_business_profile": gbp if gbp is not None else {"api_base": url, "account": ACCOUNT,
                                                                     "GRN": GBP_NUMBER},
        },
    })


def saved(home: Home) -> dict[str, bytes]:
    """Every file of inbox/reviews/, hidden ones included (none may be left behind)."""
    return {p.name: p.read_bytes() for p in sorted(home.inbox("reviews").iterdir())}


def read_back(home: Home, config: Config, name: str) -> dict[str, list[dict]]:
    """The saved file through the ordinary review reader: table -> rows."""
    ctx = ReadContext(config=config, source="reviews", file_name=name, sha256="0" * 64, file_seq=1,
                      ingested_at=datetime(2026, 11, 25, 4, 0, tzinfo=UTC))
    tables: dict[str, list[dict]] = {}
    for batch in read_reviews(home.inbox_file("reviews", name), ctx):
        tables.setdefault(batch.table, []).extend(batch.data.to_pylist())
    return tables


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.make_dirs()
    return home


# ---- success, per site and variant ---------------------------------------------------------------------------


def test_fetch_date_is_the_practice_local_date_of_the_run(sites: FakeSites) -> None:
    assert fetch_date_of(make_config(sites.url), STARTED) == date(2026, 11, 24)


def test_yelp_details_and_reviews_are_saved_as_sent_and_read_unchanged(sites: FakeSites, home: Home,
                                                                        policy: HttpPolicy) -> None:
    for business in YELP.values():
        sites.add(f"/v3/businesses/{business}", Reply(body=yelp_details(business)))
        sites.add(f"/v3/businesses/{business}/reviews", Reply(body=yelp_reviews()))
    config = make_config(sites.url)
    result = pull_site(home, config, "yelp", STARTED, env=ENV, policy=policy)
    assert result.failures == []
    names = [f"yelp__{YELP['COL']}__details__{DAY}.json", f"yelp__{YELP['COL']}__reviews__{DAY}.json",
             f"yelp__{YELP['GRN']}__details__{DAY}.json", f"yelp__{YELP['GRN']}__reviews__{DAY}.json"]
    assert result.saved == names
    files = saved(home)
    assert sorted(files) == sorted(names)  # no temporary file left behind
    assert {stat.S_IMODE(home.inbox_file("reviews", n).stat().st_mode) for n in names} == {0o600}  # owner-only
    for business in YELP.values():
        assert files[f"yelp__{business}__details__{DAY}.json"] == sites.sent[f"/v3/businesses/{business}"][0]
        assert files[f"yelp__{business}__reviews__{DAY}.json"] == sites.sent[f"/v3/businesses/{business}/reviews"][0]
    assert {r.headers["authorization"] for r in sites.requests} == {"Bearer yelp-key-123"}
    reviews = read_back(home, config, names[1])["reviews"]
    assert [(r["review_id"], r["rating"], r["location_id"]) for r in reviews] == [
        ("xAG4O7l-t1ubbwVAlPnDKg", 5, "COL"), ("rAd9-kB1sQ", 4, "COL")]
    [snapshot] = read_back(home, config, names[2])["review_snapshots"]
    assert (snapshot["location_id"], snapshot["reported_rating"], snapshot["reported_review_count"]) == (
        "GRN", 4.5, 31)


def test_places_new_sends_the_key_and_field_mask_and_skips_business_profile_locations(
        sites: FakeSites, home: Home, policy: HttpPolicy) -> None:
    for place in PLACES.values():
        sites.add(f"/v1/places/{place}", Reply(body=places_new(place)))
    config = make_config(sites.url)
    result = pull_site(home, config, "google", STARTED, env=ENV, policy=policy)
    assert result.failures == []
    # GRN has a Business Profile entry: its Places data would not be used, so it is not asked for
    assert result.saved == [f"google__{PLACES['AUG']}__details__{DAY}.json",
                            f"google__{PLACES['COL']}__details__{DAY}.json"]
    assert [r.path for r in sites.requests] == [f"/v1/places/{PLACES['AUG']}", f"/v1/places/{PLACES['COL']}"]
    for request in sites.requests:
        assert request.headers["x-goog-api-key"] == "google-key-456"
        assert request.headers["x-goog-fieldmask"] == "id,rating,userRatingCount,reviews"
        assert request.query == {}  # the key travels in a header, never in the URL
    name = result.saved[1]
    assert saved(home)[name] == sites.sent[f"/v1/places/{PLACES['COL']}"][0]
    tables = read_back(home, config, name)
    assert [(s["origin"], s["reported_review_count"]) for s in tables["review_snapshots"]] == [
        ("google_places_new", 212)]
    assert [r["review_id"] for r in tables["reviews"]] == ["ChZDSUhNMG9nS0VJQ0FnSUNrMEpXYXBnEAE"]


def test_places_legacy_is_a_setting_of_the_site(sites: FakeSites, home: Home, policy: HttpPolicy) -> None:
    sites.add("/maps/api/place/details/json", Reply(body=places_legacy(PLACES["COL"])))
    config = make_config(sites.url, api="legacy")
    result = pull_site(home, config, "google", STARTED, env=ENV, policy=policy)
    assert result.failures == []
    assert [r.query for r in sites.requests] == [
        {"place_id": p, "fields": "place_id,rating,user_ratings_total,reviews", "reviews_sort": "newest",
         "key": "google-key-456"} for p in (PLACES["AUG"], PLACES["COL"])]
    name = f"google__{PLACES['COL']}__details__{DAY}.json"
    assert saved(home)[name] == sites.sent["/maps/api/place/details/json"][0]
    tables = read_back(home, config, name)
    assert [s["origin"] for s in tables["review_snapshots"]] == ["google_places"]
    assert tables["reviews"][0]["review_id"].startswith("legacy-")


def test_places_api_setting_is_validated() -> None:
    with pytest.raises(ValueError, match=r"review_sites\.google\.api"):
        make_config("http://127.0.0.1:1", api="newest")


def gbp_parent() -> str:
    return f"{ACCOUNT}/locations/{GBP_NUMBER}"


def test_business_profile_pages_are_followed_and_saved_as_one_complete_list(
        sites: FakeSites, home: Home, policy: HttpPolicy) -> None:
    p = gbp_parent()
    pages = [
        gbp_page([gbp_review(p, "R1", "FIVE", "2026-11-20T10:00:00Z"),
                  gbp_review(p, "R2", "FOUR", "2026-11-18T10:00:00Z")], next_token="tok-2"),
        gbp_page([gbp_review(p, "R3", "TWO", "2026-11-10T10:00:00Z", "2026-11-21T08:00:00.123456789Z"),
                  gbp_review(p, "R4", "FIVE", "2026-11-05T10:00:00Z")], next_token="tok-3"),
        gbp_page([gbp_review(p, "R5", "ONE", "2026-10-30T10:00:00Z")]),
    ]
    sites.add(GBP_PATH, Reply(body=pages[0]))
    sites.add(f"{GBP_PATH}#page=tok-2", Reply(body=pages[1]))
    sites.add(f"{GBP_PATH}#page=tok-3", Reply(body=pages[2]))
    config = make_config(sites.url)
    result = pull_site(home, config, "google_business_profile", STARTED, env=ENV, policy=policy)
    assert result.failures == []
    name = f"google_business_profile__{GBP_NUMBER}__reviews__{DAY}.json"
    assert result.saved == [name] and list(saved(home)) == [name]
    assert [r.query for r in sites.requests] == [{"pageSize": "50"}, {"pageSize": "50", "pageToken": "tok-2"},
                                                 {"pageSize": "50", "pageToken": "tok-3"}]
    assert {r.headers["authorization"] for r in sites.requests} == {"Bearer ya29.oauth-token-789"}
    body = json.loads(saved(home)[name])
    sent = [json.loads(b) for route in (GBP_PATH, f"{GBP_PATH}#page=tok-2", f"{GBP_PATH}#page=tok-3")
            for b in sites.sent[route]]
    assert body == {"reviews": [r for page in sent for r in page["reviews"]], "averageRating": 4.7,
                    "totalReviewCount": 5}  # every page's reviews, as sent, in order; no nextPageToken
    tables = read_back(home, config, name)
    assert [r["review_id"] for r in tables["reviews"]] == ["R1", "R2", "R3", "R4", "R5"]
    [snapshot] = tables["review_snapshots"]
    assert (snapshot["is_complete_list"], snapshot["reported_review_count"], snapshot["location_id"]) == (
        True, 5, "GRN")


def test_business_profile_single_page_is_the_servers_bytes(sites: FakeSites, home: Home, policy: HttpPolicy) -> None:
    sites.add(GBP_PATH, Reply(body=gbp_page([gbp_review(gbp_parent(), "R1", "FIVE", "2026-11-20T10:00:00Z")])))
    gbp = {"api_base": sites.url, "GRN": f"{ACCOUNT}/locations/{GBP_NUMBER}"}  # full name: no account key needed
    result = pull_site(home, make_config(sites.url, gbp=gbp), "google_business_profile", STARTED, env=ENV,
                       policy=policy)
    assert result.failures == []
    assert saved(home) == {f"google_business_profile__{GBP_NUMBER}__reviews__{DAY}.json": sites.sent[GBP_PATH][0]}


def test_business_profile_without_an_account_says_which_key_is_missing(sites: FakeSites, home: Home,
                                                                       policy: HttpPolicy) -> None:
    gbp = {"api_base": sites.url, "GRN": GBP_NUMBER}
    result = pull_site(home, make_config(sites.url, gbp=gbp), "google_business_profile", STARTED, env=ENV,
                       policy=policy)
    assert result.failures == [
        'google_business_profile GRN: no Business Profile account: set account = "accounts/A" in clinicops.toml '
        "[review_sites.google_business_profile] (or configure the location as accounts/A/locations/L)"]
    assert sites.requests == [] and saved(home) == {}


# ---- retries -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_retried_with_back_off(sites: FakeSites, home: Home, policy: HttpPolicy, sleeps: Sleeps,
                                               status: int) -> None:
    business = YELP["COL"]
    sites.add(f"/v3/businesses/{business}", Reply(status, yelp_error("TOO_MANY_REQUESTS_PER_SECOND")
                                                  if status == 429 else b"upstream error"),
              Reply(body=yelp_details(business)))
    sites.add(f"/v3/businesses/{business}/reviews", Reply(body=yelp_reviews()))
    config = make_config(sites.url)
    config.review_sites["yelp"].locations.pop("GRN")
    result = pull_site(home, config, "yelp", STARTED, env=ENV, policy=policy)
    assert result.failures == []
    assert len(sites.hits(f"/v3/businesses/{business}")) == 2
    [wait] = sleeps
    assert 0.25 <= wait <= 0.5  # the first back-off (0.5 s) with jitter: between half and all of it
    name = f"yelp__{business}__details__{DAY}.json"
    assert saved(home)[name] == sites.sent[f"/v3/businesses/{business}"][-1]  # the successful answer's bytes


def test_retry_after_is_honoured(sites: FakeSites, home: Home, policy: HttpPolicy, sleeps: Sleeps) -> None:
    place = PLACES["AUG"]
    sites.add(f"/v1/places/{place}", Reply(429, google_error(429, "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED"),
                                           {"Retry-After": "3"}),
              Reply(503, b"", {"Retry-After": "1"}), Reply(body=places_new(place)))
    config = make_config(sites.url)
    config.review_sites["google"].locations.pop("COL")
    result = pull_site(home, config, "google", STARTED, env=ENV, policy=policy)
    assert result.failures == [] and result.saved == [f"google__{place}__details__{DAY}.json"]
    assert list(sleeps) == [3.0, 1.0]


def test_a_retry_after_longer_than_the_cap_stops_at_once(sites: FakeSites, home: Home, policy: HttpPolicy,
                                                         sleeps: Sleeps) -> None:
    sites.add(f"/v3/businesses/{YELP['COL']}", Reply(429, yelp_error("TOO_MANY_REQUESTS_PER_SECOND"),
                                                     {"Retry-After": "3600"}))
    result = pull_site(home, make_config(sites.url), "yelp", STARTED, env=ENV, policy=policy)
    assert result.failures == [
        f"yelp COL (business {YELP['COL']}, details): HTTP 429 TOO_MANY_REQUESTS_PER_SECOND, and the site asks to "
        "wait 3600 s (more than the 5 s cap); it is pulled again next run (not tried: GRN)"]
    assert list(sleeps) == [] and len(sites.requests) == 1


def test_5xx_every_time_fails_the_location_after_the_last_try(sites: FakeSites, home: Home, policy: HttpPolicy,
                                                              sleeps: Sleeps) -> None:
    sites.add(f"/v3/businesses/{YELP['COL']}", Reply(502, b"<html>Bad Gateway</html>"))
    for kind in ("", "/reviews"):
        sites.add(f"/v3/businesses/{YELP['GRN']}{kind}",
                  Reply(body=yelp_details(YELP["GRN"]) if not kind else yelp_reviews()))
    result = pull_site(home, make_config(sites.url), "yelp", STARTED, env=ENV, policy=policy)
    assert result.failures == [f"yelp COL (business {YELP['COL']}, details): the site answered HTTP 502 3 times; "
                               "it is pulled again next run"]
    assert len(sleeps) == 2 and sleeps[1] >= 0.5  # 0.5 s, then 1 s (with jitter): exponential
    assert len(sites.hits(f"/v3/businesses/{YELP['COL']}/reviews")) == 0  # no details: reviews not asked
    assert sorted(saved(home)) == [f"yelp__{YELP['GRN']}__details__{DAY}.json",
                                   f"yelp__{YELP['GRN']}__reviews__{DAY}.json"]  # the other location goes on


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 25, 7, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Wed, 25 Nov 2026 07:00:30 GMT", now) == 30.0
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


# ---- errors that are not retried ------------------------------------------------------------------------------


def test_401_is_one_clear_line_and_stops_the_site(sites: FakeSites, home: Home, policy: HttpPolicy,
                                                  sleeps: Sleeps) -> None:
    sites.add(f"/v3/businesses/{YELP['COL']}", Reply(401, yelp_error(
        "TOKEN_INVALID", "Invalid access token or authorization header.")))
    result = pull_site(home, make_config(sites.url), "yelp", STARTED, env=ENV, policy=policy)
    assert result.failures == [
        f"yelp COL (business {YELP['COL']}, details): the Yelp API key (CLINICOPS_YELP_API_KEY) was refused "
        "(HTTP 401 TOKEN_INVALID); set a valid one (not tried: GRN)"]
    assert len(sites.requests) == 1 and list(sleeps) == [] and saved(home) == {}


def test_403_fails_that_location_only(sites: FakeSites, home: Home, policy: HttpPolicy) -> None:
    sites.add(f"/v1/places/{PLACES['AUG']}", Reply(403, google_error(
        403, "PERMISSION_DENIED", "SERVICE_DISABLED", "Places API (New) has not been used in project 1 before")))
    sites.add(f"/v1/places/{PLACES['COL']}", Reply(body=places_new(PLACES["COL"])))
    result = pull_site(home, make_config(sites.url), "google", STARTED, env=ENV, policy=policy)
    assert result.failures == [
        f"google AUG (place {PLACES['AUG']}): access denied (HTTP 403 PERMISSION_DENIED): the Google API key "
        "(CLINICOPS_GOOGLE_API_KEY) is not allowed to read this (API not enabled, or no access to this id)"]
    assert result.saved == [f"google__{PLACES['COL']}__details__{DAY}.json"]


def test_an_invalid_google_key_is_named_as_such(sites: FakeSites, home: Home, policy: HttpPolicy) -> None:
    sites.add(f"/v1/places/{PLACES['AUG']}", Reply(400, google_error(
        400, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid. Please pass a valid API key.")))
    result = pull_site(home, make_config(sites.url), "google", STARTED, env=ENV, policy=policy)
    [failure] = result.failures
    assert "Google API key (CLINICOPS_GOOGLE_API_KEY) was refused (HTTP 400 API_KEY_INVALID)" in failure
    assert failure.endswith("(not tried: COL)") and "not valid. Please" not in failure  # never the vendor's text


def test_yelp_daily_quota_is_not_retried(sites: FakeSites, home: Home, policy: HttpPolicy, sleeps: Sleeps) -> None:
    sites.add(f"/v3/businesses/{YELP['COL']}", Reply(429, yelp_error(
        "ACCESS_LIMIT_REACHED", "You've reached the access limit for this client.")))
    result = pull_site(home, make_config(sites.url), "yelp", STARTED, env=ENV, policy=policy)
    assert result.failures == [f"yelp COL (business {YELP['COL']}, details): the site's quota is used up "
                               "(HTTP 429 ACCESS_LIMIT_REACHED); it is pulled again next run (not tried: GRN)"]
    assert len(sites.requests) == 1 and list(sleeps) == []


def test_google_quota_after_the_retries(sites: FakeSites, home: Home, policy: HttpPolicy, sleeps: Sleeps) -> None:
    sites.add(f"/v1/places/{PLACES['AUG']}", Reply(429, google_error(429, "RESOURCE_EXHAUSTED",
                                                                     "RATE_LIMIT_EXCEEDED")))
    result = pull_site(home, make_config(sites.url), "google", STARTED, env=ENV, policy=policy)
    assert result.failures == [f"google AUG (place {PLACES['AUG']}): the site's quota is used up "
                               "(HTTP 429 RESOURCE_EXHAUSTED); it is pulled again next run (not tried: COL)"]
    assert len(sites.requests) == 3 and len(sleeps) == 2


def test_legacy_over_query_limit_in_an_http_200_saves_nothing(sites: FakeSites, home: Home,
                                                              policy: HttpPolicy) -> None:
    sites.add("/maps/api/place/details/json", Reply(body={
        "html_attributions": [], "error_message": "You have exceeded your daily request quota for this API.",
        "results": [], "status": "OVER_QUERY_LIMIT"}))
    result = pull_site(home, make_config(sites.url, api="legacy"), "google", STARTED, env=ENV, policy=policy)
    assert result.failures == [f"google AUG (place {PLACES['AUG']}): the site's quota is used up "
                               "(OVER_QUERY_LIMIT); it is pulled again next run (not tried: COL)"]
    assert saved(home) == {}  # an error answer is not left in the inbox (it would be rejected every night)


def test_a_server_that_hangs_is_a_read_timeout(sites: FakeSites, home: Home, policy: HttpPolicy,
                                               sleeps: Sleeps) -> None:
    sites.add(f"/v3/businesses/{YELP['COL']}", Reply(hang=True))
    for kind in ("", "/reviews"):
        sites.add(f"/v3/businesses/{YELP['GRN']}{kind}",
                  Reply(body=yelp_details(YELP["GRN"]) if not kind else yelp_reviews()))
    result = pull_site(home, make_config(sites.url), "yelp", STARTED, env=ENV, policy=policy)
    assert result.failures == [f"yelp COL (business {YELP['COL']}, details): no answer within 0.3 s "
                               "(read timeout); it is pulled again next run"]
    assert len(sites.hits(f"/v3/businesses/{YELP['COL']}")) == 1 and list(sleeps) == []  # not retried
    assert len(result.saved) == 2  # GRN goes on


def test_nothing_listening_is_one_line(home: Home, policy: HttpPolicy) -> None:
    with fake_sites() as gone:
        url = gone.url
    result = pull_site(home, make_config(url), "yelp", STARTED, env=ENV, policy=policy)
    assert result.failures[0] == (f"yelp COL (business {YELP['COL']}, details): could not reach the site "
                                  "(ConnectError); it is pulled again next run")


def test_an_answer_that_is_not_json_saves_nothing(sites: FakeSites, home: Home, policy: HttpPolicy) -> None:
    sites.add(f"/v1/places/{PLACES['AUG']}", Reply(body=b"<html>captive portal</html>"))
    sites.add(f"/v1/places/{PLACES['COL']}", Reply(body=places_new(PLACES["COL"])))
    result = pull_site(home, make_config(sites.url), "google", STARTED, env=ENV, policy=policy)
    assert result.failures == [f"google AUG (place {PLACES['AUG']}): the site's answer is not JSON; it is pulled "
                               "again next run"]
    assert list(saved(home)) == [f"google__{PLACES['COL']}__details__{DAY}.json"]


def test_an_id_that_cannot_be_a_file_name_is_refused_before_any_call(sites: FakeSites, home: Home,
                                                                     policy: HttpPolicy) -> None:
    config = make_config(sites.url)
    config.review_sites["yelp"].locations.update({"COL": "../../etc", "GRN": "ok-id"})
    sites.add("/v3/businesses/ok-id", Reply(body=yelp_details("ok-id")))
    sites.add("/v3/businesses/ok-id/reviews", Reply(body=yelp_reviews()))
    result = pull_site(home, config, "yelp", STARTED, env=ENV, policy=policy)
    assert len(result.failures) == 1 and "cannot be part of a file name" in result.failures[0]
    assert [r.path for r in sites.requests] == ["/v3/businesses/ok-id", "/v3/businesses/ok-id/reviews"]


# ---- credentials -----------------------------------------------------------------------------------------------


def test_nothing_is_called_without_credentials(sites: FakeSites, home: Home, policy: HttpPolicy) -> None:
    config = make_config(sites.url)
    assert sites_to_pull(config, env={}) == []
    assert sites_to_pull(config, env={"CLINICOPS_GOOGLE_API_KEY": "k"}) == ["google"]
    assert sites_to_pull(config, env={"CLINICOPS_YELP_API_KEY_BLOCK": "yelp-key"}) == ["yelp"]
    assert sites_to_pull(config, env={"CLINICOPS_YELP_API_KEY": "  "}) == []
    result = pull_site(home, config, "yelp", STARTED, env={}, policy=policy)
    assert result.failures == ["yelp: no Yelp API key (CLINICOPS_YELP_API_KEY) is set (the yelp pull did not run)"]
    assert sites.requests == []


def test_a_key_from_a_prefect_secret_block(sites: FakeSites, home: Home, policy: HttpPolicy) -> None:
    from prefect.blocks.system import Secret

    Secret(value="yelp-key-from-block").save("clinicops-test-yelp-key", overwrite=True)
    for business in YELP.values():
        sites.add(f"/v3/businesses/{business}", Reply(body=yelp_details(business)))
        sites.add(f"/v3/businesses/{business}/reviews", Reply(body=yelp_reviews()))
    env = {"CLINICOPS_YELP_API_KEY_BLOCK": "clinicops-test-yelp-key"}
    result = pull_site(home, make_config(sites.url), "yelp", STARTED, env=env, policy=policy)
    assert result.failures == [] and len(result.saved) == 4
    assert {r.headers["authorization"] for r in sites.requests} == {"Bearer yelp-key-from-block"}
    missing = pull_site(home, make_config(sites.url), "yelp", STARTED,
                        env={"CLINICOPS_YELP_API_KEY_BLOCK": "no-such-block"}, policy=policy)
    assert missing.failures == ["yelp: the Prefect Secret block 'no-such-block' named by CLINICOPS_YELP_API_KEY_BLOCK "
                                "could not be loaded (ValueError) (the yelp pull did not run)"]


def test_the_policy_comes_from_the_environment_and_the_timeout_from_the_site() -> None:
    policy = HttpPolicy.from_env({"CLINICOPS_HTTP_BACKOFF_SECONDS": "0.5", "CLINICOPS_HTTP_ATTEMPTS": "2"},
                                 timeout=7.5)
    assert (policy.timeout, policy.attempts, policy.backoff, policy.backoff_cap) == (7.5, 2, 0.5, 60.0)
    with pytest.raises(PullError, match=r"CLINICOPS_HTTP_ATTEMPTS='two' must be a whole number greater than 0"):
        HttpPolicy.from_env({"CLINICOPS_HTTP_ATTEMPTS": "two"})
    with pytest.raises(PullError, match=r"CLINICOPS_HTTP_BACKOFF_SECONDS='-1' must be a number of seconds"):
        HttpPolicy.from_env({"CLINICOPS_HTTP_BACKOFF_SECONDS": "-1"})
    assert make_config("http://127.0.0.1:1").review_sites["yelp"].timeout_seconds == 20.0


def test_an_api_base_that_is_not_http_is_refused_by_the_configuration() -> None:
    with pytest.raises(ValueError, match=r"review_sites\.yelp\.api_base"):
        make_config("ftp://127.0.0.1:1")


def test_plain_http_is_only_for_this_machine(home: Home, policy: HttpPolicy) -> None:
    result = pull_site(home, make_config("http://reviews.example.org"), "yelp", STARTED, env=ENV, policy=policy)
    assert result.failures == [
        "yelp: api_base 'http://reviews.example.org' is plain http (allowed only for 127.0.0.1 and localhost: the key "
        "would travel in clear); use https (not tried: GRN)"]


def test_a_403_that_says_the_daily_limit_is_a_quota_error(sites: FakeSites, home: Home, policy: HttpPolicy) -> None:
    sites.add(GBP_PATH, Reply(403, {"error": {"code": 403, "message": "Daily Limit Exceeded",
                                              "errors": [{"domain": "usageLimits", "reason": "dailyLimitExceeded"}]}}))
    result = pull_site(home, make_config(sites.url), "google_business_profile", STARTED, env=ENV, policy=policy)
    assert result.failures == [f"google_business_profile GRN (location {GBP_NUMBER}, page 1): the site's quota is "
                               "used up (HTTP 403 dailyLimitExceeded); it is pulled again next run"]
    assert len(sites.requests) == 1
