"""Measuring one real `clinicops run` (or any command) in a subprocess: wall time and peak RSS.

Peak RSS is sampled from /proc every 0.1 s: the sum of VmRSS over the process and all its descendants
(Prefect's ephemeral API server runs as a child process), the largest sum seen. Pages shared between the
processes count once per process, so it is an upper bound of the tree's real footprint; a peak shorter than
the sampling interval can be missed.
"""

from __future__ import annotations

import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SAMPLE_SECONDS = 0.1
REPEAT_BELOW_SECONDS = 10.0  # a run shorter than this is repeated and the median taken
REPEATS = 3


class BenchError(Exception):
    """A measured run failed: the message names the command and where its output is."""


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mb: float
    exit_code: int
    cpu_s: float = 0.0  # user + system CPU of the process tree (getrusage of the waited-for children)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(pid: int) -> int:
    """VmRSS summed over `pid` and every descendant."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_kb(p)
        todo += _children(p)
    return total


def measure(argv: list[str], *, env: dict[str, str], log: Path, timeout: float = 3600.0,
            ok_codes: tuple[int, ...] = (0,)) -> Measured:
    """Run `argv` to its end, sampling the process tree's memory; output goes to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    with log.open("ab") as out:
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        # its own process group, so that nothing it started (Prefect's server) outlives an interrupted bench
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            while proc.poll() is None:
                peak = max(peak, tree_rss_kb(proc.pid))
                if time.perf_counter() - started > timeout:
                    raise BenchError(f"{' '.join(argv[:4])} ... ran over {timeout:.0f} s (output: {log})")
                time.sleep(SAMPLE_SECONDS)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in ok_codes:
        raise BenchError(f"{' '.join(argv[:4])} ... exited {proc.returncode} (output: {log})")
    return Measured(round(seconds, 3), round(peak / 1024, 1), proc.returncode, round(cpu, 2))


def median_of(run: Callable[[], Measured], *, repeat_below: float = REPEAT_BELOW_SECONDS,
              repeats: int = REPEATS) -> Measured:
    """One run; when it is short, `repeats` in all: the median time, the largest peak RSS."""
    runs = [run()]
    if runs[0].seconds < repeat_below:
        runs += [run() for _ in range(repeats - 1)]
    return Measured(round(statistics.median(r.seconds for r in runs), 3), max(r.peak_rss_mb for r in runs),
                    runs[-1].exit_code, round(statistics.median(r.cpu_s for r in runs), 2))


def clinicops_run(home: Path, as_of: datetime, *, env: dict[str, str], log: Path) -> Measured:
    """A real `clinicops run --home H --as-of T`; exit 0 or 3 (published) counts as done."""
    argv = [sys.executable, "-m", "clinicops.cli", "run", "--home", str(home), "--as-of", as_of.isoformat()]
    return measure(argv, env=env, log=log, ok_codes=(0, 3))
