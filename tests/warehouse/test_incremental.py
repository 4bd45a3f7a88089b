"""Nights that refresh the live warehouse give exactly what a full build gives (warehouse/incremental.py).

The property (hypothesis): over any sequence of nights, each adding lake files of booking versions, session
logs and intake answers for a few patients, appointments and sessions drawn from small pools (so versions,
moves between patients and dates, cancellations, unmatched sessions and outcomes that change with as_of
all meet), the warehouse refreshed night by night equals, table by table and row by row, the warehouse a
full build makes from the same lake at the last night's as_of. The same holds for a backfill.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicops.config import parse_config
from clinicops.home import Home
from clinicops.schemas import LAKE
from clinicops.warehouse.build import build_warehouse
from clinicops.warehouse.publish import publish
from tests.warehouse.conftest import CONFIG, DEFAULT_INGESTED, make_practice, write_ops

FIRST_DAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; DST starts on the 8th
PATIENTS = ["pk-1", "pk-2", "pk-3", "pk-4", "pk-5", "pk-6", None]
APPOINTMENTS = [f"A-{n}" for n in range(1, 13)]
SESSIONS = [f"S-{n}" for n in range(1, 7)]
# booked and arrived most often: their outcome turns when as_of passes their start
STATUSES = ["booked", "booked", "booked", "arrived", "fulfilled", "noshow", "cancelled", "entered-in-error",
            "proposed", None]

instants = st.builds(lambda day, minute: FIRST_DAY + timedelta(days=day, minutes=minute),
                     st.integers(0, 11), st.integers(11 * 60, 23 * 60).map(lambda m: m - m % 15))

booking_versions = st.fixed_dictionaries({
    "appointment_id": st.sampled_from(APPOINTMENTS),
    "patient_key": st.sampled_from(PATIENTS),
    "location_id": st.just("COL"),
    "provider_id": st.sampled_from(["P-OK", None]),
    "resource_id": st.sampled_from(["CHAIR-1", "ROOM-A", None]),
    "appointment_type": st.sampled_from(["ketamine_infusion", "consultation", "follow_up"]),
    "start_at": instants,
    "start_is_date_only": st.booleans(),
    "duration_minutes": st.sampled_from([30, 60, 90]),
    "status": st.sampled_from(STATUSES),
    "status_says_late": st.booleans(),
    "created_at": st.one_of(st.none(), instants.map(lambda t: t - timedelta(days=9))),
    "created_is_date_only": st.just(False),
    "cancelled_at": st.one_of(st.none(), instants),
    "cancelled_by": st.sampled_from([None, "clinic", "patient"]),
    "referral_source_raw": st.sampled_from([None, "Google ", "yelp!", "my neighbour", "  "]),
    "updated_at": instants,
    "age_band": st.sampled_from(["18-24", "35-44"]),
    "source_format": st.sampled_from(["csv", "fhir"]),
})

session_versions = st.fixed_dictionaries({
    "session_id": st.sampled_from(SESSIONS),
    "appointment_id": st.sampled_from([*APPOINTMENTS[:6], None]),
    "patient_key": st.sampled_from(PATIENTS[:6]),
    "location_id": st.just("COL"),
    "chair_id": st.sampled_from(["CHAIR-1", None]),
    "provider_id": st.just("P-OK"),
    "chair_in_at": instants,
    "chair_minutes": st.sampled_from([40, 75]),
    "medication": st.just("ketamine"),
    "route": st.just("IV"),
    "dose_mg": st.sampled_from([35.0, 50.0]),
    "weight_kg": st.sampled_from([70.0, None]),
    "phq9_pre": st.one_of(st.none(), st.integers(0, 27)),
    "adverse_events": st.sampled_from([None, "nausea"]),
    "aborted": st.sampled_from([False, True, None]),
    "updated_at": instants,
})

intake_answers = st.fixed_dictionaries({
    "patient_key": st.sampled_from(PATIENTS[:6]),
    "intake_date": st.integers(0, 11).map(lambda d: (FIRST_DAY + timedelta(days=d)).date()),
    "referral_given": st.booleans(),
    "referral_matched_text": st.sampled_from([None, "google", "yelp"]),
    "source_format": st.just("csv"),
})

nights = st.lists(st.fixed_dictionaries({
    "bookings": st.lists(booking_versions, max_size=6),
    "sessions": st.lists(session_versions, max_size=3),
    "intake": st.lists(intake_answers, max_size=1),
    "hours_later": st.integers(-12, 72),  # as_of moves on (now and then back, as a re-run with --as-of does)
    "backfill": st.one_of(st.none(), st.tuples(st.integers(0, 11), st.integers(0, 3))),
    "quarantined": st.integers(0, 2),  # the night's history: rows set aside, validation results
    "settles_previous": st.booleans(),  # the night rewrites the previous run's record (found interrupted)
}), min_size=2, max_size=4)


def write_history(home: Home, seq: int, night: dict, as_of: datetime) -> None:
    """The run history a night leaves: its record, per-source counts, results and quarantined rows; and,
    when it settles the previous run, that run's record rewritten (as a run finding it killed does)."""
    run = f"n{seq}"
    at = as_of - timedelta(minutes=30)
    write_ops(home, "runs", run, [{"run_id": run, "started_at": at, "finished_at": at + timedelta(minutes=5),
                                   "status": "published", "exit_code": 0, "as_of": as_of, "files_rejected": 0}])
    write_ops(home, "run_sources", run, [{"run_id": run, "source": "bookings", "files_read": 1, "files_skipped": 0,
                                          "files_rejected": 0, "rows_read": 5, "rows_accepted": 5,
                                          "rows_quarantined": night["quarantined"], "status": "ok"}])
    write_ops(home, "validation_results", run, [
        {"run_id": run, "source": "bookings", "file": f"bookings-{seq}.csv", "file_sha256": f"sha-{seq}",
         "expectation": "expect_column_values_to_not_be_null", "rule": "start", "column_name": "start_at",
         "success": night["quarantined"] == 0, "element_count": 5, "unexpected_count": night["quarantined"]}])
    write_ops(home, "quarantine", run, [
        {"run_id": run, "source": "bookings", "file": f"bookings-{seq}.csv", "file_sha256": f"sha-{seq}",
         "row_number": row, "rule": "start", "column_name": "start", "message": "no start"}
        for row in range(2, 2 + night["quarantined"])], part="bookings")
    if night["settles_previous"] and seq > 1:
        previous = f"n{seq - 1}"
        write_ops(home, "runs", previous, [{"run_id": previous, "started_at": at - timedelta(days=1),
                                            "status": "interrupted", "as_of": as_of - timedelta(days=1)}])


