"""The dashboard in a real headless Chromium on the demo practice: every page, headline figures against direct
SQL on the marts, each filter, small-cell suppression, no request off the machine, a publish while a page is
open, and the page shown when there is no warehouse."""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from clinicops.dashboard.app import PAGES

SMALL = 11
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def number(text: str) -> float:
    """'1,234' -> 1234.0; '4.6 %' -> 4.6."""
    return float(text.replace(",", "").replace("%", "").strip())


def expect(dash_text: str, value: float | None, patients: int, *, rate: bool = False) -> None:
    """The page shows "<11" exactly when fewer than 11 patients are behind the figure, else the figure."""
    if patients < SMALL:
        assert dash_text == "<11", f"{dash_text!r} shown for a figure from {patients} patients"
    elif value is None:
        assert dash_text == "–"
    elif rate:
        assert number(dash_text) == pytest.approx(100 * value, abs=0.05)
    else:
        assert number(dash_text) == value


def yesterday_of(con: duckdb.DuckDBPyConnection) -> date:
    return con.execute("select as_of_date from ops.build_info").fetchall()[0][0] - timedelta(days=1)


def outcomes(con: duckdb.DuckDBPyConnection, first: date, last: date, where: str = "true", *params) -> dict:
    """Figures straight from marts.appointment_outcomes_daily and the patients straight from core.appointments."""
    completed, no_show, late, kept = con.execute(
        f"select sum(completed), sum(no_show), sum(late_cancel), sum(kept_and_missed) "
        f"from marts.appointment_outcomes_daily where date between ? and ? and {where}",
        [first, last, *params]).fetchall()[0]
    patients_completed, patients_kept = con.execute(
        f"select count(distinct patient_key) filter (where outcome = 'completed'), "
        f"count(distinct patient_key) filter (where outcome in ('completed', 'no_show', 'late_cancel')) "
        f"from core.appointments where start_date between ? and ? and {where}", [first, last, *params]).fetchall()[0]
    return {"completed": completed or 0, "kept": kept or 0,
            "no_show_rate": no_show / kept if kept else None, "late_cancel_rate": late / kept if kept else None,
            "patients_completed": patients_completed, "patients_kept": patients_kept}


def test_every_page_loads_on_the_demo_with_data_health_and_no_request_off_the_machine(dash) -> None:
    for title, path, _, _ in PAGES:
        dash.open(path)
        assert dash.page.locator("h1").first.inner_text().startswith(title.split()[0])
        assert dash.page.locator('[data-testid="stException"]').count() == 0
        assert dash.page.get_by_text("could not be drawn").count() == 0
        sidebar = dash.page.locator('[data-testid="stSidebar"]')
        assert "Data health" in sidebar.inner_text() and "Last run: published" in sidebar.inner_text()
        assert "newest data" in sidebar.inner_text()
        dash.shot(path or "today")
    assert dash.requests and any("127.0.0.1" in r for r in dash.requests)
    assert dash.off_machine() == []


def test_the_server_holds_no_warehouse_connection_between_page_views(dash, server, dashboard_home) -> None:
    """A page view opens the published file read-only and closes it when drawn: nothing stays open to block or
    outlive a publish."""
    dash.open("utilization")
    assert server.pids()
    assert str(dashboard_home.warehouse) not in server.open_files()


def test_today_headline_figures_equal_direct_sql_on_the_marts(dash, warehouse) -> None:
    yesterday = yesterday_of(warehouse)
    monday = yesterday - timedelta(days=yesterday.weekday())
    dash.open()
    for period, first in (("yesterday", yesterday), ("this week", monday)):
        want = outcomes(warehouse, first, yesterday)
        expect(dash.metric(f"Completed {period}"), want["completed"], want["patients_completed"])
        expect(dash.metric(f"No-show rate {period}"), want["no_show_rate"], want["patients_kept"], rate=True)
        expect(dash.metric(f"Late-cancel rate {period}"), want["late_cancel_rate"], want["patients_kept"], rate=True)
        used, available = warehouse.execute(
            "select sum(completed_minutes), sum(available_minutes) from marts.utilization_daily "
            "where resource_kind = 'chair' and date between ? and ?", [first, yesterday]).fetchall()[0]
        chair_patients = warehouse.execute(
            "select count(distinct a.patient_key) from core.appointments a join marts.utilization_daily u "
            "on u.resource_id = a.resource_id and u.date = a.start_date and u.resource_kind = 'chair' "
            "where a.outcome in ('completed', 'no_show', 'late_cancel', 'upcoming', 'unresolved') "
            "and a.start_date between ? and ?", [first, yesterday]).fetchall()[0][0]
        expect(dash.metric(f"Utilization {period}"), used / available if available else None, chair_patients,
               rate=True)
        new = warehouse.execute("select count(*) from core.patients where first_visit_date between ? and ?",
                                [first, yesterday]).fetchall()[0][0]
        expect(dash.metric(f"New patients {period}"), new, new)
    assert number(dash.metric("Completed yesterday")) > 0  # the demo's last day is a working day


