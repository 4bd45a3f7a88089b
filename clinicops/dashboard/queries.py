"""Every query of the dashboard: plain functions of a read-only DuckDB connection and the staff's filters.

Figures come from the marts (and `ops.*` for data health): counts and minutes are summed under the filters,
then divided once; no metric rule is spelled here. Beside each figure a query returns the distinct patients
it was computed from (`patients_*` columns, counted in `marts.appointment_patients` or
`marts.referral_patients` under the same filters), which the pages use for small-cell suppression.

`bench_queries()` lists the heaviest ones for `clinicops bench`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

# tables a warehouse must hold for the dashboard to show anything
REQUIRED_TABLES = (
    "ops.build_info", "ops.freshness", "ops.runs", "ops.quarantine",
    "marts.appointment_outcomes_daily", "marts.appointment_outcomes_detail", "marts.appointment_patients",
    "marts.utilization_daily", "marts.utilization_hourly", "marts.new_patients_monthly",
    "marts.referral_patients", "marts.review_ratings_monthly", "marts.review_texts",
)

# the breakdowns of the no-show page: label -> column of marts.appointment_outcomes_detail
OUTCOME_DIMENSIONS = {
    "appointment type": "appointment_type",
    "provider": "provider_id",
    "weekday": "weekday",
    "lead time": "lead_time_bucket",
    "new or returning patient": "patient_visit",
}
RESOURCE_KINDS = ("chair", "room", "provider")


@dataclass(frozen=True)
class Filters:
    """The staff's filters: an inclusive local date range, and optionally one location and one provider."""

    start: date
    end: date
    location: str | None = None
    provider: str | None = None

    def period(self, start: date, end: date) -> Filters:
        return Filters(start, end, self.location, self.provider)


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _where(f: Filters, *, date_column: str = "date", provider_column: str | None = "provider_id",
           location_column: str = "location_id") -> tuple[str, list]:
    """`date between ? and ?` plus the location and provider conditions, with their parameters."""
    parts, params = [f"{date_column} between ? and ?"], [f.start, f.end]
    if f.location:
        parts.append(f"{location_column} = ?")
        params.append(f.location)
    if f.provider and provider_column:
        parts.append(f"{provider_column} = ?")
        params.append(f.provider)
    return " and ".join(parts), params


# --- the warehouse itself --------------------------------------------------------------------------------

def missing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    present = {f"{s}.{t}" for s, t in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()}
    return [t for t in REQUIRED_TABLES if t not in present]


def warehouse_facts(con: duckdb.DuckDBPyConnection) -> dict:
    """As-of, time zone, the date span of the appointments and the locations and providers to filter by."""
    run_id, as_of, as_of_date, timezone = con.execute(
        "select run_id, as_of, as_of_date, timezone from ops.build_info").fetchall()[0]
    first, last, appointments = con.execute(
        "select min(date), max(date), coalesce(sum(appointments), 0) from marts.appointment_outcomes_daily"
    ).fetchall()[0]
    locations = [r[0] for r in con.execute(
        "select distinct location_id from marts.utilization_daily where location_id is not null order by 1"
    ).fetchall()]
    providers = con.execute(
        "select distinct resource_id, location_id from marts.utilization_daily where resource_kind = 'provider' "
        "order by 1").fetchall()
    return {"run_id": run_id, "as_of": as_of, "as_of_date": as_of_date, "timezone": timezone,
            "first_date": first, "last_date": last, "appointments": int(appointments),
            "locations": locations, "providers": [(p, loc) for p, loc in providers]}


# --- Today and the headline figures ----------------------------------------------------------------------

