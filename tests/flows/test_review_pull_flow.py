"""The live review pull inside the real nightly flow (Prefect, GX, DuckDB, Parquet), run from the command line,
against a real fake vendor server on 127.0.0.1: one site failing while the other and the bookings publish,
reviews that change and disappear between two nights, and no reviewer identity past the landing copy."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from clinicops.cli import main
from clinicops.home import Home
from clinicops.sources.landing import sha256_of
from tests.fake_sites import (
    PLANTED,
    REVIEWER_NAMES,
    FakeSites,
    Reply,
    fake_sites,
    gbp_page,
    gbp_review,
    yelp_details,
    yelp_error,
    yelp_reviews,
)
from tests.practice import make_practice

YELP_ID = "test-practice-columbia"
ACCOUNT = "accounts/1122334455"
NUMBER = "4567890123456789"
PARENT = f"{ACCOUNT}/locations/{NUMBER}"
GBP_PATH = f"/v4/{PARENT}/reviews"


class Records(logging.Handler):
    """Every log line of the run, as a handler would write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logged() -> Iterator[Records]:
    """The clinicops and httpx log records (attached to the loggers themselves: Prefect rewires the root)."""
    records = Records()
    loggers = [logging.getLogger(name) for name in ("clinicops", "httpx")]
    for logger in loggers:
        logger.addHandler(records)
    yield records
    for logger in loggers:
        logger.removeHandler(records)


def live_practice(root: Path, url: str) -> Home:
    """The small practice of tests/practice.py, its review sites pointed at the fake server."""
    home = make_practice(root)
    home.config_file.write_text(home.config_file.read_text() + f'''api_base = "{url}"
timeout_seconds = 2

[review_sites.google]
api_base = "{url}"
COL = "ChIJcolumbia"

[review_sites.google_business_profile]
api_base = "{url}"
account = "{ACCOUNT}"
timeout_seconds = 2
COL = "{NUMBER}"
''')
    return home


def night_one(sites: FakeSites) -> None:
    sites.add(f"/v3/businesses/{YELP_ID}", Reply(401, yelp_error("TOKEN_INVALID", "Invalid access token")))
    sites.add(GBP_PATH, Reply(body=gbp_page([gbp_review(PARENT, "R1", "TWO", "2026-11-20T10:00:00Z"),
                                             gbp_review(PARENT, "R2", "FIVE", "2026-11-18T10:00:00Z")],
                                            next_token="tok-2", average=3.7, total=3)))
    sites.add(f"{GBP_PATH}#page=tok-2", Reply(body=gbp_page([gbp_review(
        PARENT, "R3", "FOUR", "2026-11-10T10:00:00Z", reviewer=REVIEWER_NAMES[1])], average=3.7, total=3)))


def night_two(sites: FakeSites) -> None:
    """R1 edited to five stars, R2 gone; Yelp answers again."""
    sites.add(f"/v3/businesses/{YELP_ID}", Reply(body=yelp_details(YELP_ID, rating=4.0, count=32)))
    sites.add(f"/v3/businesses/{YELP_ID}/reviews", Reply(body=yelp_reviews()))
    sites.add(GBP_PATH, Reply(body=gbp_page([
        gbp_review(PARENT, "R1", "FIVE", "2026-11-20T10:00:00Z", "2026-11-23T09:00:00Z"),
        gbp_review(PARENT, "R3", "FOUR", "2026-11-10T10:00:00Z", reviewer=REVIEWER_NAMES[1])], average=4.5, total=2)))


def run(home: Home, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", "--home", str(home.root), "--as-of", "2026-11-25T02:00"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def live_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICOPS_YELP_API_KEY", "yelp-key")
    monkeypatch.setenv("CLINICOPS_GOOGLE_API_KEY", "google-key")
    monkeypatch.setenv("CLINICOPS_GOOGLE_BUSINESS_PROFILE_TOKEN", "ya29.token")
    monkeypatch.setenv("CLINICOPS_HTTP_BACKOFF_SECONDS", "0.01")


