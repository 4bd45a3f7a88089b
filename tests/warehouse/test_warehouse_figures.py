"""The hand-made practice of conftest.py, built and published: every figure below is worked out by hand."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

D = date.fromisoformat


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> tuple:
    found = rows(con, sql, *params)
    assert len(found) == 1, f"expected one row, got {found}"
    return found[0]


# ---- core.appointments: outcomes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("appointment_id", "outcome"),
    [
        ("C-24", "early_cancel"),  # cancelled exactly 24 h before the start: not less than the window
        ("C-2359", "late_cancel"),  # 23 h 59 min before
        ("C-AFTER", "late_cancel"),  # cancelled 30 min after the start
        ("C-WORD", "late_cancel"),  # the status word said late; time unknown
        ("C-CLINIC", "clinic_cancel"),  # clinic cancelled 1 h before: never late
        ("C-UNK", "early_cancel"),  # cancelled at an unknown time
        ("N-1", "no_show"),
        ("E-2", "excluded"),  # entered-in-error
        ("V-1", "completed"),  # file 3's noshow is older than file 2's fulfilled
        ("V-2", "no_show"),  # same updated_at: the later file (3) wins
        ("D-1", "upcoming"),  # arrived, date-only on as_of's local date: not started yet
        ("D-2", "unresolved"),  # booked, date-only the day before as_of
        ("D-3", "completed"),  # checked-in, date-only the day before as_of
        ("T-1", "unresolved"),  # booked, 11:00 EDT on as_of's day (as_of = 12:00 EDT)
        ("T-2", "upcoming"),  # booked, 13:00 EDT
        ("T-3", "completed"),  # arrived, 11:30 EDT
        ("U-1", "upcoming"),
    ],
)
def test_outcome(wh: duckdb.DuckDBPyConnection, appointment_id: str, outcome: str) -> None:
    assert one(wh, "select outcome from core.appointments where appointment_id = ?", appointment_id) == (outcome,)


def test_late_evening_utc_start_belongs_to_the_previous_local_day(wh: duckdb.DuckDBPyConnection) -> None:
    # 2026-03-03 04:30Z = Mon 2 March 23:30 EST
    assert one(wh, "select start_date, start_hour, weekday from core.appointments where appointment_id = 'A-LATE'") == (
        D("2026-03-02"), 23, 1
    )
    assert one(
        wh,
        "select appointments, completed from marts.appointment_outcomes_daily "
        "where date = '2026-03-02' and appointment_type = 'therapy'",
    ) == (1, 1)
    assert rows(wh, "select * from marts.appointment_outcomes_daily where date = '2026-03-03'") == []


def test_date_only_start_and_lead_time(wh: duckdb.DuckDBPyConnection) -> None:
    # D-1: date-only 31 March, created 31 March 11:00 EDT (after its local midnight): lead 0 -> same_day
    assert one(
        wh,
        "select start_date, start_is_date_only, start_hour, lead_time_days, lead_time_bucket "
        "from core.appointments where appointment_id = 'D-1'",
    ) == (D("2026-03-31"), True, None, 0, "same_day")
    # U-1: created 20 March, starts 2 April: 13 days -> 8-14
    assert one(wh, "select lead_time_days, lead_time_bucket from core.appointments where appointment_id = 'U-1'") == (
        13, "8-14"
    )


def test_first_visit_and_completed_infusion_flags(wh: duckdb.DuckDBPyConnection) -> None:
    flags = dict(
        (r[0], (r[1], r[2]))
        for r in rows(wh, "select appointment_id, is_first_visit, is_completed_infusion from core.appointments")
    )
    assert flags["AB-1"] == (True, False)  # aborted session: still a first visit, no completed infusion
    assert flags["A-DST"] == (True, True)  # its newest session version is not aborted
    assert flags["D-3"] == (True, False)  # pk-d's first completed: date-only 30 March, before T-3 on the 31st
    assert flags["T-3"] == (False, False)
    assert flags["S1-1"] == (True, True) and flags["S1-2"] == (False, True)


def test_cancelled_by_only_on_cancellations(wh: duckdb.DuckDBPyConnection) -> None:
    sql = "select appointment_id, cancelled_by from core.appointments where appointment_id like 'C-%'"
    assert dict(rows(wh, sql)) == {
        "C-24": "patient", "C-2359": "patient", "C-AFTER": "patient", "C-WORD": "patient", "C-CLINIC": "clinic",
        "C-UNK": "patient",
    }
    assert one(wh, "select cancelled_by from core.appointments where appointment_id = 'F-1'") == (None,)


# ---- marts.appointment_outcomes_daily / no_show_by_lead_time -------------------------------------------------


def test_outcomes_of_the_cancellation_day(wh: duckdb.DuckDBPyConnection) -> None:
    # Tue 10 March, med_management: F-1 completed, N-1 no-show, C-2359 + C-AFTER + C-WORD late, C-24 + C-UNK early,
    # C-CLINIC clinic; E-2 excluded. kept+missed = 1 + 1 + 3 = 5 -> no-show 1/5, late 3/5, missed 4/5.
    assert one(
        wh,
        "select appointments, completed, no_show, late_cancel, early_cancel, clinic_cancel, upcoming, unresolved, "
        "kept_and_missed, no_show_rate, late_cancel_rate, missed_rate, week_start, month, weekday "
        "from marts.appointment_outcomes_daily where date = '2026-03-10' and location_id = 'COL' "
        "and provider_id = 'P-OK' and appointment_type = 'med_management'",
    ) == (8, 1, 1, 3, 2, 1, 0, 0, 5, 0.2, 0.6, 0.8, D("2026-03-09"), D("2026-03-01"), 2)


def test_outcomes_around_as_of_and_zero_denominators(wh: duckdb.DuckDBPyConnection) -> None:
    # 31 March consultations: D-1 upcoming, T-1 unresolved, T-2 upcoming, T-3 completed -> kept+missed 1, rates 0
    assert one(
        wh,
        "select appointments, completed, upcoming, unresolved, no_show_rate from marts.appointment_outcomes_daily "
        "where date = '2026-03-31' and appointment_type = 'consultation'",
    ) == (4, 1, 2, 1, 0.0)
    # 2 April: only U-1, upcoming -> kept+missed 0 -> every rate NULL
    assert one(
        wh,
        "select appointments, upcoming, kept_and_missed, no_show_rate, late_cancel_rate, missed_rate "
        "from marts.appointment_outcomes_daily where date = '2026-04-02'",
    ) == (1, 1, 0, None, None, None)
    # 12 March: V-1 completed, V-2 no-show (the versions test) -> 1/2
    assert one(
        wh,
        "select completed, no_show, no_show_rate from marts.appointment_outcomes_daily where date = '2026-03-12'",
    ) == (1, 1, 0.5)


def test_no_show_by_lead_time(wh: duckdb.DuckDBPyConnection) -> None:
    # March, 1-7 days, med_management: pk-c's 8 non-excluded bookings of 10 March, created 5 March (5 days)
    assert one(
        wh,
        "select appointments, kept_and_missed, no_show, late_cancel, no_show_rate from marts.no_show_by_lead_time "
        "where month = '2026-03-01' and lead_time_bucket = '1-7' and appointment_type = 'med_management'",
    ) == (8, 5, 1, 3, 0.2)
    # March, 8-14, consultation: V-1 (completed), V-2 (no-show), D-2 (unresolved), D-3, T-1, T-2, T-3 -> 7 bookings;
    # kept+missed = V-1 + V-2 + D-3 + T-3 = 4, one no-show
    assert one(
        wh,
        "select appointments, kept_and_missed, no_show, no_show_rate from marts.no_show_by_lead_time "
        "where month = '2026-03-01' and lead_time_bucket = '8-14' and appointment_type = 'consultation'",
    ) == (7, 4, 1, 0.25)
    # April, 8-14, follow_up: U-1 only, upcoming -> rate NULL
    assert one(
        wh,
        "select kept_and_missed, no_show_rate from marts.no_show_by_lead_time "
        "where month = '2026-04-01' and lead_time_bucket = '8-14' and appointment_type = 'follow_up'",
    ) == (0, None)


# ---- core.calendar / marts.utilization_daily ---------------------------------------------------------------


def test_calendar_spans_non_excluded_starts_for_every_location(wh: duckdb.DuckDBPyConnection) -> None:
    # from S1-1 (2 Feb) to U-1 (2 April): 27 + 31 + 2 = 60 dates x 2 locations; GH-1 (excluded, December) is ignored
    assert one(wh, "select min(date), max(date), count(*), count(distinct location_id) from core.calendar") == (
        D("2026-02-02"), D("2026-04-02"), 120, 2
    )
    assert one(
        wh,
        "select weekday, weekday_name, is_closure_day, is_closed, open_minutes from core.calendar "
        "where date = '2026-03-04' and location_id = 'COL'",
    ) == (3, "Wed", True, True, 0)
    assert one(
        wh, "select is_closed, open_minutes from core.calendar where date = '2026-03-07' and location_id = 'COL'"
    ) == (False, 240)  # Saturday 09:00-13:00
    assert one(
        wh, "select is_closed, open_minutes from core.calendar where date = '2026-03-07' and location_id = 'AUG'"
    ) == (True, 0)


UTILIZATION = (
    "select available_minutes, scheduled_minutes, completed_minutes, chair_minutes, utilization, scheduled_utilization "
    "from marts.utilization_daily where date = ? and resource_id = ?"
)


def test_utilization_rows(wh: duckdb.DuckDBPyConnection) -> None:
    # every date x (CHAIR-1, ROOM-A, P-OK): 60 x 3
    assert one(wh, "select count(*), count(distinct date) from marts.utilization_daily") == (180, 60)
    # Tue 10 March, ROOM-A: 540 open; held = F-1 + N-1 + three late cancels = 5 x 30 = 150; completed 30
    assert one(wh, UTILIZATION, "2026-03-10", "ROOM-A") == (540, 150, 30, None, 30 / 540, 150 / 540)
    # P-OK works Mon/Wed/Fri: Tuesday available 0 -> both ratios NULL, minutes still counted
    assert one(wh, UTILIZATION, "2026-03-10", "P-OK") == (0, 150, 30, None, None, None)
    # Wed 11 March, CHAIR-1: AB-1 60 completed; its aborted session sat 25 minutes
    assert one(wh, UTILIZATION, "2026-03-11", "CHAIR-1") == (540, 60, 60, 25, 60 / 540, 60 / 540)
    assert one(wh, UTILIZATION, "2026-03-11", "P-OK") == (480, 60, 60, None, 0.125, 0.125)
    # Mon 2 March: A-LATE (50 min, 23:30 EST) counts here
    assert one(wh, UTILIZATION, "2026-03-02", "ROOM-A") == (540, 50, 50, None, 50 / 540, 50 / 540)


def test_closed_day_and_empty_day(wh: duckdb.DuckDBPyConnection) -> None:
    # Wed 4 March is a closure date: available 0 for rooms, chairs and the provider; A-CLOSED's 60 minutes still count
    assert one(wh, UTILIZATION, "2026-03-04", "ROOM-A") == (0, 60, 60, None, None, None)
    assert one(wh, UTILIZATION, "2026-03-04", "CHAIR-1") == (0, 0, 0, 0, None, None)
    assert one(wh, UTILIZATION, "2026-03-04", "P-OK") == (0, 60, 60, None, None, None)
    # Thu 5 March: nothing booked, the rows still exist with the opening minutes
    assert one(wh, UTILIZATION, "2026-03-05", "ROOM-A") == (540, 0, 0, None, 0.0, 0.0)
    assert one(wh, UTILIZATION, "2026-03-05", "CHAIR-1") == (540, 0, 0, 0, 0.0, 0.0)


def test_dst_day(wh: duckdb.DuckDBPyConnection) -> None:
    # Sun 8 March (spring forward): chair in 01:30 EST, out 03:30 EDT = 60 real minutes; infusion 06:40Z-07:20Z = 40
    assert one(
        wh,
        "select session_date, chair_minutes, infusion_minutes, dose_mg_per_kg, aborted, has_adverse_event "
        "from core.infusion_sessions where session_id = 'S-DST'",
    ) == (D("2026-03-08"), 60, 40, 0.5, False, True)
    # Sunday: COL closed -> available 0, ratios NULL; the booking's 60 minutes and the chair's 60 minutes count
    assert one(wh, UTILIZATION, "2026-03-08", "CHAIR-1") == (0, 60, 60, 60, None, None)


def test_aborted_session(wh: duckdb.DuckDBPyConnection) -> None:
    # infusion never ended, no weight: NULL infusion minutes and dose per kg
    assert one(
        wh,
        "select chair_minutes, infusion_minutes, dose_mg_per_kg, aborted from core.infusion_sessions "
        "where session_id = 'S-AB'",
    ) == (25, None, None, True)


# ---- core.patients / referral marts --------------------------------------------------------------------------


def test_patients_are_those_with_a_non_excluded_appointment(wh: duckdb.DuckDBPyConnection) -> None:
    keys = {k for (k,) in rows(wh, "select patient_key from core.patients")}
    assert keys == {"pk-a", "pk-dst", "pk-c", "pk-closed", "pk-v", "pk-g1", "pk-o", "pk-u", "pk-s1", "pk-s2",
                    "pk-ab", "pk-d"}
    assert "pk-ghost" not in keys  # only an entered-in-error booking


def test_first_touch_referral(wh: duckdb.DuckDBPyConnection) -> None:
    found = {
        r[0]: (r[1], r[2])
        for r in rows(wh, "select patient_key, referral_source, referral_source_raw_normalised from core.patients")
    }
    assert found["pk-g1"] == ("google", "google")  # 'Google ' on G1-B; the excluded G1-EX and untexted G1-A skipped
    assert found["pk-v"] == ("google", "google search")  # 'GOOGLE search' -> config variant 'google search'
    assert found["pk-closed"] == ("yelp", "yelp")  # 'yelp!' -> the canonical name itself
    assert found["pk-a"] == ("psychology_today", "psychology today")  # canonical name with a space
    assert found["pk-c"] == ("physician_referral", "dr referral")  # 'Dr. Referral' -> variant 'dr referral'
    assert found["pk-ab"] == ("therapist_referral", "therapist referral")
    assert found["pk-o"] == ("other", None)  # not mapped: its free text is not kept at all
    assert found["pk-u"] == ("unknown", None)  # blank text
    assert found["pk-d"] == ("unknown", None)  # no text at all
    # first booking: the earliest created_at of non-excluded bookings (G1-EX of 1 Feb is excluded)
    assert one(wh, "select first_booking_date, first_booking_month from core.patients where patient_key = 'pk-g1'") == (
        D("2026-02-10"), D("2026-02-01")
    )


def test_series_and_infusions(wh: duckdb.DuckDBPyConnection) -> None:
    patient = (
        "select first_visit_date, cohort_month, first_infusion_date, days_to_first_infusion, infusions_completed, "
        "infusions_in_series_window, series_completed from core.patients where patient_key = ?"
    )
    # pk-s1: first 2 Feb, 6th on 16 March = day 42 -> inside; booked 20 Jan -> 13 days to the first infusion
    assert one(wh, patient, "pk-s1") == (D("2026-02-02"), D("2026-02-01"), D("2026-02-02"), 13, 6, 6, True)
    # pk-s2: first 3 Feb, 6th on 18 March = day 43 -> outside; all 6 still count as infusions completed
    assert one(wh, patient, "pk-s2") == (D("2026-02-03"), D("2026-02-01"), D("2026-02-03"), 9, 6, 5, False)
    # pk-ab: the only infusion's session was aborted: a first visit, no completed infusion
    assert one(wh, patient, "pk-ab") == (D("2026-03-11"), D("2026-03-01"), None, None, 0, 0, False)
    # pk-dst: one infusion on the DST night, booked 1 March (10:00 EST) -> 7 days
    assert one(wh, patient, "pk-dst") == (D("2026-03-08"), D("2026-03-01"), D("2026-03-08"), 7, 1, 1, False)
    # pk-u: only an upcoming booking
    assert one(wh, patient, "pk-u") == (None, None, None, None, 0, 0, False)
    # PHQ-9 of pk-s1: first session's pre 20, latest 14 -> -6; pk-dst has one scored session -> no change
    phq9 = "select phq9_first_pre, phq9_latest_pre, phq9_change from core.patients where patient_key = ?"
    assert one(wh, phq9, "pk-s1") == (20, 14, -6)
    assert one(wh, "select phq9_change from core.patients where patient_key = 'pk-dst'") == (None,)


def test_referral_funnel(wh: duckdb.DuckDBPyConnection) -> None:
    funnel = {
        (r[0], r[1]): r[2:]
        for r in rows(
            wh,
            "select month, referral_source, patients_booked, first_visits_completed, infusions_started, "
            "series_completed, visit_rate, infusion_rate, series_rate, median_days_to_first_infusion "
            "from marts.referral_funnel_monthly",
        )
    }
    assert len(funnel) == 10
    # January, google: pk-s1 (13 days, series) and pk-s2 (9 days) -> median 11
    assert funnel[(D("2026-01-01"), "google")] == (2, 2, 2, 1, 1.0, 1.0, 0.5, 11.0)
    # February, google: pk-g1 visited, no infusion -> infusion rate 0, series rate NULL (0 infusions started)
    assert funnel[(D("2026-02-01"), "google")] == (1, 1, 0, 0, 1.0, 0.0, None, None)
    # March, unknown: pk-u (no visit) and pk-d (visited 30 March)
    assert funnel[(D("2026-03-01"), "unknown")] == (2, 1, 0, 0, 0.5, 0.0, None, None)
    assert funnel[(D("2026-03-01"), "website")] == (1, 1, 1, 0, 1.0, 1.0, 0.0, 7.0)
    assert funnel[(D("2026-03-01"), "therapist_referral")] == (1, 1, 0, 0, 1.0, 0.0, None, None)


def test_new_patients_monthly(wh: duckdb.DuckDBPyConnection) -> None:
    found = {(r[0], r[1]): r[3] for r in rows(wh, "select month, referral_source, location_id, new_patients "
                                                  "from marts.new_patients_monthly where location_id = 'COL'")}
    assert found == {
        (D("2026-02-01"), "google"): 2,  # pk-s1, pk-s2
        (D("2026-03-01"), "google"): 2,  # pk-v (12 March), pk-g1 (13 March)
        (D("2026-03-01"), "psychology_today"): 1,  # pk-a, 2 March local
        (D("2026-03-01"), "yelp"): 1,
        (D("2026-03-01"), "website"): 1,
        (D("2026-03-01"), "physician_referral"): 1,
        (D("2026-03-01"), "other"): 1,
        (D("2026-03-01"), "therapist_referral"): 1,
        (D("2026-03-01"), "unknown"): 1,  # pk-d; pk-u has no visit yet
    }


# ---- reviews ---------------------------------------------------------------------------------------------------


def test_reviews_latest_version_and_business_profile_precedence(wh: duckdb.DuckDBPyConnection) -> None:
    found = {(r[0], r[1]): r[2:] for r in rows(wh, "select site, review_id, rating, published_date from core.reviews")}
    assert set(found) == {("yelp", "y1"), ("yelp", "y2"), ("yelp", "y3"), ("google", "g1"), ("google", "pn1")}
    assert found[("yelp", "y1")] == (4, D("2026-01-15"))  # the newer version's rating
    assert found[("yelp", "y3")] == (2, D("2026-02-28"))  # 1 March 03:00Z = 28 Feb 22:00 EST
    assert found[("google", "g1")] == (5, D("2026-02-05"))
    # the Places review and snapshot of COL (which has a Business Profile) are gone; AUG keeps its Places data
    assert rows(wh, "select origin from core.review_snapshots where site = 'google' order by location_id") == [
        ("google_places_new",), ("google_business_profile",)
    ]
    # contact details typed into a kept text are masked
    masked = "Great care. Call me at [removed] or [removed]"
    assert one(wh, "select text from core.reviews where review_id = 'g1'") == (masked,)


def test_review_ratings_monthly(wh: duckdb.DuckDBPyConnection) -> None:
    found = {
        (r[0], r[1], r[2]): r[3:]
        for r in rows(
            wh,
            "select month, site, location_id, new_reviews, avg_rating, cumulative_avg_rating, reported_rating, "
            "reported_review_count from marts.review_ratings_monthly",
        )
    }
    assert len(found) == 6
    # yelp COL. Jan: y1 (4); snapshots 10 Jan (4.5) and 31 Jan (4.4, on the month's last day) -> 4.4
    assert found[(D("2026-01-01"), "yelp", "COL")] == (1, 4.0, 4.0, 4.4, 21)
    # Feb: y2 (5), y3 (2) -> avg 3.5, cumulative (4 + 5 + 2) / 3; no February snapshot -> 31 Jan's
    new, avg, cumulative, reported, count = found[(D("2026-02-01"), "yelp", "COL")]
    assert (new, avg, reported, count) == (2, 3.5, 4.4, 21)
    assert cumulative == pytest.approx(11 / 3)
    # Mar (as_of's month): no review -> 0, avg NULL, cumulative unchanged; snapshot of 1 March
    new, avg, cumulative, reported, count = found[(D("2026-03-01"), "yelp", "COL")]
    assert (new, avg, reported, count) == (0, None, 4.3, 23)
    assert cumulative == pytest.approx(11 / 3)
    # google COL from February (g1 = 5; Business Profile snapshot 15 Feb: 4.8 / 120), through March
    assert found[(D("2026-02-01"), "google", "COL")] == (1, 5.0, 5.0, 4.8, 120)
    assert found[(D("2026-03-01"), "google", "COL")] == (0, None, 5.0, 4.8, 120)
    assert found[(D("2026-03-01"), "google", "AUG")] == (1, 4.0, 4.0, 4.2, 15)


# ---- ops ---------------------------------------------------------------------------------------------------------


def test_ops_history(wh: duckdb.DuckDBPyConnection) -> None:
    assert rows(wh, "select run_id, status, exit_code, files_rejected from ops.runs") == [("r0", "published", 0, 1)]
    assert one(wh, "select count(*), sum(rows_quarantined) from ops.run_sources") == (3, 3)
    # two batches of one file: 100 + 50 checked, 1 + 0 unexpected, one batch failed
    assert rows(wh, "select success, element_count, unexpected_count from ops.validation_results") == [(False, 150, 1)]
    assert rows(wh, "select file, row_number, rule from ops.quarantine") == [("a.csv", 7, "missing_value")]
    assert rows(wh, "select source, file, reason from ops.rejected_files") == [("sessions", "bad.jsonl", "not JSON")]


def test_freshness(wh: duckdb.DuckDBPyConnection) -> None:
    found = {r[0]: r[1:] for r in rows(wh, "select source, hours_stale, lake_rows from ops.freshness")}
    # as_of 31 March 16:00Z. bookings: newest updated_at 30 March 10:00Z -> 30 h; 43 versions in the lake
    # sessions: 20 March 12:00Z -> 11 days 4 h = 268 h; reviews: the newest is pn1, published 10 March 18:00Z
    # (the newest snapshot, 10 March, counts from local midnight = 04:00Z) -> 20 days 22 h = 502 h (8 reviews +
    # 6 snapshots)
    assert found == {"bookings": (30.0, 43), "sessions": (268.0, 5), "reviews": (502.0, 14)}
    assert one(wh, "select run_id, timezone, series_size from ops.build_info") == ("r1", "America/New_York", 6)
