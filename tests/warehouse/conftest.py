"""A small hand-made practice for the warehouse tests: config, home, lake and run history written directly.

America/New_York; DST starts Sunday 2026-03-08 (02:00 EST -> 03:00 EDT). as_of = 2026-03-31 16:00Z (Tue
12:00 EDT). Location COL: Mon-Fri 08:00-17:00 (540 min), Sat 09:00-13:00 (240), Sunday closed, closure on
Wed 2026-03-04; chairs/rooms CHAIR-1 and ROOM-A. Location AUG: Mon-Fri 09:00-17:00, no resources. Provider
P-OK at COL: Mon/Wed/Fri 08:00-16:00 (480 min). The figures each test expects are worked out beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clinicops.config import Config, parse_config
from clinicops.home import Home
from clinicops.schemas import LAKE, OPS
from clinicops.warehouse.build import BuildResult, build_warehouse
from clinicops.warehouse.publish import publish

AS_OF = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
DEFAULT_UPDATED = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)
DEFAULT_INGESTED = datetime(2026, 3, 30, 11, 0, tzinfo=UTC)

CONFIG = {
    "practice": {"name": "Test Clinic", "timezone": "America/New_York"},
    "locations": [
        {
            "id": "COL",
            "name": "Columbia",
            "closures": ["2026-03-04"],
            "hours": {d: "08:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": "09:00-13:00"},
            "resources": [{"id": "CHAIR-1", "kind": "chair"}, {"id": "ROOM-A", "kind": "room"}],
        },
        {"id": "AUG", "name": "Augusta", "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}},
    ],
    "providers": [
        {
            "id": "P-OK",
            "name": "Dr. Okafor",
            "location_id": "COL",
            "availability": {"mon": "08:00-16:00", "wed": "08:00-16:00", "fri": "08:00-16:00"},
        }
    ],
    "referral_sources": {"google": ["google", "google search"], "physician_referral": ["dr referral", "pcp"]},
    "review_sites": {
        "yelp": {"COL": "test-clinic-columbia"},
        "google": {"COL": "ChIJcol", "AUG": "ChIJaug"},
        "google_business_profile": {"COL": "1234567890"},
    },
}


def ts(text: str) -> datetime:
    """'2026-03-10T12:00' -> that UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def booking(appointment_id: str, patient: str, kind: str, start: str, minutes: int, status: str, **extra) -> dict:
    row = {
        "appointment_id": appointment_id,
        "patient_key": patient,
        "location_id": "COL",
        "provider_id": "P-OK",
        "resource_id": "ROOM-A",
        "appointment_type": kind,
        "start_at": ts(start),
        "start_is_date_only": False,
        "duration_minutes": minutes,
        "status": status,
        "status_says_late": False,
        "created_is_date_only": False,
        "updated_at": DEFAULT_UPDATED,
        "age_band": "35-44",
        "source_format": "csv",
    }
    row.update(extra)
    for column in ("created_at", "cancelled_at", "updated_at"):
        if isinstance(row.get(column), str):
            row[column] = ts(row[column])
    return row