def write_night(home: Home, seq: int, night: dict) -> None:
    for table in ("bookings", "sessions", "intake"):
        rows = []
        for number, row in enumerate(night[table], start=2):
            row = dict(row, _file=f"{table}-{seq}.csv", _file_sha256=f"sha-{seq}", _file_seq=seq,
                       _row_number=number, _ingested_at=DEFAULT_INGESTED)
            if table == "sessions":
                row["chair_out_at"] = row["chair_in_at"] + timedelta(minutes=row.pop("chair_minutes"))
            if table == "bookings" and row["start_is_date_only"]:
                row["start_at"] = row["start_at"].replace(hour=5, minute=0)  # local midnight (EST)
            rows.append(row)
        if rows:
            path = home.lake_file(table, "2026-03", f"n{seq}-{table}-0")
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(rows, schema=LAKE[table]), path)


def table_differences(left: Path, right: Path) -> list[str]:
    """The tables whose rows differ (as multisets) between two warehouse files; also a table only one has."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{left}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{right}' AS b (READ_ONLY)")
        tables = {db: {f"{s}.{t}" for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?", [db]).fetchall()}
            for db in ("a", "b")}
        differing = sorted(tables["a"] ^ tables["b"])
        for table in sorted(tables["a"] & tables["b"]):
            counts = [con.execute(f"SELECT count(*) FROM (SELECT * FROM {x}.{table} EXCEPT ALL "
                                  f"SELECT * FROM {y}.{table})").fetchone()[0] for x, y in (("a", "b"), ("b", "a"))]
            if any(counts):
                differing.append(f"{table} ({counts[0]} rows only refreshed, {counts[1]} only rebuilt)")
        return differing
    finally:
        con.close()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("incremental")


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(nights=nights)
def test_refreshed_nights_equal_a_full_build(workspace: Path, nights: list[dict]) -> None:
    home = Home(workspace / "home")
    shutil.rmtree(home.root, ignore_errors=True)
    home.make_dirs()
    config = parse_config(CONFIG)
    as_of = FIRST_DAY + timedelta(days=3)
    refreshes = []
    for seq, night in enumerate(nights, start=1):
        write_night(home, seq, night)
        as_of += timedelta(hours=night["hours_later"])
        write_history(home, seq, night, as_of)
        backfill = None
        if night["backfill"] is not None:
            first = (FIRST_DAY + timedelta(days=night["backfill"][0])).date()
            backfill = (first, first + timedelta(days=night["backfill"][1]))
        built = build_warehouse(config, home, run_id=f"n{seq}", as_of=as_of, backfill=backfill)
        refreshes.append(built.refresh)
        publish(home, built.path)
    assert refreshes[0].startswith("full build") and all(r.startswith("refresh") for r in refreshes[1:]), refreshes
    rebuilt = build_warehouse(config, home, run_id=f"n{len(nights)}", as_of=as_of, full="the test's reference")
    try:
        assert table_differences(home.warehouse, rebuilt.path) == []
    finally:
        rebuilt.path.unlink()


def test_a_refresh_reads_new_files_and_says_so(fresh_practice) -> None:
    config, home = fresh_practice
    as_of = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    first = build_warehouse(config, home, run_id="r1", as_of=as_of)
    assert first.refresh == "full build (no live warehouse yet)"
    publish(home, first.path)
    write_night(home, 9, {"bookings": [], "intake": [], "sessions": []})  # nothing new, not even history
    again = build_warehouse(config, home, run_id="r2", as_of=as_of)
    assert again.refresh == "refresh of the live warehouse: 0 new lake file(s)"
    assert again.touched == {"appointments": 0, "patients": 0, "sessions": 0, "runs": 0, "dates": 0}
    assert again.row_counts == first.row_counts
    publish(home, again.path)
    # a day later: the appointments that started in between change outcome, and only they are touched
    later = build_warehouse(config, home, run_id="r3", as_of=as_of + timedelta(days=1))
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        started = con.execute("SELECT DISTINCT patient_key FROM core.appointments WHERE start_at > ? "
                              "AND start_at <= ?", [as_of, as_of + timedelta(days=1)]).fetchall()
        theirs, total = con.execute("SELECT count(*) FILTER (WHERE patient_key IN (SELECT * FROM unnest(?))), "
                                    "count(*) FROM core.appointments", [[p for (p,) in started]]).fetchone()
    assert later.refresh.startswith("refresh") and len(started) == later.touched["patients"] == 2
    assert later.touched["appointments"] == theirs < total


def test_an_untouched_appointment_turns_unresolved_when_its_start_passes(tmp_path: Path) -> None:
    """No new booking for it: only as_of moves past its start, and the refresh still re-derives it."""
    home = Home(tmp_path / "home")
    home.make_dirs()
    config = parse_config(CONFIG)
    booked = {"appointment_id": "A-1", "patient_key": "pk-1", "location_id": "COL", "provider_id": "P-OK",
              "resource_id": "ROOM-A", "appointment_type": "consultation",
              "start_at": FIRST_DAY + timedelta(days=5, hours=15), "start_is_date_only": False,
              "duration_minutes": 60, "status": "booked", "status_says_late": False, "created_is_date_only": False,
              "updated_at": FIRST_DAY, "age_band": "35-44", "source_format": "csv"}
    write_night(home, 1, {"bookings": [booked], "sessions": [], "intake": []})
    publish(home, build_warehouse(config, home, run_id="n1", as_of=FIRST_DAY + timedelta(days=3)).path)
    later = build_warehouse(config, home, run_id="n2", as_of=FIRST_DAY + timedelta(days=7))
    assert later.refresh == "refresh of the live warehouse: 0 new lake file(s)"
    assert (later.touched["appointments"], later.touched["dates"]) == (1, 1)
    with duckdb.connect(str(later.path), read_only=True) as con:
        assert con.execute("SELECT outcome FROM core.appointments").fetchall() == [("unresolved",)]
        assert con.execute("SELECT unresolved FROM marts.appointment_outcomes_daily").fetchall() == [(1,)]
    later.path.unlink()


def test_a_changed_lake_file_or_configuration_rebuilds_whole(fresh_practice) -> None:
    config, home = fresh_practice
    as_of = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    publish(home, build_warehouse(config, home, run_id="r1", as_of=as_of).path)
    changed = parse_config({**CONFIG, "practice": {**CONFIG["practice"], "late_cancel_hours": 48}})
    assert build_warehouse(changed, home, run_id="r2", as_of=as_of).refresh == (
        "full build (the models, the configuration or the versions changed since the live warehouse)")
    lake_file = sorted(home.lake_table("bookings").glob("*/*.parquet"))[0]
    lake_file.write_bytes(lake_file.read_bytes())  # the same bytes, written again: a rewritten file
    rebuilt = build_warehouse(config, home, run_id="r3", as_of=as_of)
    assert rebuilt.refresh.startswith("full build (the lake file lake/bookings/month=2026-03/")


def test_backfill_of_a_range_with_nothing_new_changes_nothing(tmp_path: Path) -> None:
    config, home = make_practice(tmp_path / "home")
    as_of = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    publish(home, build_warehouse(config, home, run_id="r1", as_of=as_of).path)
    kept = tmp_path / "before.duckdb"
    shutil.copyfile(home.warehouse, kept)
    built = build_warehouse(config, home, run_id="r1", as_of=as_of, backfill=(date(2026, 3, 1), date(2026, 3, 31)))
    assert built.refresh == "refresh of the live warehouse: 0 new lake file(s), backfill 2026-03-01 to 2026-03-31"
    assert built.touched["dates"] >= 31 and built.touched["appointments"] > 20
    assert table_differences(kept, built.path) == []
