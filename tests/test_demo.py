"""The README's demo command as a new user runs it: the printed figures are the warehouse's, the
warehouse meets the contract, and the demo's planted PHI reaches nothing downstream of the landing copy."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from clinicops.home import Home
from tests.practice import run_contract_checker


@pytest.fixture(scope="module")
def demo(demo_practice: tuple[Home, str, int]) -> tuple[Home, str, int]:
    return demo_practice  # generated and run once per session (tests/conftest.py), shared with the dashboard tests


def test_the_demo_publishes_and_says_where_everything_is(demo) -> None:
    home, out, code = demo
    assert code == 0, out
    assert "published_with_errors (exit 3)" in out and "sessions_corrupt.csv" in out
    assert str(home.warehouse) in out and "validation report" in out
    assert f"clinicops dashboard --home {home.root}" in out
    assert home.latest_report.exists()


def test_the_printed_figures_match_a_direct_query(demo) -> None:
    home, out, _ = demo
    first, last = re.search(r"demo practice, (\S+) to (\S+):", out).groups()
    no_show = float(re.search(r"no-show rate:\s+([\d.]+) %", out).group(1))
    completed, scheduled = (float(x) for x in re.search(
        r"chair utilization:\s+([\d.]+) % completed, ([\d.]+) % scheduled", out).groups())
    new_patients = {m: int(n) for m, n in re.findall(r"new patients (\d{4}-\d{2}):\s+(\d+)", out)}
    con = duckdb.connect(str(home.warehouse), read_only=True)
    sql_no_show = con.execute(
        "select 100.0 * sum(no_show) / sum(completed + no_show + late_cancel) from core.appointments "
        "pivot (count(*) for outcome in ('completed', 'no_show', 'late_cancel')) "
        "where start_date between ? and ?", [first, last]).fetchall()[0][0]
    sql_chairs = con.execute(
        "select 100.0 * sum(completed_minutes) / sum(available_minutes), "
        "100.0 * sum(scheduled_minutes) / sum(available_minutes) from marts.utilization_daily "
        "where resource_kind = 'chair' and date between ? and ?", [first, last]).fetchall()[0]
    sql_new = dict(con.execute("select strftime(cohort_month, '%Y-%m'), count(*) from core.patients "
                               "where cohort_month is not null group by all").fetchall())
    con.close()
    assert no_show == pytest.approx(sql_no_show, abs=0.05)
    assert 2 < no_show < 12  # a realistic practice (MGMA: 5-7 %)
    assert (completed, scheduled) == (pytest.approx(sql_chairs[0], abs=0.05), pytest.approx(sql_chairs[1], abs=0.05))
    assert 40 < scheduled < 100
    assert new_patients and all(sql_new[m] == n for m, n in new_patients.items())


def test_the_demo_warehouse_meets_the_contract(demo) -> None:
    home, _, _ = demo
    assert run_contract_checker(home.warehouse).strip().endswith("checks hold")


def test_the_demo_planted_phi_stays_in_the_landing_copy(demo) -> None:
    home, out, _ = demo
    planted: set[str] = set()
    patient_ids: set[str] = set()
    for path in sorted(home.inbox("bookings").glob("bookings_export_*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                planted.add(f"{row['patient_first_name']} {row['patient_last_name']}")
                planted.update({row["patient_phone"], row["patient_email"]})
                patient_ids.add(row["patient_id"])
    planted.discard("")
    assert len(planted) > 1000
    places = [*home.lake.rglob("*.parquet"), *home.ops.rglob("*.parquet"), *home.reports.rglob("*.html"),
              home.warehouse]
    for path in places:
        blob = path.read_bytes()
        found = [v for v in planted if v.encode() in blob]
        assert not found, f"{found[:3]} in {path}"
    assert not [v for v in planted if v in out]
    # source patient ids are short numbers here, so look for them as whole values of any text column
    con = duckdb.connect(str(home.warehouse), read_only=True)
    for schema, table, column in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() where data_type = 'VARCHAR' "
            "and schema_name in ('core', 'marts', 'ops')").fetchall():
        values = {v for (v,) in con.execute(f'select distinct "{column}" from {schema}.{table}').fetchall()}
        assert not values & patient_ids, f"a source patient id in {schema}.{table}.{column}"
    con.close()


def test_duckdb_1_4_opens_the_published_warehouse(demo) -> None:
    """Analysts may still use DuckDB 1.4: the file is written in storage version v1.4.0, comments and
    TIMESTAMPTZ intact. `make test` provides a DuckDB 1.4 interpreter in CLINICOPS_OLD_DUCKDB_PYTHON."""
    old_python = os.environ.get("CLINICOPS_OLD_DUCKDB_PYTHON")
    if not old_python:
        pytest.skip("run through `make test`, which installs DuckDB 1.4 beside the project")
    home, _, _ = demo
    probe = Path(__file__).with_name("old_duckdb_probe.py")
    done = subprocess.run([old_python, str(probe), str(home.warehouse)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    old = json.loads(done.stdout)
    assert old["version"].startswith("1.4.")
    con = duckdb.connect(str(home.warehouse), read_only=True)
    rows = {f"{s}.{t}": con.execute(f"select count(*) from {s}.{t}").fetchall()[0][0]
            for s, t in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()}
    con.close()
    assert old["rows"] == rows and rows["core.appointments"] > 1000
    assert old["comment"] and old["start_at"] == "TIMESTAMP WITH TIME ZONE"
