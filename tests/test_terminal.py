"""The command as a new user meets it, through the real `clinicops` command: what it says it is, its
version, errors in one line (a traceback only with --debug), `status` on a source that never had data,
Prefect's state in the practice's home, and the live progress display on a terminal."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from clinicops import __version__, progress
from clinicops.flows.nightly import run_nightly
from tests.practice import make_practice

AS_OF = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def clinicops(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clinicops.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_help_says_what_clinicops_is_and_version_prints_it() -> None:
    helped = clinicops("--help")
    assert helped.returncode == 0
    first = helped.stdout.splitlines()[0]
    assert first.startswith("clinicops: the nightly operations data of a psychiatry and ketamine-infusion practice")
    for command in ("init", "demo", "run", "serve", "status", "generate"):
        assert f"    {command} " in helped.stdout
    assert "argparse" not in helped.stdout and "module" not in helped.stdout
    assert "Run the night by itself every night" in clinicops("serve", "--help").stdout
    versioned = clinicops("--version")
    assert (versioned.returncode, versioned.stdout.strip()) == (0, f"clinicops {__version__}")


def test_a_machine_error_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    home = make_practice(tmp_path / "practice")
    (home.root / "landing").rmdir() if (home.root / "landing").is_dir() else None
    (home.root / "landing").write_text("a file where the landing folder should be")
    failed = clinicops("run", "--home", str(home.root))
    assert failed.returncode == 1
    [line] = failed.stderr.strip().splitlines()  # one line, naming the path and the error
    assert line.startswith(f"error: {home.root / 'landing'}: File exists")
    assert "Traceback" not in failed.stdout + failed.stderr
    debugged = clinicops("run", "--debug", "--home", str(home.root))
    assert debugged.returncode == 1 and "Traceback (most recent call last)" in debugged.stderr
    assert "FileExistsError" in debugged.stderr


def test_status_says_never_and_prefect_keeps_the_practice_s_runs_in_its_home(tmp_path: Path) -> None:
    home = make_practice(tmp_path / "practice")
    for review_file in home.inbox("reviews").iterdir():
        review_file.unlink()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_HOME"}
    ran = clinicops("run", "--home", str(home.root), "--as-of", "2026-11-25T02:00", env=env, timeout=600)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "ingest bookings:" in ran.stderr and "build:" in ran.stderr  # plain lines: not a terminal
    assert "\x1b[" not in ran.stdout + ran.stderr  # no terminal codes in a pipe or a log

    status = clinicops("status", "--home", str(home.root), env=env)
    assert status.returncode == 0, status.stderr
    lines = {line.split()[0]: line for line in status.stdout.splitlines() if "newest data" in line}
    assert "newest data never" in lines["reviews"] and "last ingest never" in lines["reviews"]
    assert "never" not in lines["bookings"] and "stale" in lines["bookings"]
    assert "measured against the last run's as-of, 2026-11-25 02:00 EST" in status.stdout

    assert (home.prefect_home / "prefect.db").exists()
    listed = subprocess.run([sys.executable, "-m", "prefect", "flow-run", "ls"], capture_output=True, text=True,
                            timeout=300, env={**env, "PREFECT_HOME": str(home.prefect_home), "COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    assert "clinicops-nightly" in listed.stdout and "COMPLETED" in listed.stdout


def test_a_terminal_gets_a_live_display_per_source_and_step(tmp_path: Path) -> None:
    from rich.console import Console

    home = make_practice(tmp_path / "practice")
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    logger = logging.getLogger("clinicops")
    level = logger.level
    with progress.live_progress(enabled=True, console=console):
        summary = run_nightly(home, AS_OF)
    assert summary.exit_code == 0, summary.message
    assert logger.level == level and not any(isinstance(h, progress.LiveProgressHandler) for h in logger.handlers)
    drawn = screen.getvalue()
    for row in ("plan", "ingest bookings", "ingest sessions", "ingest reviews", "validate bookings",
                "validate sessions", "validate reviews", "build", "publish", "report"):
        assert row in drawn, row
    assert drawn.count("✓") >= 10 and "4 row(s) accepted, 2 quarantined" in drawn
