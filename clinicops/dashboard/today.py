"""Today: yesterday and this week at a glance, each against the period before."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from clinicops.dashboard import display
from clinicops.dashboard.context import Context
from clinicops.dashboard.queries import newest_reviews, today_figures

# (label, figure, patients behind it, format, change format, lower is better)
FIGURES = (
    ("Completed", "completed", "patients_completed", display.count, None, False),
    ("No-show rate", "no_show_rate", "patients_kept_and_missed", display.percent, display.points, True),
    ("Late-cancel rate", "late_cancel_rate", "patients_kept_and_missed", display.percent, display.points, True),
    ("Utilization", "utilization", "patients_held", display.percent, display.points, False),
    ("New patients", "new_patients", "patients_new", display.count, None, False),
)


def render(ctx: Context) -> None:
    yesterday = ctx.facts["as_of_date"] - timedelta(days=1)
    figures = ctx.q(today_figures, ctx.filters, yesterday)
    st.title("Today")
    kind = f"provider {ctx.filters.provider}" if ctx.filters.provider else "chairs"
    st.caption(f"{ctx.location_label}, {ctx.provider_label}. Yesterday is {yesterday:%A %Y-%m-%d}; this week "
               f"runs from {figures['this week']['first']:%a %Y-%m-%d}. Utilization is that of the {kind}. "
               "The date range filter does not apply here; figures from fewer than 11 patients show <11.")
    for period, previous, against in (("yesterday", "day before", "the day before"),
                                      ("this week", "last week", "the same days last week")):
        st.subheader(period.capitalize())
        now, before = figures[period], figures[previous]
        for column, (label, figure, base, fmt, delta_fmt, lower) in zip(st.columns(len(FIGURES)), FIGURES,
                                                                         strict=True):
            with column:
                display.metric(f"{label} {period}", now[figure], now[base], fmt, before[figure], before[base],
                               delta_fmt, help=f"against {against}", lower_is_better=lower)
    st.subheader("Newest reviews")
    latest = ctx.q(newest_reviews, ctx.filters, 5)
    display.table("Newest reviews", display.suppressed_table(latest, {}))