def bookings() -> list[tuple[int, dict]]:
    """(file_seq, row) of every booking version."""
    rows: list[tuple[int, dict]] = []

    def add(*args, seq: int = 1, **kw) -> None:
        rows.append((seq, booking(*args, **kw)))

    # pk-a: 04:30Z on Tue 3 March is Mon 2 March 23:30 EST -> counts on 2026-03-02
    add("A-LATE", "pk-a", "therapy", "2026-03-03T04:30", 50, "fulfilled",
        created_at="2026-02-20T15:00", referral_source_raw="Psychology Today")
    # pk-dst: an infusion in the night of the spring-forward change (01:30 EST)
    add("A-DST", "pk-dst", "ketamine_infusion", "2026-03-08T06:30", 60, "fulfilled", resource_id="CHAIR-1",
        created_at="2026-03-01T15:00", referral_source_raw="website")
    # pk-c: Tue 10 March, every cancellation case, all med_management 30 min in ROOM-A, booked 5 March
    c = {"created_at": "2026-03-05T15:00"}
    add("F-1", "pk-c", "med_management", "2026-03-10T12:00", 30, "fulfilled", referral_source_raw="Dr. Referral", **c)
    add("N-1", "pk-c", "med_management", "2026-03-10T13:00", 30, "noshow", **c)
    add("C-24", "pk-c", "med_management", "2026-03-10T14:00", 30, "cancelled", cancelled_at="2026-03-09T14:00", **c)
    add("C-2359", "pk-c", "med_management", "2026-03-10T15:00", 30, "cancelled", cancelled_at="2026-03-09T15:01", **c)
    add("C-AFTER", "pk-c", "med_management", "2026-03-10T16:00", 30, "cancelled", cancelled_at="2026-03-10T16:30", **c)
    add("C-WORD", "pk-c", "med_management", "2026-03-10T17:00", 30, "cancelled", status_says_late=True, **c)
    add("C-CLINIC", "pk-c", "med_management", "2026-03-10T18:00", 30, "cancelled", cancelled_by="clinic",
        cancelled_at="2026-03-10T17:00", **c)
    add("C-UNK", "pk-c", "med_management", "2026-03-10T19:00", 30, "cancelled", **c)
    add("E-2", "pk-c", "med_management", "2026-03-10T20:00", 30, "entered-in-error", **c)
    # pk-closed: seen on the closure date (Wed 4 March)
    add("A-CLOSED", "pk-closed", "consultation", "2026-03-04T15:00", 60, "fulfilled",
        created_at="2026-02-25T15:00", referral_source_raw="yelp!")
    # pk-v: versions. V-1: the noshow of file 3 is older than the fulfilled of file 2 -> fulfilled.
    # V-2: same updated_at in files 1 and 3 -> file 3 (noshow) wins.
    v = {"created_at": "2026-03-02T15:00", "referral_source_raw": "GOOGLE search"}
    add("V-1", "pk-v", "consultation", "2026-03-12T14:00", 60, "booked", seq=1, updated_at="2026-03-05T10:00", **v)
    add("V-1", "pk-v", "consultation", "2026-03-12T14:00", 60, "fulfilled", seq=2, updated_at="2026-03-06T10:00", **v)
    add("V-1", "pk-v", "consultation", "2026-03-12T14:00", 60, "noshow", seq=3, updated_at="2026-03-05T12:00", **v)
    add("V-2", "pk-v", "consultation", "2026-03-12T15:00", 60, "fulfilled", seq=1, updated_at="2026-03-06T10:00", **v)
    add("V-2", "pk-v", "consultation", "2026-03-12T15:00", 60, "noshow", seq=3, updated_at="2026-03-06T10:00", **v)
    # pk-g1: first touch. The excluded booking created first does not count; G1-A has no text; G1-B ('Google ')
    # is the earliest-created booking with one.
    add("G1-EX", "pk-g1", "consultation", "2026-03-13T14:00", 60, "entered-in-error",
        created_at="2026-02-01T15:00", referral_source_raw="Psychology Today")
    add("G1-A", "pk-g1", "consultation", "2026-03-13T15:00", 60, "fulfilled", created_at="2026-02-10T15:00")
    add("G1-B", "pk-g1", "follow_up", "2026-04-01T14:00", 30, "booked",
        created_at="2026-02-11T15:00", referral_source_raw="Google ")
    add("G1-C", "pk-g1", "follow_up", "2026-03-20T14:00", 30, "cancelled", cancelled_at="2026-03-01T15:00",
        created_at="2026-02-12T15:00", referral_source_raw="yelp!")
    # pk-o: unmapped text -> other (with a phone number that must not reach the warehouse)
    add("O-1", "pk-o", "therapy", "2026-03-16T18:00", 50, "fulfilled",
        created_at="2026-03-09T15:00", referral_source_raw="My neighbour!! (803) 555-0142")
    # pk-u: blank text -> unknown; only an upcoming booking (Thu 2 April, the calendar's last date)
    add("U-1", "pk-u", "follow_up", "2026-04-02T14:00", 30, "booked",
        created_at="2026-03-20T15:00", referral_source_raw="  ")
    # pk-ghost: only an entered-in-error booking (in December: it must not stretch the calendar)
    add("GH-1", "pk-ghost", "consultation", "2026-12-01T15:00", 60, "entered-in-error",
        created_at="2026-03-01T15:00", referral_source_raw="Google")
    # pk-s1: 6 infusions, the 6th on day 42 (Mon 16 March) -> series completed. pk-s2: the 6th on day 43.
    s1 = {"resource_id": "CHAIR-1", "created_at": "2026-01-20T15:00", "referral_source_raw": "Google "}
    for i, start in enumerate(["2026-02-02T15:00", "2026-02-05T15:00", "2026-02-09T15:00", "2026-02-16T15:00",
                               "2026-02-23T15:00", "2026-03-16T14:00"], start=1):
        add(f"S1-{i}", "pk-s1", "ketamine_infusion", start, 60, "fulfilled", **s1)
    s2 = {"resource_id": "CHAIR-1", "created_at": "2026-01-25T15:00", "referral_source_raw": "google"}
    for i, start in enumerate(["2026-02-03T16:00", "2026-02-06T16:00", "2026-02-10T16:00", "2026-02-17T16:00",
                               "2026-02-24T16:00", "2026-03-18T15:00"], start=1):
        add(f"S2-{i}", "pk-s2", "ketamine_infusion", start, 60, "fulfilled", **s2)
    # pk-ab: an infusion whose session was aborted: completed appointment, no completed infusion
    add("AB-1", "pk-ab", "ketamine_infusion", "2026-03-11T14:00", 60, "fulfilled", resource_id="CHAIR-1",
        created_at="2026-03-02T15:00", referral_source_raw="Therapist referral")
    # pk-d: date-only starts around as_of (local date 2026-03-31) and timed ones on as_of's day
    d = {"created_at": "2026-03-20T15:00", "start_is_date_only": True}
    add("D-1", "pk-d", "consultation", "2026-03-31T04:00", 60, "arrived",
        **(d | {"created_at": "2026-03-31T15:00"}))
    add("D-2", "pk-d", "consultation", "2026-03-30T04:00", 60, "booked", **d)
    add("D-3", "pk-d", "consultation", "2026-03-30T04:00", 60, "checked-in", **d)
    t = {"created_at": "2026-03-20T15:00"}
    add("T-1", "pk-d", "consultation", "2026-03-31T15:00", 60, "booked", **t)
    add("T-2", "pk-d", "consultation", "2026-03-31T17:00", 60, "booked", **t)
    add("T-3", "pk-d", "consultation", "2026-03-31T15:30", 60, "arrived", **t)
    return rows


