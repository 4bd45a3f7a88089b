"""kill -9 at any point: the published warehouse stays as it was, and the next run finishes the work."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from clinicops.flows.nightly import run_nightly
from clinicops.home import Home
from tests.practice import booking, make_practice, write_csv

AS_OF = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def contents(home: Home) -> dict[str, list]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        tables = [f"{s}.{t}" for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in ('core', 'marts')").fetchall()]
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


@pytest.mark.parametrize("kill_after", ["ingest bookings", "validate sessions", "build:"])
def test_a_run_killed_mid_way(tmp_path: Path, kill_after: str) -> None:
    home = make_practice(tmp_path / "crashed")
    assert run_nightly(home, AS_OF).exit_code == 0
    yesterday = contents(home)
    write_csv(home.inbox("bookings") / "bookings_2026-11-24.csv", [
        booking("A9", "2026-11-27 10:00", status="Scheduled", updated_at="2026-11-24"),
        booking("A1", "2026-11-16 10:00", status="No Show", updated_at="2026-11-24"),
    ])
    reference = Home(tmp_path / "reference")
    shutil.copytree(home.root, reference.root)

    # its own process group: the power cut takes the run and the temporary Prefect server it started together
    # (kill -9 of the run alone would orphan that server to init, where it would outlive the tests)
    run = subprocess.Popen([sys.executable, "-m", "clinicops.cli", "run", "--home", str(home.root), "--as-of",
                            AS_OF.isoformat()], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                           start_new_session=True)
    seen = []
    try:
        for line in run.stderr:
            seen.append(line)
            if kill_after in line:
                break
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=120)
        run.stderr.close()
    assert run.returncode == -signal.SIGKILL, "".join(seen)

    assert contents(home) in (yesterday, contents(run_nightly_copy(reference))), "the warehouse is half-built"
    finished = run_nightly(home, AS_OF)
    assert finished.exit_code == 0, finished.message
    assert contents(home) == contents(reference)
    assert not any(home.work_root.iterdir()) and not list(home.build_dir.glob("next-*"))
    # the killed run's history is true: it never published, and the next run says so
    con = duckdb.connect(str(home.warehouse), read_only=True)
    runs = con.execute("select status, exit_code, message from ops.runs order by started_at").fetchall()
    con.close()
    assert [r[0] for r in runs] == ["published", "interrupted", "published"], runs
    assert runs[1][1] is None and finished.run_id in runs[1][2]
    assert any("interrupted" in note for note in finished.notes)


def run_nightly_copy(reference: Home) -> Home:
    """The reference practice, run once without a crash (only once per test)."""
    if not reference.warehouse.with_suffix(".done").exists():
        assert run_nightly(reference, AS_OF).exit_code == 0
        reference.warehouse.with_suffix(".done").touch()
    return reference
