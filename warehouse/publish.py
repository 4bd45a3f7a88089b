"""Swap a built warehouse in as the live one, atomically.

`os.replace` renames the new file over `home.warehouse` in one step: a reader that opens the live path
gets either the whole old file or the whole new one, and a reader already holding the old file keeps
reading it (its inode lives on until that reader lets go). A stale write-ahead log beside the live path
is removed first, so DuckDB never replays yesterday's log onto today's file.
"""

from __future__ import annotations

import os
from pathlib import Path

from clinicops.home import Home


def publish(home: Home, built: Path) -> Path:
    """Make `built` (a closed, checkpointed warehouse file) the live warehouse; return the live path."""
    if not built.is_file():
        raise FileNotFoundError(f"no built warehouse at {built}")
    live = home.warehouse
    live.parent.mkdir(parents=True, exist_ok=True)
    live.with_name(live.name + ".wal").unlink(missing_ok=True)
    os.replace(built, live)
    _sync_folder(live.parent)
    return live


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut after publish keeps the new file)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