def outcome_totals(con: duckdb.DuckDBPyConnection, f: Filters) -> dict:
    """Summed outcome counts, the rates (one division each) and the patients behind them."""
    where, params = _where(f)
    row = _df(con, f"""
        with figures as (
            select coalesce(sum(appointments), 0) as appointments, coalesce(sum(completed), 0) as completed,
                   coalesce(sum(no_show), 0) as no_show, coalesce(sum(late_cancel), 0) as late_cancel,
                   coalesce(sum(kept_and_missed), 0) as kept_and_missed,
                   coalesce(sum(unresolved), 0) as unresolved, coalesce(sum(first_visits), 0) as new_patients,
                   sum(no_show) / nullif(sum(kept_and_missed), 0)::double as no_show_rate,
                   sum(late_cancel) / nullif(sum(kept_and_missed), 0)::double as late_cancel_rate,
                   sum(no_show + late_cancel) / nullif(sum(kept_and_missed), 0)::double as missed_rate
            from marts.appointment_outcomes_detail where {where}
        ), patients as (
            select count(distinct patient_key) as patients_appointments,
                   count(distinct patient_key) filter (where outcome = 'completed') as patients_completed,
                   count(distinct patient_key) filter (where outcome = 'no_show') as patients_no_show,
                   count(distinct patient_key) filter (where outcome = 'late_cancel') as patients_late_cancel,
                   count(distinct patient_key) filter (where outcome = 'unresolved') as patients_unresolved,
                   count(distinct patient_key) filter (where is_kept_or_missed) as patients_kept_and_missed,
                   count(distinct patient_key) filter (where is_first_visit) as patients_new
            from marts.appointment_patients where {where}
        )
        select * from figures cross join patients""", params + params)
    return row.iloc[0].to_dict()


def utilization_totals(con: duckdb.DuckDBPyConnection, f: Filters, kind: str = "chair") -> dict:
    """Summed minutes of one resource kind (the provider's own when a provider is chosen and kind is provider)."""
    where, params = _where(f, provider_column="resource_id" if kind == "provider" else None)
    held, held_params = _held_patients_condition(f, kind)
    row = _df(con, f"""
        with figures as (
            select coalesce(sum(available_minutes), 0) as available_minutes,
                   coalesce(sum(scheduled_minutes), 0) as scheduled_minutes,
                   coalesce(sum(completed_minutes), 0) as completed_minutes,
                   sum(completed_minutes) / nullif(sum(available_minutes), 0)::double as utilization,
                   sum(scheduled_minutes) / nullif(sum(available_minutes), 0)::double as scheduled_utilization
            from marts.utilization_daily where resource_kind = ? and {where}
        ), patients as (
            select count(distinct patient_key) as patients_held from marts.appointment_patients where {held}
        )
        select * from figures cross join patients""", [kind, *params, *held_params])
    return row.iloc[0].to_dict()


def _held_patients_condition(f: Filters, kind: str) -> tuple[str, list]:
    """Appointments whose minutes a resource kind's utilization sums: held slots on that kind."""
    where, params = _where(f, provider_column="provider_id" if kind == "provider" else None)
    if kind == "provider":
        return f"holds_slot and provider_id is not null and {where}", params
    return f"holds_slot and resource_kind = ? and {where}", [kind, *params]


def today_figures(con: duckdb.DuckDBPyConnection, f: Filters, yesterday: date) -> dict[str, dict]:
    """Yesterday, the day before, this week to yesterday and the same days of last week."""
    monday = yesterday - timedelta(days=yesterday.weekday())
    periods = {
        "yesterday": (yesterday, yesterday),
        "day before": (yesterday - timedelta(days=1), yesterday - timedelta(days=1)),
        "this week": (monday, yesterday),
        "last week": (monday - timedelta(days=7), yesterday - timedelta(days=7)),
    }
    kind = "provider" if f.provider else "chair"
    figures = {}
    for name, (first, last) in periods.items():
        period = f.period(first, last)
        figures[name] = {"first": first, "last": last, **outcome_totals(con, period),
                         **utilization_totals(con, period, kind)}
    return figures


def newest_reviews(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 5, kept_text_only: bool = False
                   ) -> pd.DataFrame:
    """The newest reviews we hold (any date; location filter only)."""
    parts, params = ["true"], []
    if f.location:
        parts.append("location_id = ?")
        params.append(f.location)
    if kept_text_only:
        parts.append("text is not null")
    return _df(con, f"""
        select published_date, site, location_id, rating, text from marts.review_texts
        where {' and '.join(parts)} order by published_at desc, site, review_id limit {int(limit)}""", params)


