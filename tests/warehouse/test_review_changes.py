"""Reviews as they really change, worked out by hand: an edited review (latest version wins), and a review a
site no longer lists (kept, `is_removed`, with `last_seen_date`) — which only a complete Business Profile list
can show; Yelp's 3 and Places' 5 excerpts, and CSVs, never do.

A practice of its own (the figures of conftest.py stay untouched): COL and GRN have Business Profile entries,
AUG has Places only. file_seq = ingest order; a snapshot with is_complete_list = a list with no
nextPageToken.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clinicops.config import parse_config
from clinicops.home import Home
from clinicops.schemas import LAKE
from clinicops.warehouse.build import build_warehouse
from clinicops.warehouse.publish import publish
from tests.warehouse.conftest import AS_OF, CONFIG, DEFAULT_INGESTED, review, snapshot, write_lake

D = date.fromisoformat
BP = "google_business_profile"


def bp(review_id: str, location: str, rating: int, seen: str, updated: str = "2026-03-01T12:00", **extra) -> dict:
    return review("google", review_id, location, rating, "2026-02-20T15:00", BP, updated_at=updated,
                  seen_date=D(seen), **extra)


def full_list(location: str, day: str, count: int, *, complete: bool = True) -> dict:
    return snapshot("google", location, day, 4.0 if count else None, count, BP) | {"is_complete_list": complete}


def lake_reviews() -> list[tuple[int, dict]]:
    return [
        # COL, 10 March, a complete list (seq 1): B1, B2, B3, B5
        (1, bp("B1", "COL", 2, "2026-03-10", text="Long wait.")),
        (1, bp("B2", "COL", 4, "2026-03-10")),
        (1, bp("B3", "COL", 5, "2026-03-10")),
        (1, bp("B5", "COL", 3, "2026-03-10")),
        # COL, 12 March, one page with a nextPageToken (seq 2): only B1 -> says nothing about B2, B3, B5
        (2, bp("B1", "COL", 2, "2026-03-12")),
        # COL, 15 March, a complete list (seq 3): B1 edited (5 stars, new text, later updateTime), B3, B4
        (3, bp("B1", "COL", 5, "2026-03-15", updated="2026-03-14T09:00", text="Worth the wait.")),
        (3, bp("B3", "COL", 5, "2026-03-15")),
        (3, bp("B4", "COL", 4, "2026-03-15")),
        # COL, 15 March again, fetched later the same day (seq 4): B1, B4 and B5 (back again); B3 gone
        (4, bp("B1", "COL", 5, "2026-03-15", updated="2026-03-14T09:00", text="Worth the wait.")),
        (4, bp("B4", "COL", 4, "2026-03-15")),
        (4, bp("B5", "COL", 3, "2026-03-15")),
        # GRN: G1 on a complete list of 10 March; the list of 20 March is empty
        (5, bp("G1", "GRN", 1, "2026-03-10")),
        # Yelp COL: y1 on 1 March with 2 stars, on 5 March with 4 (the newer fetch wins); absent from the
        # response of 20 March (3 excerpts only): never removed
        (6, review("yelp", "y1", "COL", 2, "2026-02-25T18:00", "yelp", updated_at="2026-03-01T05:00",
                   seen_date=D("2026-03-01"))),
        (7, review("yelp", "y1", "COL", 4, "2026-02-25T18:00", "yelp", updated_at="2026-03-05T05:00",
                   seen_date=D("2026-03-05"))),
        (8, review("yelp", "y2", "COL", 5, "2026-03-18T18:00", "yelp", updated_at="2026-03-20T04:00",
                   seen_date=D("2026-03-20"))),
        # Places (New) AUG: pn1 on 1 March, not in the response of 10 March: never removed
        (9, review("google", "pn1", "AUG", 4, "2026-02-27T18:00", "google_places_new",
                   updated_at="2026-03-01T05:00", seen_date=D("2026-03-01"))),
        (10, review("google", "pn2", "AUG", 5, "2026-03-09T18:00", "google_places_new",
                    updated_at="2026-03-10T05:00", seen_date=D("2026-03-10"))),
        # a review CSV (no fetch date): last seen = the local date it was ingested (30 March 11:00Z = 07:00 EDT)
        (11, review("healthgrades", "HG-1", "COL", 5, "2026-03-02T15:00", "csv")),
    ]


def lake_snapshots() -> list[tuple[int, dict]]:
    return [
        (1, full_list("COL", "2026-03-10", 4)),
        (2, full_list("COL", "2026-03-12", 4, complete=False)),
        (3, full_list("COL", "2026-03-15", 3)),
        (4, full_list("COL", "2026-03-15", 3)),
        (5, full_list("GRN", "2026-03-10", 1)),
        (12, full_list("GRN", "2026-03-20", 0)),  # proto3 `{}`: every review gone
        (7, snapshot("yelp", "COL", "2026-03-05", 4.0, 30, "yelp") | {"is_complete_list": False}),
        (10, snapshot("google", "AUG", "2026-03-10", 4.5, 2, "google_places_new") | {"is_complete_list": False}),
    ]


def write_old_lake_review(home: Home) -> None:
    """A lake file written before seen_date existed: its reviews fall back to the local date of ingest."""
    old = pa.schema([f for f in LAKE["reviews"] if f.name != "seen_date"])
    row = review("google", "OLD-1", "GRN", 3, "2026-01-05T15:00", BP, updated_at="2026-01-06T12:00")
    row |= {"_file": "old.json", "_file_sha256": "sha-old", "_file_seq": 0, "_row_number": 1,
            "_ingested_at": datetime(2026, 1, 7, 3, 0, tzinfo=UTC)}  # 6 January 22:00 EST
    path = home.lake_file("reviews", "2026-01", "sha-old")
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([row], schema=old), path)


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory):
    data = copy.deepcopy(CONFIG)
    data["locations"].append({"id": "GRN", "name": "Greenville"})
    data["review_sites"]["google_business_profile"]["GRN"] = "5550001"
    config = parse_config(data)
    home = Home(Path(tmp_path_factory.mktemp("changes")))
    home.make_dirs()
    write_lake(home, "reviews", lake_reviews())
    write_lake(home, "review_snapshots", lake_snapshots())
    write_old_lake_review(home)
    built = build_warehouse(config, home, run_id="r1", as_of=AS_OF)
    con = duckdb.connect(str(publish(home, built.path)), read_only=True)
    yield con
    con.close()


def reviews(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "select review_id, rating, is_removed, last_seen_date from core.reviews").fetchall()}


@pytest.mark.parametrize(
    ("review_id", "expected"),
    [
        ("B1", (5, False, D("2026-03-15"))),  # edited: the later updateTime wins; on every list
        ("B2", (4, True, D("2026-03-10"))),  # on the list of 10 March, not on the complete list of 15 March
        ("B3", (5, True, D("2026-03-15"))),  # on the first list of 15 March, not on the one fetched after it
        ("B4", (4, False, D("2026-03-15"))),
        ("B5", (3, False, D("2026-03-15"))),  # missing from one list, back on the newest: not removed
        ("G1", (1, True, D("2026-03-10"))),  # the newest list of GRN is empty
        ("OLD-1", (3, True, D("2026-01-06"))),  # an old lake row: last seen on the local date it was ingested
        ("y1", (4, False, D("2026-03-05"))),  # the newer fetch's rating; an excerpt API never shows removal
        ("y2", (5, False, D("2026-03-20"))),
        ("pn1", (4, False, D("2026-03-01"))),  # absent from the newer Places response: not removed
        ("pn2", (5, False, D("2026-03-10"))),
        ("HG-1", (5, False, DEFAULT_INGESTED.date())),  # CSV: 30 March, 07:00 EDT
    ],
)
def test_review_versions_sightings_and_removal(wh: duckdb.DuckDBPyConnection, review_id: str,
                                               expected: tuple) -> None:
    assert reviews(wh)[review_id] == expected


def test_the_latest_version_keeps_its_text_and_a_removed_review_is_kept(wh: duckdb.DuckDBPyConnection) -> None:
    assert wh.execute("select text from core.reviews where review_id = 'B1'").fetchall() == [("Worth the wait.",)]
    assert wh.execute("select count(*) from core.reviews").fetchall() == [(12,)]  # nothing dropped
    assert wh.execute("select count(*) from core.reviews where is_removed").fetchall() == [(4,)]


def test_a_complete_empty_list_is_a_snapshot_of_zero(wh: duckdb.DuckDBPyConnection) -> None:
    assert wh.execute("select reported_rating, reported_review_count from core.review_snapshots "
                      "where location_id = 'GRN' and snapshot_date = '2026-03-20'").fetchall() == [(None, 0)]


def test_the_new_columns_are_documented(wh: duckdb.DuckDBPyConnection) -> None:
    comments = dict(wh.execute("select column_name, comment from duckdb_columns() "
                               "where schema_name = 'core' and table_name = 'reviews'").fetchall())
    assert "complete Business Profile list" in comments["is_removed"]
    assert "newest saved response that listed" in comments["last_seen_date"]

