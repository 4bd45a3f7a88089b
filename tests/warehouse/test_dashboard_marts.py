"""The marts added for the dashboard, on the hand-made practice of conftest.py (figures worked out by hand).

America/New_York, EDT (UTC-4) from Sun 8 March. COL opens Mon-Fri 08:00-17:00; P-OK works Mon/Wed/Fri
08:00-16:00.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

D = date.fromisoformat
HOURLY = ("select hour, available_minutes, scheduled_minutes, completed_minutes from marts.utilization_hourly "
          "where date = ? and resource_id = ? order by hour")


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def test_hourly_minutes_split_an_appointment_over_its_hours(wh: duckdb.DuckDBPyConnection) -> None:
    # Tue 10 March, ROOM-A: F-1 08:00 30 min completed; N-1 09:00 no-show; C-2359 11:00, C-AFTER 12:00 and
    # C-WORD 13:00 late cancels hold their slots; C-24 (early) and C-CLINIC do not; open 08:00-17:00
    found = rows(wh, HOURLY, D("2026-03-10"), "ROOM-A")
    assert found == [(8, 60, 30, 30), (9, 60, 30, 0), (10, 60, 0, 0), (11, 60, 30, 0), (12, 60, 30, 0),
                     (13, 60, 30, 0), (14, 60, 0, 0), (15, 60, 0, 0), (16, 60, 0, 0)]
    # Wed 11 March, P-OK: AB-1 10:00 EDT, 60 min completed; available 08:00-16:00
    found = rows(wh, HOURLY, D("2026-03-11"), "P-OK")
    assert [h for h, *_ in found] == list(range(8, 16)) and (10, 60, 60, 60) in found
    assert all(a == 60 for _, a, _, _ in found)


def test_hourly_minutes_stop_at_midnight_and_keep_hours_outside_opening(wh: duckdb.DuckDBPyConnection) -> None:
    # A-LATE: Mon 2 March 23:30 EST for 50 minutes: 30 of them in hour 23 (closed: available 0), none after
    assert (23, 0, 30, 30) in rows(wh, HOURLY, D("2026-03-02"), "ROOM-A")
    hourly, daily = rows(wh, """
        select (select sum(scheduled_minutes) from marts.utilization_hourly where date = '2026-03-02'
                and resource_id = 'ROOM-A'),
               (select scheduled_minutes from marts.utilization_daily where date = '2026-03-02'
                and resource_id = 'ROOM-A')""")[0]
    assert (hourly, daily) == (30, 50)


def test_hourly_available_minutes_add_up_to_the_daily_ones(wh: duckdb.DuckDBPyConnection) -> None:
    mismatched = rows(wh, """
        select d.date, d.resource_id, d.available_minutes, coalesce(h.available, 0)
        from marts.utilization_daily d
        left join (select date, resource_kind, resource_id, sum(available_minutes) as available
                   from marts.utilization_hourly group by all) h using (date, resource_kind, resource_id)
        where d.available_minutes <> coalesce(h.available, 0)""")
    assert mismatched == []


def test_outcome_detail_sums_to_the_daily_outcomes(wh: duckdb.DuckDBPyConnection) -> None:
    columns = "appointments, completed, no_show, late_cancel, early_cancel, clinic_cancel, upcoming, unresolved"
    daily = rows(wh, f"select date, location_id, provider_id, appointment_type, {columns} "
                     "from marts.appointment_outcomes_daily order by all")
    sums = ", ".join(f"sum({c})::bigint" for c in columns.split(", "))
    detail = rows(wh, f"select date, location_id, provider_id, appointment_type, {sums} "
                      "from marts.appointment_outcomes_detail group by all order by all")
    assert daily == detail and len(daily) > 5


@pytest.mark.parametrize(("appointment_id", "visit", "kept_or_missed", "holds_slot"), [
    ("F-1", "new", True, True),          # pk-c's first visit (08:00)
    ("N-1", "returning", True, True),    # the same day at 09:00: after the first visit
    ("C-24", "returning", False, False),  # early cancel: neither in the rates' base nor a held slot
    ("T-2", "returning", False, True),   # upcoming; pk-d's first visit was D-3 (date-only, 30 March)
    ("V-1", "new", True, True),          # pk-v's first visit
])
def test_appointment_patients_flags(wh: duckdb.DuckDBPyConnection, appointment_id: str, visit: str,
                                    kept_or_missed: bool, holds_slot: bool) -> None:
    found = rows(wh, "select patient_visit, is_kept_or_missed, holds_slot from marts.appointment_patients "
                     "where appointment_id = ?", appointment_id)
    assert found == [(visit, kept_or_missed, holds_slot)]


def test_appointment_patients_leaves_excluded_out_and_counts_patients(wh: duckdb.DuckDBPyConnection) -> None:
    assert rows(wh, "select count(*) from marts.appointment_patients where appointment_id in ('E-2', 'GH-1')") == [(0,)]
    assert rows(wh, "select count(distinct patient_key) from marts.appointment_patients") == rows(
        wh, "select count(*) from core.patients")
    # the same patients behind Tue 10 March's kept + missed in ROOM-A: pk-c only
    assert rows(wh, "select count(distinct patient_key), count(*) from marts.appointment_patients "
                    "where date = '2026-03-10' and is_kept_or_missed") == [(1, 5)]


def test_referral_patients_sum_to_the_funnel(wh: duckdb.DuckDBPyConnection) -> None:
    funnel = rows(wh, "select month, referral_source, patients_booked, first_visits_completed, infusions_started, "
                      "series_completed from marts.referral_funnel_monthly order by all")
    summed = rows(wh, """
        select first_booking_month, referral_source, count(*), count(*) filter (where first_visit_completed),
               count(*) filter (where infusion_started), count(*) filter (where series_completed)
        from marts.referral_patients group by all order by all""")
    assert funnel == summed
    # pk-u (only an upcoming booking, no first visit) is counted at its booking's location
    assert rows(wh, "select location_id, first_visit_completed from marts.referral_patients "
                    "where patient_key = 'pk-u'") == [("COL", False)]


def test_review_texts_are_the_reviews_we_hold(wh: duckdb.DuckDBPyConnection) -> None:
    assert rows(wh, "select count(*) from marts.review_texts") == rows(wh, "select count(*) from core.reviews")