def test_one_site_failing_never_fails_the_others_and_reviews_change_and_disappear(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], live_env: None, logged: Records) -> None:
    with fake_sites() as sites:
        home = live_practice(tmp_path / "home", sites.url)
        night_one(sites)
        today = datetime.now(ZoneInfo("America/New_York")).date().isoformat()
        code, out = run(home, capsys)
        first_requests = list(sites.requests)
        night_two(sites)
        code_two, out_two = run(home, capsys)

    # night one: Yelp refused the key; the Business Profile and the bookings published; exit 3 names it
    assert code == 3, out
    assert f"yelp COL (business {YELP_ID}, details): the Yelp API key (CLINICOPS_YELP_API_KEY) was refused " \
           "(HTTP 401 TOKEN_INVALID)" in out
    # Places is not asked for COL: its Business Profile wins
    assert {r.path for r in first_requests} == {f"/v3/businesses/{YELP_ID}", GBP_PATH}
    name = f"google_business_profile__{NUMBER}__reviews__{today}.json"
    manifest = [json.loads(line) for line in home.manifest.read_text().splitlines()]
    versions = [m for m in manifest if m["name"] == name]
    assert len(versions) == 2  # one per night: same name, new content
    landed = home.landed("reviews", versions[-1]["sha256"], ".json")
    assert landed.read_bytes() == home.inbox_file("reviews", name).read_bytes()  # the raw copy, as saved
    assert sha256_of(landed) == versions[-1]["sha256"]

    # night two: everything answered
    assert code_two == 0, out_two
    assert (home.inbox_file("reviews", f"yelp__{YELP_ID}__details__{today}.json").read_bytes()
            == sites.sent[f"/v3/businesses/{YELP_ID}"][-1])

    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        runs = con.execute("select r.exit_code, s.status, s.message from ops.runs r join ops.run_sources s "
                           "using (run_id) where s.source = 'reviews' order by r.started_at").fetchall()
        assert [(c, s) for c, s, _ in runs] == [(3, "failed"), (0, "ok")]
        assert "yelp COL" in runs[0][2] and "refused" in runs[0][2]
        assert con.execute("select count(*) from core.appointments").fetchall() == [(4,)]
        reviews = {r[0]: r[1:] for r in con.execute(
            "select review_id, rating, is_removed, last_seen_date::varchar, origin from core.reviews "
            "where site = 'google'").fetchall()}
        assert reviews == {
            "R1": (5, False, today, "google_business_profile"),  # the edit wins
            "R2": (5, True, today, "google_business_profile"),  # gone from the newer complete list: kept, removed
            "R3": (4, False, today, "google_business_profile"),
        }
        assert con.execute("select count(*) from core.reviews where site = 'yelp' and is_removed").fetchall() == [(0,)]
        snapshots = con.execute("select site, snapshot_date::varchar, reported_rating, reported_review_count "
                                "from core.review_snapshots where snapshot_date = ? order by site",
                                [today]).fetchall()
        assert snapshots == [("google", today, 4.5, 2), ("yelp", today, 4.0, 32)]
    finally:
        con.close()

    # privacy: reviewer names, profile links and photos stop at the landing copy
    prefect_db = list(Path(os.environ["PREFECT_HOME"]).glob("prefect.db*"))
    places = [*home.lake.rglob("*.parquet"), *home.ops.rglob("*.parquet"), *home.reports.rglob("*.html"),
              home.warehouse, home.manifest, *prefect_db]
    planted = PLANTED + [part for name in REVIEWER_NAMES for part in name.split()]
    for path in places:
        blob = path.read_bytes()
        for value in planted:
            assert value.encode() not in blob, f"{value!r} found in {path}"
    log_text = "\n".join(logged.lines)
    assert "review pull: yelp COL" in log_text  # the failure is logged, as one line
    for value in planted:
        assert value not in out + out_two + log_text, f"{value!r} printed or logged"
    for secret in ("yelp-key", "google-key", "ya29.token"):
        assert secret not in out + out_two + log_text
