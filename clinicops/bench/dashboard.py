"""Dashboard timing: the heaviest of the dashboard's own queries, repeated on the largest warehouse."""

from __future__ import annotations

import importlib
import statistics
import time
from pathlib import Path

import duckdb

REPEATS = 20


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def time_dashboard(warehouse: Path, repeats: int = REPEATS) -> tuple[dict[str, float] | None, str]:
    """({p50_ms, p95_ms} of the heaviest query, a note), or (None, why not) when the dashboard exposes no
    `clinicops.dashboard.queries.bench_queries()` yet."""
    try:
        queries = importlib.import_module("clinicops.dashboard.queries").bench_queries()
    except (ImportError, AttributeError) as e:
        return None, f"Dashboard: not timed (`clinicops.dashboard.queries.bench_queries()` is not available: {e})."
    if not queries:
        return None, "Dashboard: bench_queries() returned no query."
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        first: dict[str, float] = {}
        for name, query in queries:
            started = time.perf_counter()
            query(con)
            first[name] = time.perf_counter() - started
        heaviest = max(first, key=lambda n: first[n])
        run = dict(queries)[heaviest]
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            run(con)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        con.close()
    p50, p95 = statistics.median(times), _percentile(times, 0.95)
    return ({"p50_ms": round(p50, 1), "p95_ms": round(p95, 1)},
            f"Dashboard: the heaviest of {len(queries)} queries was `{heaviest}`, timed {repeats} times.")