def session(session_id: str, appointment_id: str, patient: str, chair_in: str, chair_out: str, **extra) -> dict:
    row = {
        "session_id": session_id,
        "appointment_id": appointment_id,
        "patient_key": patient,
        "location_id": "COL",
        "chair_id": "CHAIR-1",
        "provider_id": "P-OK",
        "chair_in_at": ts(chair_in),
        "chair_out_at": ts(chair_out),
        "medication": "ketamine",
        "route": "IV",
        "dose_mg": 35.0,
        "weight_kg": 70.0,
        "aborted": False,
        "updated_at": datetime(2026, 3, 20, 12, 0, tzinfo=UTC),
    }
    row.update(extra)
    for column in ("infusion_start_at", "infusion_end_at", "updated_at"):
        if isinstance(row.get(column), str):
            row[column] = ts(row[column])
    return row


def sessions() -> list[tuple[int, dict]]:
    return [
        # spring forward: 06:30Z = 01:30 EST, 07:30Z = 03:30 EDT: 60 real minutes (120 on the wall clock).
        # Version 1 said aborted; version 2 (newer) says not.
        (1, session("S-DST", "A-DST", "pk-dst", "2026-03-08T06:30", "2026-03-08T07:30", aborted=True,
                    infusion_start_at="2026-03-08T06:40", infusion_end_at="2026-03-08T07:20",
                    updated_at="2026-03-08T08:00")),
        (2, session("S-DST", "A-DST", "pk-dst", "2026-03-08T06:30", "2026-03-08T07:30", aborted=None,
                    infusion_start_at="2026-03-08T06:40", infusion_end_at="2026-03-08T07:20",
                    updated_at="2026-03-08T09:00", phq9_pre=18, phq9_post=12, adverse_events="nausea")),
        (1, session("S-AB", "AB-1", "pk-ab", "2026-03-11T14:00", "2026-03-11T14:25", aborted=True,
                    infusion_start_at="2026-03-11T14:05", weight_kg=None)),
        (1, session("S-S1A", "S1-1", "pk-s1", "2026-02-02T15:00", "2026-02-02T16:30", phq9_pre=20,
                    infusion_start_at="2026-02-02T15:10", infusion_end_at="2026-02-02T15:50")),
        (1, session("S-S1B", "S1-6", "pk-s1", "2026-03-16T14:00", "2026-03-16T15:20", phq9_pre=14,
                    infusion_start_at="2026-03-16T14:10", infusion_end_at="2026-03-16T14:50")),
    ]