def test_the_location_and_date_filters_narrow_the_figures(dash, warehouse) -> None:
    first, last = date(2026, 6, 1), date(2026, 6, 30)
    for location in ("COL", "GVL"):
        dash.open("no-shows", location=location, **{"from": first.isoformat(), "to": last.isoformat()})
        assert f"{first} to {last}, {location}" in dash.page.locator("main").inner_text()
        want = outcomes(warehouse, first, last, "location_id = ?", location)
        expect(dash.metric("Kept + missed"), want["kept"], want["patients_kept"])
        expect(dash.metric("No-show rate"), want["no_show_rate"], want["patients_kept"], rate=True)
    both = outcomes(warehouse, first, last)
    dash.open("no-shows", **{"from": first.isoformat(), "to": last.isoformat()})
    expect(dash.metric("Kept + missed"), both["kept"], both["patients_kept"])


def test_the_provider_filter_chosen_in_the_sidebar(dash, warehouse) -> None:
    dash.open("no-shows")
    provider = "P-OKAFOR"
    dash.page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Provider").click()
    dash.page.get_by_role("option", name=provider).click()
    dash.page.wait_for_url(f"**provider={provider}**")
    dash.wait_drawn(f"all locations, {provider}")
    dash.wait_drawn()
    end = yesterday_of(warehouse)
    want = outcomes(warehouse, end - timedelta(days=29), end, "provider_id = ?", provider)
    expect(dash.metric("Kept + missed"), want["kept"], want["patients_kept"])
    expect(dash.metric("No-show rate"), want["no_show_rate"], want["patients_kept"], rate=True)
    rows = dash.table("provider_id")
    assert [r["provider_id"] for r in rows] == [provider]


def test_small_cells_show_suppressed(dash, warehouse) -> None:
    """One provider for one week: most appointment types come from a handful of patients."""
    end = yesterday_of(warehouse)
    first = end - timedelta(days=6)
    dash.open("no-shows", provider="P-OKAFOR", **{"from": first.isoformat(), "to": end.isoformat()})
    rows = dash.table("appointment_type")
    assert rows
    patients = dict(warehouse.execute(
        "select appointment_type, count(distinct patient_key) from core.appointments "
        "where outcome in ('completed', 'no_show', 'late_cancel') and provider_id = 'P-OKAFOR' "
        "and start_date between ? and ? group by all", [first, end]).fetchall())
    kept = dict(warehouse.execute(
        "select appointment_type, sum(kept_and_missed) from marts.appointment_outcomes_daily "
        "where provider_id = 'P-OKAFOR' and date between ? and ? group by all", [first, end]).fetchall())
    for row in rows:
        expect(row["kept_and_missed"], kept[row["appointment_type"]], patients[row["appointment_type"]])
        if patients[row["appointment_type"]] < SMALL:
            assert row["no_show_rate"] == "<11" and row["late_cancel_rate"] == "<11"
    assert any(r["kept_and_missed"] == "<11" for r in rows)
    # the CSV carries the same suppressed cells, never the small figure
    with dash.page.expect_download() as download:
        dash.page.get_by_role("button", name="Download By appointment type (CSV)").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv_text.startswith("appointment_type,kept_and_missed") and "<11" in csv_text


