"""No-shows: rates by type, provider, weekday, lead time and new vs returning patient, the trend, and the
unresolved appointments (bookings nobody closed)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from clinicops.dashboard import display
from clinicops.dashboard.context import Context
from clinicops.dashboard.queries import OUTCOME_DIMENSIONS, outcome_totals, outcomes_by, unresolved_appointments

WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
LEAD_TIME_ORDER = {"same_day": 0, "1-7": 1, "8-14": 2, "15-30": 3, "31+": 4, "unknown": 5}
RATE_FIGURES = {
    "kept_and_missed": ("patients_kept_and_missed", display.count),
    "no_show": ("patients_no_show", display.count),
    "late_cancel": ("patients_late_cancel", display.count),
    "no_show_rate": ("patients_kept_and_missed", display.percent),
    "late_cancel_rate": ("patients_kept_and_missed", display.percent),
    "missed_rate": ("patients_kept_and_missed", display.percent),
}


def render(ctx: Context) -> None:
    f = ctx.filters
    st.title("No-shows and late cancellations")
    st.caption(f"{f.start} to {f.end}, {ctx.location_label}, {ctx.provider_label}. Rates are of kept + missed "
               "appointments (completed + no-show + late cancel), summed over the range. Figures from fewer than "
               "11 patients show <11.")
    totals = ctx.q(outcome_totals, f)
    columns = st.columns(4)
    with columns[0]:
        display.metric("No-show rate", totals["no_show_rate"], totals["patients_kept_and_missed"], display.percent)
    with columns[1]:
        display.metric("Late-cancel rate", totals["late_cancel_rate"], totals["patients_kept_and_missed"],
                       display.percent)
    with columns[2]:
        display.metric("Missed rate", totals["missed_rate"], totals["patients_kept_and_missed"], display.percent)
    with columns[3]:
        display.metric("Kept + missed", totals["kept_and_missed"], totals["patients_kept_and_missed"])

    trend = ctx.q(outcomes_by, f, "week_start")
    st.markdown("**Weekly trend**")
    kept = trend[[not display.is_small(p) for p in trend["patients_kept_and_missed"]]]
    if not kept.empty:
        long = kept.melt(id_vars=["week_start"], value_vars=["no_show_rate", "late_cancel_rate"],
                         var_name="rate", value_name="value")
        chart = alt.Chart(long).mark_line(point=True).encode(
            x=alt.X("week_start:T", title="week"), y=alt.Y("value:Q", title=None, axis=alt.Axis(format="%")),
            color=alt.Color("rate:N", title=None))
        st.altair_chart(chart, width="stretch")
    if len(kept) < len(trend):
        st.caption(f"{len(trend) - len(kept)} of {len(trend)} weeks left out: fewer than 11 patients behind them.")
    display.table("Weekly no-shows", display.suppressed_table(trend, RATE_FIGURES), show=False)

    for label, column in OUTCOME_DIMENSIONS.items():
        df = ctx.q(outcomes_by, f, column)
        if column == "weekday":
            df = df.assign(weekday=df["weekday"].map(WEEKDAYS))
        if column == "lead_time_bucket":
            df = df.sort_values("lead_time_bucket", key=lambda s: s.map(LEAD_TIME_ORDER))
        display.table(f"By {label}", display.suppressed_table(df, RATE_FIGURES))

    unresolved = ctx.q(unresolved_appointments, f)
    display.table("Unresolved appointments", display.suppressed_table(unresolved, {}),
                  caption="Booked appointments that started by the run's as-of with no result recorded: close "
                          "them in the practice system (a worklist of bookings, not a statistic).")