def review(site: str, review_id: str, location: str, rating: int, published: str, origin: str, **extra) -> dict:
    row = {
        "site": site,
        "review_id": review_id,
        "location_id": location,
        "rating": rating,
        "rating_raw": str(rating),
        "published_at": ts(published),
        "text": None,
        "updated_at": datetime(2026, 3, 20, 0, 0, tzinfo=UTC),
        "origin": origin,
    }
    row.update(extra)
    if isinstance(row.get("updated_at"), str):
        row["updated_at"] = ts(row["updated_at"])
    return row


def reviews() -> list[tuple[int, dict]]:
    return [
        # yelp COL: y1's newer version says 4 (the older 2 loses); y3 at 03:00Z on 1 March is 28 Feb local
        (1, review("yelp", "y1", "COL", 2, "2026-01-15T18:00", "yelp", updated_at="2026-02-01T00:00")),
        (2, review("yelp", "y1", "COL", 4, "2026-01-15T18:00", "yelp", updated_at="2026-02-10T00:00")),
        (2, review("yelp", "y2", "COL", 5, "2026-02-20T18:00", "yelp")),
        (2, review("yelp", "y3", "COL", 2, "2026-03-01T03:00", "yelp")),
        # google COL: Business Profile wins; the Places review of COL is dropped
        (1, review("google", "g1", "COL", 1, "2026-02-05T18:00", "google_business_profile",
                   updated_at="2026-02-05T18:00", text="Call me at 803-555-0142 or a@b.com")),
        (2, review("google", "g1", "COL", 5, "2026-02-05T18:00", "google_business_profile",
                   updated_at="2026-02-07T18:00", text="Great care. Call me at 803-555-0142 or a@b.com")),
        (2, review("google", "p1", "COL", 1, "2026-02-06T18:00", "google_places")),
        # google AUG (no Business Profile): Places (New) is used
        (2, review("google", "pn1", "AUG", 4, "2026-03-10T18:00", "google_places_new")),
    ]


def snapshot(site: str, location: str, day: str, rating: float, count: int, origin: str) -> dict:
    return {
        "site": site,
        "location_id": location,
        "snapshot_date": date.fromisoformat(day),
        "reported_rating": rating,
        "reported_review_count": count,
        "origin": origin,
    }


def snapshots() -> list[tuple[int, dict]]:
    return [
        (1, snapshot("yelp", "COL", "2026-01-10", 4.5, 20, "yelp")),
        (1, snapshot("yelp", "COL", "2026-01-31", 4.4, 21, "yelp")),
        (2, snapshot("yelp", "COL", "2026-03-01", 4.3, 23, "yelp")),
        (2, snapshot("google", "COL", "2026-02-06", 3.0, 50, "google_places")),
        (2, snapshot("google", "COL", "2026-02-15", 4.8, 120, "google_business_profile")),
        (2, snapshot("google", "AUG", "2026-03-10", 4.2, 15, "google_places_new")),
    ]