# --- Utilization -----------------------------------------------------------------------------------------

def utilization_by_resource(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Minutes and utilization per chair, room and provider over the range, with the patients behind each."""
    where, params = _where(f, provider_column=None)
    held, held_params = _where(f, provider_column=None)
    provider_only = "and (resource_kind <> 'provider' or resource_id = ?)" if f.provider else ""
    return _df(con, f"""
        with figures as (
            select resource_kind, resource_id, location_id,
                   sum(available_minutes) as available_minutes, sum(scheduled_minutes) as scheduled_minutes,
                   sum(completed_minutes) as completed_minutes, sum(chair_minutes) as chair_minutes,
                   sum(completed_minutes) / nullif(sum(available_minutes), 0)::double as utilization,
                   sum(scheduled_minutes) / nullif(sum(available_minutes), 0)::double as scheduled_utilization
            from marts.utilization_daily where {where} {provider_only}
            group by resource_kind, resource_id, location_id
        ), on_resources as (
            select resource_id, count(distinct patient_key) as patients
            from marts.appointment_patients where holds_slot and resource_id is not null and {held}
            group by resource_id
        ), with_providers as (
            select provider_id, count(distinct patient_key) as patients
            from marts.appointment_patients where holds_slot and {held}
            group by provider_id
        )
        select figures.*,
               coalesce(case when figures.resource_kind = 'provider' then with_providers.patients
                             else on_resources.patients end, 0) as patients_held
        from figures
        left join on_resources on figures.resource_kind <> 'provider' and figures.resource_id = on_resources.resource_id
        left join with_providers on figures.resource_kind = 'provider'
            and figures.resource_id = with_providers.provider_id
        order by case figures.resource_kind when 'chair' then 1 when 'room' then 2 else 3 end, figures.resource_id""",
        params + ([f.provider] if f.provider else []) + held_params + held_params)


def utilization_heatmap(con: duckdb.DuckDBPyConnection, f: Filters, kind: str = "chair") -> pd.DataFrame:
    """Utilization by weekday x hour of one resource kind, from marts.utilization_hourly."""
    where, params = _where(f, provider_column="resource_id" if kind == "provider" else None)
    held, held_params = _held_patients_condition(f, kind)
    return _df(con, f"""
        with figures as (
            select weekday, hour, sum(available_minutes) as available_minutes,
                   sum(scheduled_minutes) as scheduled_minutes, sum(completed_minutes) as completed_minutes,
                   sum(completed_minutes) / nullif(sum(available_minutes), 0)::double as utilization,
                   sum(scheduled_minutes) / nullif(sum(available_minutes), 0)::double as scheduled_utilization
            from marts.utilization_hourly where resource_kind = ? and {where}
            group by weekday, hour
        ), patients as (
            select weekday, hours.hour, count(distinct patient_key) as patients_held
            from marts.appointment_patients
            inner join (select unnest(range(24)) as hour) as hours
                on start_minute < hours.hour * 60 + 60 and end_minute > hours.hour * 60
            where {held}
            group by weekday, hours.hour
        )
        select figures.*, coalesce(patients.patients_held, 0) as patients_held
        from figures left join patients using (weekday, hour)
        order by weekday, hour""", [kind, *params, *held_params])


def utilization_trend(con: duckdb.DuckDBPyConnection, f: Filters, kind: str = "chair", grain: str = "date"
                      ) -> pd.DataFrame:
    """Daily (grain 'date') or weekly ('week_start') minutes and utilization of one resource kind."""
    if grain not in ("date", "week_start"):
        raise ValueError(f"unknown grain {grain!r}")
    where, params = _where(f, provider_column="resource_id" if kind == "provider" else None)
    held, held_params = _held_patients_condition(f, kind)
    return _df(con, f"""
        with figures as (
            select {grain} as period, sum(available_minutes) as available_minutes,
                   sum(scheduled_minutes) as scheduled_minutes, sum(completed_minutes) as completed_minutes,
                   sum(completed_minutes) / nullif(sum(available_minutes), 0)::double as utilization,
                   sum(scheduled_minutes) / nullif(sum(available_minutes), 0)::double as scheduled_utilization
            from marts.utilization_daily where resource_kind = ? and {where}
            group by {grain}
        ), patients as (
            select {grain} as period, count(distinct patient_key) as patients_held
            from marts.appointment_patients where {held} group by {grain}
        )
        select figures.*, coalesce(patients.patients_held, 0) as patients_held
        from figures left join patients using (period) order by period""", [kind, *params, *held_params])


# --- No-shows --------------------------------------------------------------------------------------------

_OUTCOME_SUMS = """
    sum(kept_and_missed) as kept_and_missed, sum(no_show) as no_show, sum(late_cancel) as late_cancel,
    sum(no_show) / nullif(sum(kept_and_missed), 0)::double as no_show_rate,
    sum(late_cancel) / nullif(sum(kept_and_missed), 0)::double as late_cancel_rate,
    sum(no_show + late_cancel) / nullif(sum(kept_and_missed), 0)::double as missed_rate"""
_OUTCOME_PATIENTS = """
    count(distinct patient_key) filter (where is_kept_or_missed) as patients_kept_and_missed,
    count(distinct patient_key) filter (where outcome = 'no_show') as patients_no_show,
    count(distinct patient_key) filter (where outcome = 'late_cancel') as patients_late_cancel"""


def outcomes_by(con: duckdb.DuckDBPyConnection, f: Filters, dimension: str) -> pd.DataFrame:
    """No-show, late-cancel and missed rates by one of OUTCOME_DIMENSIONS' columns (or week_start / month)."""
    if dimension not in (*OUTCOME_DIMENSIONS.values(), "week_start", "month", "date"):
        raise ValueError(f"unknown dimension {dimension!r}")
    where, params = _where(f)
    return _df(con, f"""
        with figures as (
            select {dimension}, {_OUTCOME_SUMS}
            from marts.appointment_outcomes_detail where {where} group by {dimension}
        ), patients as (
            select {dimension}, {_OUTCOME_PATIENTS}
            from marts.appointment_patients where {where} group by {dimension}
        )
        select figures.*, coalesce(patients_kept_and_missed, 0) as patients_kept_and_missed,
               coalesce(patients_no_show, 0) as patients_no_show,
               coalesce(patients_late_cancel, 0) as patients_late_cancel
        from figures left join patients using ({dimension})
        where figures.kept_and_missed > 0
        order by {dimension}""", params + params)


def unresolved_appointments(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Booked appointments that started by as_of with no result: the worklist of bookings nobody closed."""
    where, params = _where(f)
    return _df(con, f"""
        select date, strftime(start_at, '%H:%M') as start_time, location_id, provider_id, appointment_type,
               appointment_id
        from marts.appointment_patients where outcome = 'unresolved' and {where}
        order by date desc, start_at desc, appointment_id""", params)


# --- Referral sources ------------------------------------------------------------------------------------

def _months_where(f: Filters, month_column: str) -> tuple[str, list]:
    """The months of the range (and the location, if one is chosen) as a where clause and its parameters."""
    parts, params = [f"{month_column} between ? and ?"], [f.start.replace(day=1), f.end]
    if f.location:
        parts.append("location_id = ?")
        params.append(f.location)
    return " and ".join(parts), params


def new_patients_by_source(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """New patients per cohort month and referral source (location of the first visit)."""
    where, params = _months_where(f, "month")
    return _df(con, f"""
        select month, referral_source, sum(new_patients) as new_patients
        from marts.new_patients_monthly where {where}
        group by month, referral_source order by month, referral_source""", params)


def referral_funnel(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """The funnel per referral source for patients whose first booking falls in the months of the range."""
    where, params = _months_where(f, "first_booking_month")
    return _df(con, f"""
        with counted as (
            select referral_source, count(*) as patients_booked,
                   count(*) filter (where first_visit_completed) as first_visits_completed,
                   count(*) filter (where infusion_started) as infusions_started,
                   count(*) filter (where series_completed) as series_completed,
                   median(days_to_first_infusion::double) as median_days_to_first_infusion
            from marts.referral_patients where {where}
            group by grouping sets ((referral_source), ())
        )
        select coalesce(referral_source, 'all sources') as referral_source, patients_booked,
               first_visits_completed, infusions_started, series_completed,
               first_visits_completed / nullif(patients_booked, 0)::double as visit_rate,
               infusions_started / nullif(first_visits_completed, 0)::double as infusion_rate,
               series_completed / nullif(infusions_started, 0)::double as series_rate,
               median_days_to_first_infusion
        from counted order by referral_source is null, patients_booked desc, referral_source""", params)


# --- Reviews ---------------------------------------------------------------------------------------------

def review_ratings(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per month, site and location: new reviews, their average, the cumulative and the reported rating."""
    where, params = _months_where(f, "month")
    return _df(con, f"""
        select month, site, location_id, new_reviews, avg_rating, cumulative_reviews, cumulative_avg_rating,
               reported_rating, reported_review_count
        from marts.review_ratings_monthly where {where} order by month, site, location_id""", params)


# --- Data health -----------------------------------------------------------------------------------------

def freshness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, "select source, newest_data_at, last_ingest_at, hours_stale, lake_rows from ops.freshness "
                    "order by source")


def last_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pd.DataFrame:
    return _df(con, f"""
        select run_id, started_at, finished_at, status, exit_code, files_rejected, message
        from ops.runs order by started_at desc limit {int(limit)}""")


def quarantine_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, """
        select source, rule, count(*) as rows_set_aside, count(distinct file) as files, max(run_id) as last_run
        from ops.quarantine group by source, rule order by source, rows_set_aside desc, rule""")


