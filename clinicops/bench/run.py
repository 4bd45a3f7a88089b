"""`clinicops bench`: real `clinicops run`s on generated practices, against the raw DuckDB floor.

For every size: generate a clean practice once (cached under `<out>/work/practices`), copy it into a fresh
home, time one real `clinicops run` in a subprocess (peak RSS of its process tree) and the floor on the same
inbox; a short run is repeated and the median taken. Then the fixed costs (stack start, a run on an empty
inbox), one new night on top of each history length, and the dashboard's heaviest query on the largest
warehouse. Everything the runs write stays under `<out>/work`, Prefect's home too unless $PREFECT_HOME is set.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from clinicops.bench.dashboard import time_dashboard
from clinicops.bench.floor import run_floor
from clinicops.bench.measure import REPEAT_BELOW_SECONDS, REPEATS, Measured, clinicops_run, measure, median_of
from clinicops.bench.practices import (
    DEFAULT_HISTORIES,
    DEFAULT_SIZES,
    HISTORY_LOCATIONS,
    HISTORY_PATIENTS,
    QUICK_HISTORIES,
    QUICK_HISTORY_LOCATIONS,
    QUICK_HISTORY_PATIENTS,
    QUICK_SIZES,
    Generated,
    add_next_day,
    empty_home,
    fresh_home,
    generate,
    parse_size,
)
from clinicops.bench.report import BenchResult, SizeResult, write_report
from clinicops.config import load_config
from clinicops.generate import PracticeSize
from clinicops.home import Home


def _appointments(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select count(*) from core.appointments").fetchall()[0][0]
    finally:
        con.close()


class Bench:
    def __init__(self, out: Path, say: Callable[[str], None], *, repeats: int = REPEATS):
        self.out, self.say, self.repeats = out, say, repeats  # --quick: no repeats
        self.work = out / "work"
        self.practices, self.homes, self.logs = self.work / "practices", self.work / "homes", self.work / "logs"
        # Prefect's home (its database): the caller's when set (tests set a private one), else one of our own
        self.env = dict(os.environ)
        self.env.setdefault("PREFECT_HOME", str(self.work / "prefect"))
        self.env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

    def generated(self, size: PracticeSize, *, next_day: bool = False) -> Generated:
        started = time.perf_counter()
        g = generate(self.practices, size, next_day=next_day)
        if g.seconds:
            seconds = time.perf_counter() - started
            self.say(f"  generated {g.size}: {g.rows['bookings']:,} booking rows in {seconds:.0f} s")
        return g

    def full_run(self, g: Generated) -> tuple[Measured, Home]:
        home_root = self.homes / g.size

        def once() -> Measured:
            home = fresh_home(g.root, home_root)
            return clinicops_run(home.root, g.as_of, env=self.env, log=self.logs / f"run-{g.size}.log")

        return median_of(once, repeats=self.repeats), Home(home_root)

    def floor(self, g: Generated) -> tuple[float, float, int]:
        home = Home(g.root)
        config = load_config(home.config_file)
        scratch = self.work / "floor" / f"{g.size}.duckdb"
        first = run_floor(home, config, g.as_of, scratch)
        runs = [first]
        if first.seconds < REPEAT_BELOW_SECONDS:
            runs += [run_floor(home, config, g.as_of, scratch) for _ in range(self.repeats - 1)]
        return (round(statistics.median(r.seconds for r in runs), 3),
                round(statistics.median(r.cpu_seconds for r in runs), 2), first.row_counts["core.appointments"])

    def size(self, text: str) -> SizeResult:
        g = self.generated(parse_size(text))
        self.say(f"size {g.size}: clinicops run ...")
        measured, home = self.full_run(g)
        floor_s, floor_cpu_s, floor_appointments = self.floor(g)
        appointments = _appointments(home.warehouse)
        self.say(f"  clinicops {measured.seconds:.1f} s, {measured.cpu_s:.1f} s CPU ({measured.peak_rss_mb:.0f} MB), "
                 f"floor {floor_s:.2f} s, {floor_cpu_s:.2f} s CPU; "
                 f"core.appointments {appointments:,} / floor {floor_appointments:,}")
        return SizeResult(g.size, g.rows["bookings"], g.rows["sessions"], g.rows["reviews"], measured.seconds,
                          floor_s, measured.peak_rss_mb, appointments, floor_appointments, measured.cpu_s, floor_cpu_s)

    def fixed(self, practice: Generated) -> tuple[float, float]:
        stack = median_of(lambda: measure([sys.executable, "-m", "clinicops.bench.stack"], env=self.env,
                                          log=self.logs / "stack-start.log"), repeats=self.repeats)

        def empty() -> Measured:
            home = empty_home(practice.root, self.homes / "empty")
            return clinicops_run(home.root, practice.as_of, env=self.env, log=self.logs / "empty-run.log")

        empty_run = median_of(empty, repeats=self.repeats)
        self.say(f"fixed: stack start {stack.seconds:.1f} s, empty run {empty_run.seconds:.1f} s")
        return empty_run.seconds, stack.seconds

    def night(self, months: int, locations: int, patients: int) -> Measured:
        g = self.generated(PracticeSize(locations, months, patients), next_day=True)
        assert g.held_from is not None
        home = fresh_home(g.root, self.homes / f"history-{months}")
        log = self.logs / f"history-{months}.log"
        clinicops_run(home.root, g.held_from, env=self.env, log=log)
        add_next_day(g, home)
        night = clinicops_run(home.root, g.as_of, env=self.env, log=log)
        self.say(f"history {months} months: one new night {night.seconds:.1f} s, {night.cpu_s:.1f} s CPU "
                 f"({night.peak_rss_mb:.0f} MB)")
        return night


def run_bench(out: Path, *, quick: bool = False, sizes: list[str] | None = None,
              say: Callable[[str], None] | None = None) -> tuple[Path, Path]:
    """Run the bench and write `<out>/bench.json` and `<out>/bench.md`; returns their paths."""
    started = time.perf_counter()
    chosen = list(sizes or (QUICK_SIZES if quick else DEFAULT_SIZES))
    for text in chosen:
        parse_size(text)  # refuse a bad size before anything runs
    bench = Bench(out, say or (lambda line: print(line, flush=True)), repeats=1 if quick else REPEATS)
    shutil.rmtree(bench.homes, ignore_errors=True)
    shutil.rmtree(bench.logs, ignore_errors=True)
    first = bench.generated(parse_size(chosen[0]))
    # the first run also migrates Prefect's database: do it before anything is timed
    bench.say("warming up Prefect's ephemeral server (not timed) ...")
    measure([sys.executable, "-m", "clinicops.bench.stack"], env=bench.env, log=bench.logs / "warm-up.log")
    histories = QUICK_HISTORIES if quick else DEFAULT_HISTORIES
    locations = QUICK_HISTORY_LOCATIONS if quick else HISTORY_LOCATIONS
    patients = QUICK_HISTORY_PATIENTS if quick else HISTORY_PATIENTS
    result = BenchResult(quick=quick, sizes=[], empty_run_s=0.0, stack_start_s=0.0, incremental={},
                         incremental_rss_mb={}, incremental_cpu_s={}, dashboard=None,
                         dashboard_note="Dashboard: not timed yet (the bench is still running).")

    def report() -> tuple[Path, Path]:  # after every step, so an interrupted bench leaves what it measured
        result.generation_s = {stamp.parent.name: json.loads(stamp.read_text()).get("seconds", 0.0)
                               for stamp in sorted(bench.practices.glob("*/generated.json"))}
        result.elapsed_s = time.perf_counter() - started
        return write_report(result, out)

    result.empty_run_s, result.stack_start_s = bench.fixed(first)
    report()
    ordered = sorted(chosen, key=lambda text: parse_size(text).locations * parse_size(text).months)
    for text in ordered[:-1]:
        result.sizes.append(bench.size(text))
        report()
    for months in histories:  # before the largest size, the longest step
        night = bench.night(months, locations, patients)
        result.incremental[months] = night.seconds
        result.incremental_rss_mb[months] = night.peak_rss_mb
        result.incremental_cpu_s[months] = night.cpu_s
        report()
    result.sizes.append(bench.size(ordered[-1]))
    result.sizes.sort(key=lambda s: s.booking_rows)
    report()
    largest = max(result.sizes, key=lambda s: s.booking_rows)
    result.dashboard, result.dashboard_note = time_dashboard(Home(bench.homes / largest.size).warehouse)
    return report()
