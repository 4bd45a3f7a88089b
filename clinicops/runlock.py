"""One run at a time per home: an exclusive lock on `<home>/run.lock`, released by the OS if the run dies."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from clinicops.home import Home


class RunLocked(RuntimeError):
    """Another run of this home is in progress."""


@contextmanager
def run_lock(home: Home) -> Iterator[None]:
    home.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(home.lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise RunLocked(f"another clinicops run is in progress on {home.root} ({holder}); "
                            "this run did nothing — try again when it has finished") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(UTC).isoformat(timespec='seconds')}".encode(), 0)
        yield
    finally:
        os.close(fd)
