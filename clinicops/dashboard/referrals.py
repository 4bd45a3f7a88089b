"""Referral sources: new patients by source per month, the funnel with conversion rates, days to first infusion."""

from __future__ import annotations

import altair as alt
import streamlit as st

from clinicops.dashboard import display
from clinicops.dashboard.context import Context
from clinicops.dashboard.queries import new_patients_by_source, referral_funnel

STEPS = ("patients_booked", "first_visits_completed", "infusions_started", "series_completed")


def render(ctx: Context) -> None:
    f = ctx.filters
    st.title("Referral sources")
    st.caption(f"Months {f.start:%Y-%m} to {f.end:%Y-%m}, {ctx.location_label} (a patient counts at the location of "
               "the first visit). The provider filter does not apply to patients. Figures from fewer than 11 "
               "patients show <11.")
    new = ctx.q(new_patients_by_source, f)
    st.markdown("**New patients by referral source per month**")
    kept = new[[not display.is_small(n) for n in new["new_patients"]]]
    if not kept.empty:
        chart = alt.Chart(kept).mark_bar().encode(
            x=alt.X("month:T", title=None, timeUnit="yearmonth"), y=alt.Y("new_patients:Q", title="new patients"),
            color=alt.Color("referral_source:N", title="source"))
        st.altair_chart(chart, width="stretch")
    if not new.empty:
        shown = new.assign(month=new["month"].map(lambda m: f"{m:%Y-%m}"),
                           new_patients=[display.shown(n, n) for n in new["new_patients"]])
        wide = shown.pivot(index="month", columns="referral_source", values="new_patients").fillna("0")
        display.table("New patients by source", wide.reset_index(),
                      caption="Each cell counts the patients whose first visit fell in the month.")
    else:
        display.table("New patients by source", new)

    funnel = ctx.q(referral_funnel, f)
    st.markdown("**Funnel: booked → first visit → first infusion → series** (patients by month of first booking)")
    overall = funnel[funnel["referral_source"] == "all sources"]
    if not overall.empty:
        row = overall.iloc[0]
        steps = [{"step": s.replace("_", " "), "order": i, "patients": int(row[s])}
                 for i, s in enumerate(STEPS) if not display.is_small(row[s])]
        if steps:
            chart = alt.Chart(alt.Data(values=steps)).mark_bar().encode(
                y=alt.Y("step:N", sort=alt.EncodingSortField("order"), title=None),
                x=alt.X("patients:Q", title="patients"))
            st.altair_chart(chart, width="stretch")
    # each step's count is itself the number of patients behind it
    funnel = funnel.assign(**{f"patients_{s}": funnel[s] for s in STEPS})
    table = display.suppressed_table(funnel, {s: (f"patients_{s}", display.count) for s in STEPS})
    # a rate or median is shown only when both the step and the step before it come from 11 patients or more
    for rate, numerator, denominator in (("visit_rate", "first_visits_completed", "patients_booked"),
                                         ("infusion_rate", "infusions_started", "first_visits_completed"),
                                         ("series_rate", "series_completed", "infusions_started")):
        table[rate] = [display.SUPPRESSED if display.is_small(n) or display.is_small(d) else display.percent(r)
                       for r, n, d in zip(funnel[rate], funnel[numerator], funnel[denominator], strict=True)]
    table["median_days_to_first_infusion"] = [
        display.shown(m, n, display.number) for m, n in
        zip(funnel["median_days_to_first_infusion"], funnel["infusions_started"], strict=True)]
    display.table("Referral funnel", table,
                  caption="Conversion = each step / the step before; median days from first booking to first "
                          "completed infusion.")