def test_every_page_survives_a_publish_while_open(dash, dashboard_home, warehouse, tmp_path) -> None:
    """The nightly run swaps a new file in with os.replace while a page is open: a reload shows its figures."""
    yesterday = yesterday_of(warehouse)
    newest = warehouse.execute("select site, review_id from marts.review_texts "
                               "order by published_at desc, site, review_id limit 1").fetchall()[0]
    warehouse.close()
    dash.open()
    before = number(dash.metric("Completed yesterday"))
    live = dashboard_home.warehouse
    kept_copy = tmp_path / "original.duckdb"
    shutil.copy2(live, kept_copy)
    built = tmp_path / "next.duckdb"
    shutil.copy2(live, built)
    con = duckdb.connect(str(built))
    con.execute("update marts.appointment_outcomes_detail set completed = completed + 1000 where rowid = "
                "(select min(rowid) from marts.appointment_outcomes_detail where date = ?)", [yesterday])
    con.execute("""update marts.review_texts set text = '=HYPERLINK("http://127.0.0.1/x","prize")'
                   where site = ? and review_id = ?""", list(newest))
    con.close()
    try:
        os.replace(built, live)  # as warehouse/publish.py does
        dash.reload()
        assert number(dash.metric("Completed yesterday")) == before + 1000
        assert dash.table("published_date")[0]["text"].startswith("=HYPERLINK(")
        with dash.page.expect_download() as download:
            dash.page.get_by_role("button", name="Download Newest reviews (CSV)").click()
        csv_text = Path(download.value.path()).read_text(encoding="utf-8")
        assert "'=HYPERLINK(" in csv_text and ',"=HYPERLINK' not in csv_text and ",=HYPERLINK" not in csv_text
    finally:
        os.replace(kept_copy, live)
    dash.reload()
    assert number(dash.metric("Completed yesterday")) == before


def test_no_warehouse_or_an_unusable_one_says_what_to_run(dash, dashboard_home, tmp_path) -> None:
    live = dashboard_home.warehouse
    aside = tmp_path / "published.duckdb"
    os.replace(live, aside)
    try:
        for path in ("", "data-health"):
            dash.open(path, marker="clinicops run --home")
            text = dash.page.locator("main").inner_text()
            assert "There is no published warehouse" in text and "make demo" in text
            assert dash.page.locator('[data-testid="stException"]').count() == 0
        dash.shot("no-warehouse")
        duckdb.connect(str(live)).close()  # an empty DuckDB file
        dash.reload(marker="clinicops run --home")
        assert "not built by this version of clinicops" in dash.page.locator("main").inner_text()
        live.unlink()
        live.write_bytes(b"this is not a database\n" * 100)
        dash.reload(marker="clinicops run --home")
        assert "is not a warehouse clinicops can read" in dash.page.locator("main").inner_text()
        # a warehouse with no appointments yet: the appointment pages say so, data health still shows
        live.unlink()
        shutil.copy2(aside, live)
        con = duckdb.connect(str(live))
        for table in ("appointment_outcomes_daily", "appointment_outcomes_detail", "appointment_patients"):
            con.execute(f"delete from marts.{table}")
        con.close()
        dash.open("", marker="holds no appointments yet")
        dash.open("data-health")
        assert dash.table("source")
    finally:
        live.unlink(missing_ok=True)
        os.replace(aside, live)
    assert dash.page.locator('[data-testid="stException"]').count() == 0


def test_data_health_shows_freshness_runs_quarantine_and_the_validation_report(dash, warehouse) -> None:
    dash.open("data-health")
    fresh = dash.table("source")
    assert [r["source"] for r in fresh][:3] == ["bookings", "reviews", "sessions"]
    runs = dash.table("run_id")
    assert runs[0]["run_id"] == warehouse.execute("select run_id from ops.build_info").fetchall()[0][0]
    assert runs[0]["status"] == "published_with_errors"
    rules = {(r["source"], r["rule"]): r["rows_set_aside"] for r in dash.table("source", having="rule")}
    want = dict(((s, r), f"{n:,}") for s, r, n in warehouse.execute(
        "select source, rule, count(*) from ops.quarantine group by all").fetchall())
    assert rules == want and want
    report = dash.page.frame_locator("iframe").first.locator("h1")
    assert "Validation report" in report.inner_text()
