"""The machine's own faults, for real: a full disk (a tiny tmpfs), a read-only folder (a read-only bind
mount). Each ends the run with exit 1 and one line naming the path and the error; yesterday's warehouse
stays. Mounting needs root (CI runs as root); elsewhere these tests are skipped, saying so."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clinicops.cli import main
from clinicops.errors import MachineError
from clinicops.flows.nightly import run_nightly
from tests.flows.test_crash import contents
from tests.practice import booking, make_practice, write_csv

AS_OF = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@contextmanager
def mounted(*args: str, target: Path) -> Iterator[Path]:
    target.mkdir(parents=True, exist_ok=True)
    try:
        _mount(*args, str(target))
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"cannot mount here (needs root and mount(8)): {getattr(e, 'stderr', e)}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True)


def new_bookings(home, rows: int = 1) -> None:
    write_csv(home.inbox("bookings") / "bookings_2026-11-24.csv", [
        booking(f"N{i}", "2026-11-27 10:00", status="Scheduled", updated_at="2026-11-24") for i in range(rows)])


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of `folder` until fewer than `leave` bytes are free."""
    with open(folder / "filler", "wb") as f:
        while True:
            st = os.statvfs(folder)
            free = st.f_bavail * st.f_frsize
            if free <= leave:
                return
            try:
                f.write(b"\0" * min(1 << 20, free - leave + 4096))
                f.flush()
            except OSError:
                return


def test_a_full_disk_during_ingest_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with mounted("-t", "tmpfs", "-o", "size=48m", "tmpfs", target=tmp_path / "disk") as disk:
        home = make_practice(disk / "home")
        assert run_nightly(home, AS_OF).exit_code == 0
        yesterday = contents(home)
        new_bookings(home, rows=3000)  # a landing copy of ~500 KB that no longer fits
        fill(disk, leave=64 * 1024)
        summary = run_nightly(home, AS_OF)
        assert summary.exit_code == 1 and summary.status == "failed"
        line = str(summary.error)
        assert "\n" not in line and "No space left on device (ENOSPC)" in line and str(home.root) in line
        assert summary.message.startswith(line)
        assert contents(home) == yesterday
        assert not any(home.work_root.iterdir())


def test_a_read_only_lake_folder_ends_the_run_with_exit_1(tmp_path: Path) -> None:
    home = make_practice(tmp_path / "home")
    assert run_nightly(home, AS_OF).exit_code == 0
    yesterday = contents(home)
    new_bookings(home)
    with mounted("--bind", "-o", "ro", str(home.lake), target=home.lake):
        summary = run_nightly(home, AS_OF)
    assert summary.exit_code == 1, summary.message
    assert "Read-only file system (EROFS)" in str(summary.error) and str(home.lake) in str(summary.error)
    assert contents(home) == yesterday


def test_a_read_only_home_is_one_line_from_the_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    home = make_practice(tmp_path / "home")
    with mounted("--bind", "-o", "ro", str(home.root), target=home.root):
        with pytest.raises(MachineError, match=r"Read-only file system \(EROFS\)"):
            run_nightly(home, AS_OF)
        capsys.readouterr()
        assert main(["run", "--home", str(home.root), "--as-of", AS_OF.isoformat()]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "EROFS" in err[0] and str(home.root) in err[0], err