def rejected_files(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, """
        select source, file, reason, count(*) as runs, max(run_id) as last_run from ops.rejected_files
        group by source, file, reason order by last_run desc, source, file""")


def validation_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The newest run's Great Expectations results per source: expectations checked and failed."""
    return _df(con, """
        select source, count(*) as expectations, count(*) filter (where not success) as failed,
               sum(unexpected_count) as unexpected_rows, max(run_id) as run_id
        from ops.validation_results
        where run_id = (select max(run_id) from ops.validation_results)
        group by source order by source""")


# --- for `clinicops bench` -------------------------------------------------------------------------------

def default_filters(con: duckdb.DuckDBPyConnection, days: int = 30) -> Filters:
    """The dashboard's opening range: the `days` local days up to the day before as_of."""
    facts = warehouse_facts(con)
    end = facts["as_of_date"] - timedelta(days=1)
    return Filters(end - timedelta(days=days - 1), end)


def bench_queries(filters: Filters | None = None) -> list[tuple[str, Callable[[duckdb.DuckDBPyConnection], object]]]:
    """The heaviest dashboard queries as (name, callable(con)); the opening range when no filters are given."""

    def with_filters(query: Callable[..., object], *args: object) -> Callable[[duckdb.DuckDBPyConnection], object]:
        def run(con: duckdb.DuckDBPyConnection) -> object:
            return query(con, filters or default_filters(con), *args)
        return run

    def year_funnel(con: duckdb.DuckDBPyConnection) -> object:
        f = filters or default_filters(con)
        return referral_funnel(con, Filters(f.end - timedelta(days=365), f.end, f.location, f.provider))

    def today(con: duckdb.DuckDBPyConnection) -> object:
        f = filters or default_filters(con)
        return today_figures(con, f, f.end)

    return [
        ("today", today),
        ("utilization_by_resource", with_filters(utilization_by_resource)),
        ("utilization_heatmap", with_filters(utilization_heatmap, "chair")),
        ("utilization_trend", with_filters(utilization_trend, "chair")),
        ("no_show_by_lead_time", with_filters(outcomes_by, "lead_time_bucket")),
        ("no_show_trend", with_filters(outcomes_by, "week_start")),
        ("referral_funnel_year", year_funnel),
        ("new_patients_by_source", with_filters(new_patients_by_source)),
    ]
