"""Data health: freshness per source, the last runs with their state, quarantine counts by rule, the
validation report."""

from __future__ import annotations

import streamlit as st

from clinicops.dashboard import display
from clinicops.dashboard.context import Context
from clinicops.dashboard.queries import freshness, last_runs, quarantine_counts, rejected_files, validation_summary


def render(ctx: Context) -> None:
    st.title("Data health")
    st.caption(f"Warehouse built by run {ctx.facts['run_id']}, as of {display.when(ctx.facts['as_of'])} "
               f"({ctx.facts['timezone']}). These figures are of files and rows, not patients.")
    fresh = ctx.q(freshness)
    fresh = fresh.assign(hours_stale=fresh["hours_stale"].map(lambda v: display.number(v, 1)))
    display.table("Freshness per source", display.suppressed_table(fresh, {}))
    display.table("Last runs", display.suppressed_table(ctx.q(last_runs, 10), {}))
    display.table("Quarantined rows by rule", display.suppressed_table(ctx.q(quarantine_counts), {}),
                  caption="Rows set aside by validation (all runs): the validation report names each file and row.")
    display.table("Rejected files", display.suppressed_table(ctx.q(rejected_files), {}))
    display.table("Validation results of the newest run", display.suppressed_table(ctx.q(validation_summary), {}))

    st.subheader("Validation report")
    report = ctx.home.latest_report
    if not report.exists():
        st.info(f"No validation report at {report} yet.")
        return
    html = report.read_text(encoding="utf-8", errors="replace")
    st.caption(f"{report} (the newest run's; it has no external asset)")
    st.download_button("Download the validation report (HTML)", html.encode("utf-8"), file_name="validation.html",
                       mime="text/html", key="report-download", on_click="ignore")
    st.iframe(html, height=700)
