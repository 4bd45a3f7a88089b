"""The Streamlit script of `clinicops dashboard`: `streamlit run app.py -- --home DIR` (see launch.py).

Each page view opens the published warehouse read-only, draws the sidebar (filters, data health) and the
chosen page, and closes the connection. With no usable warehouse every page says what to run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, timedelta

import duckdb
import streamlit as st

from clinicops.dashboard import data_health, no_shows, referrals, reviews, today, utilization
from clinicops.dashboard.context import Context
from clinicops.dashboard.display import when
from clinicops.dashboard.queries import Filters, freshness, last_runs, warehouse_facts
from clinicops.dashboard.source import WarehouseUnavailable, open_warehouse
from clinicops.home import Home, resolve_home

ALL_LOCATIONS = "All locations"
ALL_PROVIDERS = "All providers"
DEFAULT_DAYS = 30
STALE_HOURS = 36
FOOTER = "Figures from the warehouse published by run"

# (title, url path, module drawing it, needs appointments); Today is the default page, at /
PAGES = (
    ("Today", "", today, True),
    ("Utilization", "utilization", utilization, True),
    ("No-shows", "no-shows", no_shows, True),
    ("Referral sources", "referral-sources", referrals, True),
    ("Reviews", "reviews", reviews, False),
    ("Data health", "data-health", data_health, False),
)


def home_from_argv(argv: list[str]) -> Home:
    parser = argparse.ArgumentParser(prog="clinicops dashboard")
    parser.add_argument("--home")
    args, _ = parser.parse_known_args(argv)
    return Home(resolve_home(args.home))


def what_to_run(home: Home, reason: str) -> None:
    """The page shown when there is nothing to show: why, and the command that fixes it."""
    st.title("clinicops dashboard")
    st.warning(reason)
    st.markdown("The dashboard shows the warehouse the nightly run publishes. To publish one, run:")
    st.code(f"clinicops run --home {home.root}", language="bash")
    st.markdown("or, to look at the dashboard on a generated demo practice, from the clinicops folder:")
    st.code("make demo\nclinicops dashboard --home demo-home", language="bash")
    st.caption("This page reloads the warehouse on every view: refresh it once the run has published.")


def sidebar_filters(facts: dict) -> Filters:
    first, last = facts["first_date"], facts["last_date"]
    end = min(facts["as_of_date"] - timedelta(days=1), last)
    end = max(end, first)
    start = max(first, end - timedelta(days=DEFAULT_DAYS - 1))
    st.sidebar.header("Filters")
    chosen_start = st.sidebar.date_input("From", value=start, min_value=first, max_value=last, key="from",
                                         bind="query-params", format="YYYY-MM-DD")
    chosen_end = st.sidebar.date_input("To", value=end, min_value=first, max_value=last, key="to",
                                       bind="query-params", format="YYYY-MM-DD")
    location = st.sidebar.selectbox("Location", [ALL_LOCATIONS, *facts["locations"]], key="location",
                                    bind="query-params")
    location = None if location == ALL_LOCATIONS else location
    providers = [p for p, loc in facts["providers"] if location is None or loc == location]
    provider = st.sidebar.selectbox("Provider", [ALL_PROVIDERS, *providers], key="provider", bind="query-params")
    provider = None if provider == ALL_PROVIDERS else provider
    if not isinstance(chosen_start, date) or not isinstance(chosen_end, date):
        chosen_start, chosen_end = start, end
    if chosen_end < chosen_start:
        st.sidebar.warning("'To' is before 'From': the two are swapped.")
        chosen_start, chosen_end = chosen_end, chosen_start
    return Filters(chosen_start, chosen_end, location, provider)


def sidebar_health(ctx: Context) -> None:
    """Data freshness and the last run, on every page."""
    st.sidebar.header("Data health")
    runs = ctx.q(last_runs, 1)
    fresh = ctx.q(freshness)
    st.sidebar.caption(f"Warehouse as of {when(ctx.facts['as_of'])} ({ctx.facts['timezone']})")
    if not runs.empty:
        run = runs.iloc[0]
        st.sidebar.caption(f"Last run: {run['status']} (exit {run['exit_code']}), "
                           f"finished {when(run['finished_at'])}")
    lines = []
    for row in fresh.itertuples():
        age = "no data" if row.hours_stale is None or row.hours_stale != row.hours_stale else f"{row.hours_stale:.0f} h"
        lines.append(f"- {row.source}: newest data {age} old")
    st.sidebar.markdown("\n".join(lines))
    stale = [r.source for r in fresh.itertuples()
             if r.hours_stale is None or r.hours_stale != r.hours_stale or r.hours_stale > STALE_HOURS]
    if stale:
        st.sidebar.warning(f"Stale or missing: {', '.join(stale)} (see Data health)")


def page(ctx_holder: dict, module, needs_appointments: bool) -> Callable[[], None]:
    def draw() -> None:
        ctx: Context = ctx_holder["ctx"]
        if needs_appointments and not ctx.facts["appointments"]:
            what_to_run(ctx.home, "The warehouse holds no appointments yet: drop booking exports into "
                                  f"{ctx.home.inbox('bookings')} and run the nightly flow.")
            return
        try:
            module.render(ctx)
        except Exception as e:  # one clear line, never a traceback on the page
            st.error(f"This page could not be drawn: {type(e).__name__}: {e}")
        st.divider()
        st.caption(f"{FOOTER} {ctx.facts['run_id']}, as of {when(ctx.facts['as_of'])}.")
    draw.__name__ = module.__name__.rsplit(".", 1)[-1]
    return draw


def main() -> None:
    st.set_page_config(page_title="clinicops", layout="wide")
    home = home_from_argv(sys.argv[1:])
    holder: dict = {}
    pages = [st.Page(page(holder, module, needs), title=title, url_path=path or None, default=i == 0)
             for i, (title, path, module, needs) in enumerate(PAGES)]
    try:
        with open_warehouse(home) as warehouse:
            try:
                facts = warehouse.query(warehouse_facts)
            except (duckdb.Error, IndexError) as e:
                raise WarehouseUnavailable(f"The warehouse at {home.warehouse} cannot be read ({e}).") from None
            if facts["first_date"] is None:
                facts["first_date"] = facts["last_date"] = facts["as_of_date"]
            navigation = st.navigation(pages)
            filters = sidebar_filters(facts)
            holder["ctx"] = Context(home, warehouse, facts, filters)
            sidebar_health(holder["ctx"])
            navigation.run()
    except WarehouseUnavailable as e:
        reason = str(e)
        st.navigation([st.Page(lambda: what_to_run(home, reason), title=title, url_path=path or None, default=i == 0)
                       for i, (title, path, _, _) in enumerate(PAGES)], position="hidden").run()


if __name__ == "__main__":
    main()
