"""`clinicops bench --quick` as CI runs it: the report's schema (never a timing threshold), and the floor
holding up its end: the same warehouse as the pipeline on clean files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from clinicops.bench.floor import run_floor
from clinicops.bench.practices import QUICK_SIZES
from clinicops.config import load_config
from clinicops.home import Home

SIZE_KEYS = {"booking_rows", "session_rows", "review_rows", "clinicops_s", "floor_s", "ratio", "peak_rss_mb"}


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.Popen([sys.executable, "-m", "clinicops.cli", "bench", "--quick", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        printed, _ = proc.communicate(timeout=3600)  # ~2 min on an idle machine
    finally:  # SIGTERM: the bench stops the run it is measuring (and its Prefect server) before it exits
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=120)
    assert proc.returncode == 0, printed
    return out, printed


def positive(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def test_bench_json_has_the_keys_of_operations_md(bench) -> None:
    out, _ = bench
    data = json.loads((out / "bench.json").read_text())
    assert set(data) == {"machine", "sizes", "marginal_ratio", "fixed", "incremental", "dashboard"}
    assert isinstance(data["machine"], dict) and data["machine"]["cores"] >= 1
    assert len(data["sizes"]) == len(QUICK_SIZES)
    for size in data["sizes"]:
        assert set(size) == SIZE_KEYS
        assert all(positive(size[k]) for k in SIZE_KEYS), size
        assert all(isinstance(size[k], int) for k in ("booking_rows", "session_rows", "review_rows"))
        assert size["ratio"] == pytest.approx(size["clinicops_s"] / size["floor_s"], rel=0.01)
    rows = [s["booking_rows"] for s in data["sizes"]]
    assert rows == sorted(rows) and len(set(rows)) == len(rows)
    assert data["marginal_ratio"] is None or isinstance(data["marginal_ratio"], float)
    assert set(data["fixed"]) == {"empty_run_s", "stack_start_s"} and all(map(positive, data["fixed"].values()))
    assert set(data["incremental"]) == {"1", "2"} and all(map(positive, data["incremental"].values()))
    dashboard = data["dashboard"]
    assert dashboard is None or (set(dashboard) == {"p50_ms", "p95_ms"} and all(map(positive, dashboard.values())))


def test_bench_md_shows_the_same_figures(bench) -> None:
    out, printed = bench
    data = json.loads((out / "bench.json").read_text())
    md = (out / "bench.md").read_text()
    assert md in printed
    assert data["machine"]["cpu"] in md
    table = [line for line in md.splitlines() if line.startswith("| ") and "x" in line.split("|")[1]
             and line.split("|")[1].strip()[0].isdigit()]
    assert len(table) == len(data["sizes"])
    for line, size in zip(table, data["sizes"], strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == f"{size['booking_rows']:,}" and cells[4] == f"{size['clinicops_s']:,.1f}"
        assert cells[5] == f"{size['floor_s']:,.2f}" and cells[6] == f"{size['ratio']:,.1f}x"
        assert "(equal)" in cells[8], line
    for months, seconds in data["incremental"].items():
        assert f"| {months} | {seconds:,.1f} |" in md
    assert ("| p50 / p95 | null |" in md and "not timed" in md) if data["dashboard"] is None else "| p95 |" in md


def test_the_floor_builds_the_same_warehouse_as_clinicops_on_clean_files(bench, tmp_path) -> None:
    """Same rows in core.appointments (every column but patient_key, which the floor has no vault for) and in
    the marts that do not count patients by key."""
    out, _ = bench
    size = QUICK_SIZES[-1]
    practice = Home(out / "work" / "practices" / size / "practice")
    published = Home(out / "work" / "homes" / size).warehouse
    stamp = json.loads((out / "work" / "practices" / size / "generated.json").read_text())
    from datetime import datetime

    scratch = tmp_path / "floor.duckdb"
    result = run_floor(practice, load_config(practice.config_file), datetime.fromisoformat(stamp["as_of"]), scratch,
                       keep=True)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{published}' AS clinicops (READ_ONLY)")
        con.execute(f"ATTACH '{scratch}' AS floor (READ_ONLY)")
        tables = {"core.appointments": "* exclude (patient_key)", "core.calendar": "*",
                  "marts.utilization_daily": "*", "marts.appointment_outcomes_daily": "*",
                  "marts.no_show_by_lead_time": "*", "marts.referral_funnel_monthly": "*",
                  "marts.new_patients_monthly": "*", "core.infusion_sessions": "* exclude (patient_key)",
                  "core.reviews": "* exclude (updated_at)",  # CSV reviews: the ingest instant
                  "core.review_snapshots": "*", "marts.review_ratings_monthly": "*"}
        for table, columns in tables.items():
            ours = con.execute(f"select count(*) from clinicops.{table}").fetchall()[0][0]
            assert ours == result.row_counts[table], table
            for a, b in (("clinicops", "floor"), ("floor", "clinicops")):
                missing = con.execute(f"select count(*) from (select {columns} from {a}.{table} "
                                      f"except all select {columns} from {b}.{table})").fetchall()[0][0]
                assert missing == 0, f"{table}: {missing} rows of {a} not in {b}"
        assert result.row_counts["core.appointments"] > 0
    finally:
        con.close()
