"""One run at a time per home: an exclusive lock on `<home>/run.lock`, released by the OS if the run dies.

The lock file names its holder (`pid …, started …, run <run id>`) and is never removed, so the next run
reads who held it last: a run whose name is still there and whose history says `running` was killed.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from clinicops.home import Home


class RunLocked(RuntimeError):
    """Another run of this home is in progress."""


@dataclass
class HeldLock:
    fd: int
    previous_run_id: str | None  # the run that held the lock last (finished or killed)

    def name_run(self, run_id: str) -> None:
        """Write this run's id into the lock file, so the next run knows who held it."""
        text = f"pid {os.getpid()}, started {datetime.now(UTC).isoformat(timespec='seconds')}, run {run_id}\n"
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, text.encode(), 0)


@contextmanager
def run_lock(home: Home) -> Iterator[HeldLock]:
    home.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(home.lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise RunLocked(f"another clinicops run is in progress on {home.root} ({holder}); "
                            "this run did nothing — try again when it has finished") from None
        found = re.search(r"\brun (\S+)", os.pread(fd, 400, 0).decode("utf-8", "replace"))
        held = HeldLock(fd, found.group(1) if found else None)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(UTC).isoformat(timespec='seconds')}".encode(), 0)
        yield held
    finally:
        os.close(fd)
