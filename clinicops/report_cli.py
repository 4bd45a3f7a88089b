"""What the command line prints: a run's closing summary, the demo's headline figures, `status`.

Figures are read from the published warehouse's marts, read-only, summing counts and minutes before
dividing (the marts hold the one definition of every metric; nothing is restated here).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from clinicops.config import load_config
from clinicops.home import Home

HEADLINE_DAYS = 30


def print_run_summary(summary) -> None:
    print()
    print(f"run {summary.run_id}: {summary.status} (exit {summary.exit_code})")
    if summary.message:
        print(f"  {summary.message}")
    for note in getattr(summary, "notes", []):
        print(f"  note: {note}")
    print(f"  {'source':<10}{'files':>7}{'skipped':>9}{'rejected':>10}{'rows':>10}{'accepted':>10}{'quarantined':>13}")
    for source, o in summary.sources.items():
        print(f"  {source:<10}{o.files_read:>7}{o.files_skipped:>9}{len(o.rejected):>10}{o.rows_read:>10}"
              f"{o.rows_accepted:>10}{o.rows_quarantined:>13}")
        for r in o.rejected:
            print(f"    rejected: {r.reason}")
        if o.failure:
            print(f"    failed: {o.failure}")
    if summary.tables:
        print(f"  tables built: {len(summary.tables)} ({sum(summary.tables.values())} rows)")
        if getattr(summary, "build", ""):
            print(f"  build:             {summary.build}")
    if summary.warehouse:
        print(f"  warehouse:         {summary.warehouse}")
    if summary.report:
        print(f"  validation report: {summary.report}")


def connect_published(home: Home) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home.warehouse), read_only=True,
                          config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})


def headline_figures(home: Home, as_of: datetime) -> dict:
    """The demo's headline: the last HEADLINE_DAYS local days before as_of, and new patients per month."""
    zone = load_config(home.config_file).practice.zone
    last = as_of.astimezone(zone).date() - timedelta(days=1)
    first = last - timedelta(days=HEADLINE_DAYS - 1)
    con = connect_published(home)
    try:
        no_show = con.execute(
            "select sum(no_show), sum(completed + no_show + late_cancel) "
            "from marts.appointment_outcomes_daily where date between ? and ?", [first, last]).fetchall()[0]
        chairs = con.execute(
            "select sum(completed_minutes), sum(scheduled_minutes), sum(available_minutes) "
            "from marts.utilization_daily where resource_kind = 'chair' and date between ? and ?",
            [first, last]).fetchall()[0]
        months = con.execute(
            "select month, sum(new_patients) from marts.new_patients_monthly "
            "group by month order by month desc limit 3").fetchall()
    finally:
        con.close()

    def ratio(num, den):
        return None if not den else (num or 0) / den

    return {
        "first": first, "last": last,
        "no_show_rate": ratio(no_show[0], no_show[1]), "kept_and_missed": int(no_show[1] or 0),
        "chair_utilization": ratio(chairs[0], chairs[2]),
        "chair_scheduled_utilization": ratio(chairs[1], chairs[2]),
        "new_patients": [(m, int(n)) for m, n in months],
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def print_demo_figures(home: Home, as_of: datetime) -> None:
    f = headline_figures(home, as_of)
    print()
    print(f"demo practice, {f['first']} to {f['last']}:")
    print(f"  no-show rate:              {_pct(f['no_show_rate'])} of {f['kept_and_missed']} kept or missed")
    print(f"  chair utilization:         {_pct(f['chair_utilization'])} completed, "
          f"{_pct(f['chair_scheduled_utilization'])} scheduled")
    for month, n in f["new_patients"]:
        print(f"  new patients {month:%Y-%m}:     {n}")
    print()
    print(f"  warehouse:         {home.warehouse}  (open read-only: duckdb -readonly {home.warehouse})")
    print(f"  validation report: {home.latest_report}")
    print(f"  dashboard:         clinicops dashboard --home {home.root}  (then open http://127.0.0.1:8501/)")


def _when(moment: datetime | None, missing: str = "-") -> str:
    return missing if moment is None else f"{moment:%Y-%m-%d %H:%M %Z}"


def print_status(home: Home) -> int:
    """Last runs, freshness per source and quarantine counts, from the published warehouse."""
    if not home.warehouse.exists():
        print(f"no published warehouse at {home.warehouse} yet: run `clinicops run --home {home.root}`")
        return 1
    con = connect_published(home)
    con.execute("set TimeZone = ?", [load_config(home.config_file).practice.timezone])
    try:
        runs = con.execute("select run_id, status, exit_code, started_at, files_rejected from ops.runs "
                           "order by started_at desc limit 5").fetchall()
        fresh = con.execute("select source, newest_data_at, last_ingest_at, hours_stale, as_of from ops.freshness "
                            "order by source").fetchall()
        quarantine = con.execute("select source, rule, count(*) from ops.quarantine group by source, rule "
                                 "order by source, count(*) desc").fetchall()
    finally:
        con.close()
    print(f"warehouse {home.warehouse}")
    print("last runs:")
    for run_id, status, code, started, rejected in runs:
        print(f"  {run_id}  {status:<22} exit {code}  started {started:%Y-%m-%d %H:%M %Z}  files rejected {rejected}")
    as_of = next((row[4] for row in fresh if row[4] is not None), None)
    print(f"freshness (hours stale, measured against the last run's as-of, {_when(as_of)}):")
    for source, newest, ingested, hours, _ in fresh:
        stale = "-" if hours is None else f"{hours:.1f} h"
        print(f"  {source:<10} newest data {_when(newest, 'never'):<20}  last ingest {_when(ingested, 'never'):<20}"
              f"  stale {stale}")
    print("quarantined rows (all runs):")
    if not quarantine:
        print("  none")
    for source, rule, n in quarantine:
        print(f"  {source:<10} {rule:<32} {n}")
    return 0