def write_lake(home: Home, table: str, rows: list[tuple[int, dict]]) -> None:
    """One Parquet file per file_seq, rows numbered from 2 (a CSV's first data row) in each."""
    by_seq: dict[int, list[dict]] = {}
    for seq, row in rows:
        by_seq.setdefault(seq, []).append(row)
    for seq, file_rows in sorted(by_seq.items()):
        for number, row in enumerate(file_rows, start=2):
            row.update(
                _file=f"{table}-{seq}.csv",
                _file_sha256=f"sha-{table}-{seq}",
                _file_seq=seq,
                _row_number=number,
                _ingested_at=DEFAULT_INGESTED,
            )
        path = home.lake_file(table, "2026-03", f"sha-{table}-{seq}")
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(file_rows, schema=LAKE[table]), path)


def write_ops(home: Home, table: str, run_id: str, rows: list[dict], part: str = "") -> None:
    path = home.ops_file(table, run_id, part)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=OPS[table]), path)


def write_history(home: Home) -> None:
    # r0 was recorded twice: the record that finished last (published) wins
    write_ops(home, "runs", "r0", [{"run_id": "r0", "started_at": ts("2026-03-30T06:00"),
                                    "finished_at": ts("2026-03-30T06:05"), "status": "failed", "exit_code": 1}])
    write_ops(home, "runs", "r0", [{"run_id": "r0", "started_at": ts("2026-03-30T06:00"),
                                    "finished_at": ts("2026-03-30T06:10"), "status": "published", "exit_code": 0,
                                    "as_of": ts("2026-03-30T06:00"), "files_rejected": 1}], part="final")
    write_ops(home, "run_sources", "r0", [
        {"run_id": "r0", "source": s, "files_read": 1, "files_skipped": 0, "files_rejected": int(s == "sessions"),
         "rows_read": 10, "rows_accepted": 9, "rows_quarantined": 1, "status": "ok"}
        for s in ("bookings", "sessions", "reviews")
    ])
    # one file validated in two batches: one row, counts summed, success only if both succeeded
    result = {"run_id": "r0", "source": "bookings", "file": "a.csv",
              "expectation": "expect_column_values_to_not_be_null", "rule": "missing_value", "column_name": "start"}
    write_ops(home, "validation_results", "r0",
              [result | {"success": False, "element_count": 100, "unexpected_count": 1}], part="1")
    write_ops(home, "validation_results", "r0",
              [result | {"success": True, "element_count": 50, "unexpected_count": 0}], part="2")
    write_ops(home, "quarantine", "r0", [
        {"run_id": "r0", "source": "bookings", "file": "a.csv", "file_sha256": "sha-a", "row_number": 7,
         "rule": "missing_value", "column_name": "start", "message": "start is empty",
         "raw_values": '{"start": "", "patient_first_name": "[removed]"}'}
    ])
    write_ops(home, "rejected_files", "r0", [
        {"run_id": "r0", "source": "sessions", "file": "bad.jsonl", "file_sha256": "sha-bad", "reason": "not JSON"}
    ])


@dataclass(frozen=True)
class Practice:
    config: Config
    home: Home
    built: BuildResult
    warehouse: Path


def make_practice(root: Path) -> tuple[Config, Home]:
    config = parse_config(CONFIG)
    home = Home(root)
    home.make_dirs()
    write_lake(home, "bookings", bookings())
    write_lake(home, "sessions", sessions())
    write_lake(home, "reviews", reviews())
    write_lake(home, "review_snapshots", snapshots())
    write_history(home)
    return config, home


@pytest.fixture(scope="session")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Practice:
    """The practice above, built and published once for the whole folder (tests only read it)."""
    config, home = make_practice(tmp_path_factory.mktemp("practice"))
    built = build_warehouse(config, home, run_id="r1", as_of=AS_OF)
    row_counts = dict(built.row_counts)
    live = publish(home, built.path)
    return Practice(config, home, BuildResult(path=built.path, row_counts=row_counts), live)


@pytest.fixture(scope="session")
def wh(practice: Practice) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(practice.warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture
def fresh_practice(tmp_path: Path) -> tuple[Config, Home]:
    """The same practice in a home of its own, not yet built (for tests that build and publish)."""
    return make_practice(tmp_path / "home")
