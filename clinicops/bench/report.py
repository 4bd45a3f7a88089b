"""The bench's results: `bench.json` (the keys of operations.md "Speed and size") and the same figures as a
Markdown table, `bench.md`."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class SizeResult:
    size: str  # locations x months x patients per month
    booking_rows: int
    session_rows: int
    review_rows: int
    clinicops_s: float
    floor_s: float
    peak_rss_mb: float
    appointments: int  # core.appointments rows in the published warehouse
    floor_appointments: int  # ... and in the floor's
    clinicops_cpu_s: float = 0.0  # CPU seconds of the run's process tree
    floor_cpu_s: float = 0.0  # CPU seconds of the floor (all DuckDB threads)

    @property
    def ratio(self) -> float:
        return round(self.clinicops_s / self.floor_s, 2)


@dataclass
class BenchResult:
    quick: bool
    sizes: list[SizeResult]
    empty_run_s: float
    stack_start_s: float
    incremental: dict[int, float]  # months of history -> seconds of one new night
    incremental_rss_mb: dict[int, float]
    incremental_cpu_s: dict[int, float]
    dashboard: dict[str, float] | None  # p50_ms, p95_ms, or None
    dashboard_note: str = ""
    generation_s: dict[str, float] = field(default_factory=dict)  # size -> seconds to generate (0: reused)
    elapsed_s: float = 0.0


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory_gb = None
    try:
        memory_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory_gb, "os": platform.platform(),
        "python": sys.version.split()[0], "duckdb": duckdb.__version__, "load_average_at_end": load,
    }


def marginal_ratio(sizes: list[SizeResult]) -> float | None:
    """Slope of clinicops over slope of the floor between the two largest sizes (None when the floor's slope
    is not positive, e.g. sizes too close for the noise)."""
    if len(sizes) < 2:
        return None
    a, b = sorted(sizes, key=lambda s: s.booking_rows)[-2:]
    floor_slope = b.floor_s - a.floor_s
    if floor_slope <= 0 or b.booking_rows == a.booking_rows:
        return None
    return round((b.clinicops_s - a.clinicops_s) / floor_slope, 2)


def as_json(result: BenchResult) -> dict:
    return {
        "machine": machine(),
        "sizes": [
            {"booking_rows": s.booking_rows, "session_rows": s.session_rows, "review_rows": s.review_rows,
             "clinicops_s": s.clinicops_s, "floor_s": s.floor_s, "ratio": s.ratio, "peak_rss_mb": s.peak_rss_mb}
            for s in result.sizes
        ],
        "marginal_ratio": marginal_ratio(result.sizes),
        "fixed": {"empty_run_s": result.empty_run_s, "stack_start_s": result.stack_start_s},
        "incremental": {str(months): seconds for months, seconds in sorted(result.incremental.items())},
        "dashboard": result.dashboard,
    }


def _n(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _cpu_ratio(s: SizeResult) -> str:
    return f"{s.clinicops_cpu_s / s.floor_cpu_s:,.1f}x" if s.floor_cpu_s > 0 else "n/a"


def as_markdown(result: BenchResult, data: dict) -> str:
    m = data["machine"]
    lines = [
        f"# clinicops bench{' (--quick)' if result.quick else ''}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['os']}; Python {m['python']}, "
        f"DuckDB {m['duckdb']}; load average at the end {m['load_average_at_end']}. "
        f"The bench took {result.elapsed_s / 60:.1f} min.",
        "",
        "| size (loc x months x patients) | booking rows | session rows | review rows | clinicops full run (s) "
        "| DuckDB floor (s) | ratio | clinicops peak RSS (MB) | core.appointments clinicops / floor "
        "| CPU s clinicops / floor (ratio) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for s in result.sizes:
        same = "equal" if s.appointments == s.floor_appointments else "DIFFERENT"
        lines.append(f"| {s.size} | {_n(s.booking_rows)} | {_n(s.session_rows)} | {_n(s.review_rows)} "
                     f"| {_n(s.clinicops_s)} | {_n(s.floor_s, 2)} | {_n(s.ratio)}x | {_n(s.peak_rss_mb, 0)} "
                     f"| {_n(s.appointments)} / {_n(s.floor_appointments)} ({same}) "
                     f"| {_n(s.clinicops_cpu_s)} / {_n(s.floor_cpu_s, 2)} ({_cpu_ratio(s)}) |")
    marginal = data["marginal_ratio"]
    lines += [
        "",
        f"Marginal ratio (slope of clinicops over slope of the floor between the two largest sizes): "
        f"{_n(marginal, 2)}{'x' if marginal is not None else ''}",
        "",
        "| fixed cost | seconds |",
        "| --- | ---: |",
        f"| empty run (`clinicops run` on a home with its config and an empty inbox) | {_n(result.empty_run_s)} |",
        f"| stack start (Python + the run's imports + one empty Prefect flow on the ephemeral server) "
        f"| {_n(result.stack_start_s)} |",
        "",
        "| history (months) | one new night (s) | its peak RSS (MB) | its CPU (s) |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for months, seconds in sorted(result.incremental.items()):
        lines.append(f"| {months} | {_n(seconds)} | {_n(result.incremental_rss_mb.get(months), 0)} "
                     f"| {_n(result.incremental_cpu_s.get(months))} |")
    lines += ["", "| dashboard, heaviest query on the largest warehouse | ms |", "| --- | ---: |"]
    if result.dashboard:
        lines += [f"| p50 | {_n(result.dashboard['p50_ms'])} |", f"| p95 | {_n(result.dashboard['p95_ms'])} |"]
    else:
        lines.append("| p50 / p95 | null |")
    if result.dashboard_note:
        lines += ["", result.dashboard_note]
    generated = ", ".join(f"{k} {v:.0f} s" for k, v in result.generation_s.items() if v)
    if generated:
        lines += ["", f"Generating the practices (not measured against anything): {generated}."]
    repeats = "One run each (--quick)" if result.quick else "Medians of 3 runs where a run took under 10 s"
    lines += ["", f"{repeats}; peak RSS is the largest sum of VmRSS over the "
              "`clinicops run` process tree, sampled every 0.1 s. A ratio is clinicops full run / floor (wall "
              "clock); the CPU columns (user + system of the run's process tree, of the floor's process) are "
              "less sensitive to a machine shared with other work.", ""]
    return "\n".join(lines)


def write_report(result: BenchResult, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = as_json(result)
    json_path, md_path = out / "bench.json", out / "bench.md"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(as_markdown(result, data), encoding="utf-8")
    return json_path, md_path
