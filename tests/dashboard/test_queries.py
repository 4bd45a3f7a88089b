"""The dashboard's parts that need no browser: the queries on the demo warehouse (read-only), the patients
behind suppressed figures, the formula-safe CSV, and the offline settings of the Streamlit server."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import duckdb
import pandas as pd
import pytest

from clinicops.dashboard import display, launch, queries
from clinicops.home import Home


@pytest.fixture(scope="module")
def demo_warehouse(demo_practice) -> duckdb.DuckDBPyConnection:
    home, out, code = demo_practice
    assert code == 0, out
    con = duckdb.connect(str(home.warehouse), read_only=True)
    con.execute("set TimeZone = ?", [con.execute("select timezone from ops.build_info").fetchall()[0][0]])
    yield con
    con.close()


def test_bench_queries_answer_on_the_published_warehouse(demo_warehouse) -> None:
    named = queries.bench_queries()
    assert {"today", "utilization_heatmap", "referral_funnel_year"} <= {name for name, _ in named}
    for name, run in named:
        result = run(demo_warehouse)
        assert len(result) > 0, name


def test_the_patients_behind_a_breakdown_are_distinct_patients(demo_warehouse) -> None:
    f = queries.default_filters(demo_warehouse)
    by_type = queries.outcomes_by(demo_warehouse, f, "appointment_type").set_index("appointment_type")
    want = dict(demo_warehouse.execute(
        "select appointment_type, count(distinct patient_key) from core.appointments "
        "where outcome in ('completed', 'no_show', 'late_cancel') and start_date between ? and ? group by all",
        [f.start, f.end]).fetchall())
    assert by_type["patients_kept_and_missed"].to_dict() == want
    # not additive: the types' patients add up to more than the patients of the whole range
    total = queries.outcome_totals(demo_warehouse, f)["patients_kept_and_missed"]
    assert sum(want.values()) > total
    assert by_type["kept_and_missed"].sum() == queries.outcome_totals(demo_warehouse, f)["kept_and_missed"]


def test_the_funnel_of_a_location_sums_to_the_mart_over_all_locations(demo_warehouse) -> None:
    f = queries.default_filters(demo_warehouse)
    year = queries.Filters(f.end - timedelta(days=365), f.end)
    funnel = queries.referral_funnel(demo_warehouse, year).set_index("referral_source")
    mart = demo_warehouse.execute(
        "select sum(patients_booked), sum(infusions_started) from marts.referral_funnel_monthly "
        "where month between ? and ?", [year.start.replace(day=1), year.end]).fetchall()[0]
    assert (funnel.loc["all sources", "patients_booked"], funnel.loc["all sources", "infusions_started"]) == mart
    by_location = [queries.referral_funnel(demo_warehouse, queries.Filters(year.start, year.end, loc))
                   for loc in ("COL", "GVL")]
    assert sum(df.set_index("referral_source").loc["all sources", "patients_booked"] for df in by_location) == mart[0]


def test_suppression_hides_figures_from_fewer_than_eleven_patients() -> None:
    df = pd.DataFrame({"source": ["=cmd", "web"], "n": [4, 40], "patients_n": [4, 40], "rate": [0.5, 0.25]})
    shown = display.suppressed_table(df, {"n": ("patients_n", display.count), "rate": ("patients_n", display.percent)})
    assert shown.to_dict("records") == [{"source": "=cmd", "n": "<11", "rate": "<11"},
                                        {"source": "web", "n": "40", "rate": "25.0 %"}]
    assert display.shown(10, 10) == "<11" and display.shown(11, 11) == "11" and display.shown(3, None) == "<11"


def test_csv_downloads_neutralise_formula_prefixes() -> None:
    df = pd.DataFrame({"text": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "plain", "-3.5 %", "<11"]})
    lines = display.safe_csv(df).decode().splitlines()
    assert lines[1:6] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx"]
    assert lines[6:] == ["plain", "-3.5 %", "<11"]


def test_the_server_is_started_offline_on_the_loopback(tmp_path) -> None:
    home = Home(tmp_path)
    command = launch.command(home, 8599)
    flags = dict(arg[2:].split("=", 1) for arg in command if arg.startswith("--") and "=" in arg)
    assert flags["server.address"] == "127.0.0.1" and flags["server.port"] == "8599"
    assert flags["browser.gatherUsageStats"] == "false" and flags["server.headless"] == "true"
    assert flags["client.showErrorLinks"] == "false" and flags["client.disableDataExport"] == "true"
    assert command[-2:] == ["--home", str(tmp_path)]
    env = launch.environment(8599)
    assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"
    assert env["STREAMLIT_SERVER_ADDRESS"] == "127.0.0.1"


def test_clinicops_dashboard_help() -> None:
    done = subprocess.run([sys.executable, "-m", "clinicops.cli", "dashboard", "--help"], capture_output=True,
                          text=True)
    assert done.returncode == 0 and "--port" in done.stdout and "--home" in done.stdout
