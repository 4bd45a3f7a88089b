"""The real nightly flow (Prefect, GX, DuckDB, Parquet) on a small hand-made practice in a temp folder."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from clinicops.flows.nightly import run_nightly
from clinicops.runlock import RunLocked, run_lock
from tests.practice import PHI, booking, make_practice, run_contract_checker, write_csv

AS_OF = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 02:00 in New York


def table_contents(path: Path) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [f"{s}.{t}" for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in ('core', 'marts') "
            "order by 1, 2").fetchall()]
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory):
    home = make_practice(tmp_path_factory.mktemp("practice"))
    return home, run_nightly(home, AS_OF)


def test_a_night_publishes_a_warehouse_that_meets_the_contract(first_run) -> None:
    home, summary = first_run
    assert summary.exit_code == 0, summary.message
    assert home.warehouse.exists() and summary.report and summary.report.exists()
    bookings = summary.sources["bookings"]
    assert (bookings.rows_read, bookings.rows_accepted, bookings.rows_quarantined) == (6, 4, 2)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    outcomes = dict(con.execute("select appointment_id, outcome from core.appointments").fetchall())
    assert outcomes == {"A1": "completed", "A2": "no_show", "A3": "late_cancel", "A4": "upcoming"}
    quarantine = con.execute("select file, row_number, rule, column_name from ops.quarantine order by row_number"
                             ).fetchall()
    assert [(f, r, c) for f, r, _, c in quarantine] == [("bookings_2026-11.csv", 6, "provider_id"),
                                                        ("bookings_2026-11.csv", 7, "start")]
    assert con.execute("select count(*) from ops.validation_results where source = 'bookings'").fetchall()[0][0] > 5
    assert con.execute("select status, exit_code from ops.runs").fetchall() == [("published", 0)]
    con.close()


def test_the_published_warehouse_passes_the_shared_checker(first_run) -> None:
    home, summary = first_run
    assert summary.exit_code == 0, summary.message
    run_contract_checker(home.warehouse)


def test_the_run_leaves_a_markdown_summary_artifact(first_run) -> None:
    from prefect.artifacts import Artifact

    from clinicops.flows.nightly import ARTIFACT_KEY

    _, summary = first_run
    artifact = Artifact.get(ARTIFACT_KEY)
    assert artifact is not None and artifact.type == "markdown"
    assert summary.run_id in artifact.data and "| bookings | 1 | 0 | 0 | 6 | 4 | 2 |" in artifact.data


def test_no_phi_downstream_of_the_landing_copy(first_run) -> None:
    home, _ = first_run
    prefect_db = list(Path(os.environ["PREFECT_HOME"]).glob("prefect.db*"))  # flow runs, task runs, artifacts
    places = [*home.lake.rglob("*.parquet"), *home.ops.rglob("*.parquet"), *home.reports.rglob("*.html"),
              home.warehouse, home.manifest, *prefect_db]
    assert len(places) > 5 and prefect_db
    for path in places:
        blob = path.read_bytes()
        for value in PHI:
            assert value.encode() not in blob, f"{value!r} found in {path}"
    con = duckdb.connect(str(home.warehouse), read_only=True)
    columns = con.execute("select schema_name, table_name, column_name from duckdb_columns() "
                          "where data_type = 'VARCHAR' and schema_name in ('core', 'marts', 'ops')").fetchall()
    for schema, table, column in columns:
        values = " ".join(str(v) for (v,) in con.execute(f'select "{column}" from {schema}.{table}').fetchall())
        for value in PHI:
            assert value not in values, f"{value!r} in {schema}.{table}.{column}"
    con.close()


def test_a_rerun_with_a_duplicate_export_changes_nothing(first_run) -> None:
    home, _ = first_run
    before = table_contents(home.warehouse)
    keys_before = home.vault.read_bytes()
    original = home.inbox("bookings") / "bookings_2026-11.csv"
    (home.inbox("bookings") / "copy of bookings.csv").write_bytes(original.read_bytes())
    summary = run_nightly(home, AS_OF)
    assert summary.exit_code == 0
    assert summary.sources["bookings"].files_read == 0 and summary.sources["bookings"].files_skipped == 2
    assert table_contents(home.warehouse) == before
    assert home.vault.read_bytes() == keys_before


def test_a_reader_holding_the_warehouse_keeps_working_through_a_publish(first_run) -> None:
    home, _ = first_run
    reader = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time\n"
         f"con = duckdb.connect({str(home.warehouse)!r}, read_only=True)\n"
         "print(con.execute('select count(*) from core.appointments').fetchall()[0][0], flush=True)\n"
         "sys.stdin.readline()\n"
         "print(con.execute('select count(*) from core.appointments').fetchall()[0][0], flush=True)\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    first = reader.stdout.readline().strip()
    write_csv(home.inbox("bookings") / "bookings_2026-11-22.csv", [booking("A5", "2026-11-23 10:00")])
    summary = run_nightly(home, AS_OF)
    out, _ = reader.communicate("go\n", timeout=60)
    assert summary.exit_code == 0 and reader.returncode == 0
    assert first == out.strip() == "4"
    con = duckdb.connect(str(home.warehouse), read_only=True)
    assert con.execute("select count(*) from core.appointments").fetchall()[0][0] == 5
    con.close()


def test_a_file_missing_start_is_rejected_by_name_and_the_rest_is_published(tmp_path: Path) -> None:
    home = make_practice(tmp_path)
    row = booking("B1", "2026-11-16 10:00")
    del row["start"]
    write_csv(home.inbox("bookings") / "broken_export.csv", [row])
    summary = run_nightly(home, AS_OF)
    assert summary.exit_code == 3
    assert "broken_export.csv" in summary.message and "'start'" in summary.message
    con = duckdb.connect(str(home.warehouse), read_only=True)
    assert con.execute("select count(*) from core.appointments").fetchall()[0][0] == 4
    assert con.execute("select file from ops.rejected_files").fetchall() == [("broken_export.csv",)]
    assert con.execute("select status, exit_code from ops.runs").fetchall() == [("published_with_errors", 3)]
    con.close()


def test_a_second_run_at_the_same_time_refuses(tmp_path: Path) -> None:
    home = make_practice(tmp_path)
    with run_lock(home), pytest.raises(RunLocked, match="another clinicops run is in progress"):
        run_nightly(home, AS_OF)
    assert not home.warehouse.exists()


def test_a_failed_build_leaves_yesterdays_warehouse(tmp_path: Path) -> None:
    home = make_practice(tmp_path)
    assert run_nightly(home, AS_OF).exit_code == 0
    before = home.warehouse.read_bytes()
    # a lake file that is not Parquet: the build fails, nothing is published
    broken = home.lake / "bookings" / "month=2026-11" / "broken.parquet"
    broken.write_bytes(b"not parquet")
    summary = run_nightly(home, AS_OF)
    assert summary.exit_code == 1 and "was not built" in summary.message
    assert home.warehouse.read_bytes() == before
    from prefect import get_client

    with get_client(sync_client=True) as client:  # the flow run itself is marked failed, visibly
        [latest] = client.read_flow_runs(limit=1, sort="START_TIME_DESC")
    assert latest.state.is_failed() and "was not built" in latest.state.message
    broken.unlink()
    fixed = run_nightly(home, AS_OF)
    assert fixed.exit_code == 0
    con = duckdb.connect(str(home.warehouse), read_only=True)
    assert [s for (s,) in con.execute("select status from ops.runs order by started_at").fetchall()] == [
        "published", "failed", "published"]
    con.close()
