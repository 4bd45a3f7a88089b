"""Utilization: by chair, room and provider; a weekday x hour heat map; the daily trend; scheduled vs completed."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from clinicops.dashboard import display
from clinicops.dashboard.context import Context
from clinicops.dashboard.queries import RESOURCE_KINDS, utilization_by_resource, utilization_heatmap, utilization_trend

WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
# available minutes come from opening hours, not from patients: never suppressed
MINUTES = ("scheduled_minutes", "completed_minutes", "chair_minutes")


def render(ctx: Context) -> None:
    f = ctx.filters
    st.title("Utilization")
    st.caption(f"{f.start} to {f.end}, {ctx.location_label}. Utilization = completed minutes / available minutes, "
               "summed over the range; scheduled utilization counts every held slot. The provider filter narrows "
               "the provider rows. Figures from fewer than 11 patients show <11.")
    by_resource = ctx.q(utilization_by_resource, f)
    figures = {c: ("patients_held", display.count) for c in MINUTES}
    figures |= {"utilization": ("patients_held", display.percent),
                "scheduled_utilization": ("patients_held", display.percent)}
    display.table("Utilization by chair, room and provider", display.suppressed_table(by_resource, figures))

    kind = st.segmented_control("Resource", RESOURCE_KINDS, default="chair", key="kind") or "chair"
    heat = ctx.q(utilization_heatmap, f, kind)
    st.markdown(f"**Utilization by weekday and hour ({kind}s)**")
    if heat.empty:
        st.info("No opening hours or bookings in this range.")
    else:
        chart_data = heat.assign(
            day=heat["weekday"].map(WEEKDAYS),
            shown=[display.shown(u, p, display.percent) for u, p in zip(heat["utilization"], heat["patients_held"],
                                                                        strict=True)],
            value=[None if display.is_small(p) else u for u, p in zip(heat["utilization"], heat["patients_held"],
                                                                      strict=True)])
        chart = alt.Chart(chart_data).mark_rect().encode(
            x=alt.X("hour:O", title="hour of the day"),
            y=alt.Y("day:O", sort=list(WEEKDAYS.values()), title=None),
            color=alt.Color("value:Q", title="utilization", scale=alt.Scale(scheme="blues"),
                            legend=alt.Legend(format="%")),
            tooltip=[alt.Tooltip("day:N"), alt.Tooltip("hour:O"), alt.Tooltip("shown:N", title="utilization")],
        )
        text = alt.Chart(chart_data).mark_text(fontSize=10).encode(
            x="hour:O", y=alt.Y("day:O", sort=list(WEEKDAYS.values())), text="shown:N")
        st.altair_chart(chart + text, width="stretch")
        st.caption("Empty cells: fewer than 11 patients behind them (<11).")
        heat_figures = {c: ("patients_held", display.count) for c in MINUTES[:2]}
        heat_figures |= {"utilization": ("patients_held", display.percent),
                         "scheduled_utilization": ("patients_held", display.percent)}
        display.table(f"Heat map ({kind}s)", display.suppressed_table(heat, heat_figures), show=False)

    trend = ctx.q(utilization_trend, f, kind, "date")
    st.markdown(f"**Daily utilization ({kind}s)**")
    _trend_chart(trend, {"utilization": "completed", "scheduled_utilization": "scheduled"}, percent=True)
    weekly = ctx.q(utilization_trend, f, kind, "week_start")
    st.markdown(f"**Scheduled vs completed minutes per week ({kind}s)**")
    _trend_chart(weekly, {"scheduled_minutes": "scheduled", "completed_minutes": "completed"}, percent=False)
    trend_figures = {c: ("patients_held", display.count) for c in MINUTES[:2]}
    trend_figures |= {"utilization": ("patients_held", display.percent),
                      "scheduled_utilization": ("patients_held", display.percent)}
    display.table(f"Daily utilization ({kind}s)", display.suppressed_table(trend, trend_figures), show=False)
    display.table(f"Weekly minutes ({kind}s)", display.suppressed_table(weekly, trend_figures), show=False)


def _trend_chart(df: pd.DataFrame, series: dict[str, str], *, percent: bool) -> None:
    """Lines of the periods with enough patients; suppressed periods are left out (a gap)."""
    if df.empty:
        st.info("Nothing in this range for the chosen filters.")
        return
    kept = df[[not display.is_small(p) for p in df["patients_held"]]]
    long = kept.melt(id_vars=["period"], value_vars=list(series), var_name="series", value_name="value")
    long["series"] = long["series"].map(series)
    y = alt.Y("value:Q", title=None, axis=alt.Axis(format="%") if percent else alt.Axis())
    chart = alt.Chart(long).mark_line(point=True).encode(x=alt.X("period:T", title=None), y=y,
                                                         color=alt.Color("series:N", title=None))
    st.altair_chart(chart, width="stretch")
    if len(kept) < len(df):
        st.caption(f"{len(df) - len(kept)} of {len(df)} periods left out: fewer than 11 patients behind them.")
