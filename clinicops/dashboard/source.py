"""The published warehouse as the dashboard reads it: read-only, never held between page views.

The nightly run swaps a new file in with `os.replace`, so the file's identity (device, inode, mtime,
size) says which warehouse a result came from. Every page view opens one fresh read-only connection,
closes it when the page is drawn, and caches query results keyed on that identity: a newly published
file is picked up on the next view without a restart, and the dashboard never holds the file open while
nobody looks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from clinicops.dashboard import queries
from clinicops.home import Home

FileIdentity = tuple[int, int, int, int]


def file_identity(path: Path) -> FileIdentity | None:
    """(device, inode, mtime in ns, size) of the file, or None when there is none."""
    try:
        s = os.stat(path)
    except FileNotFoundError:
        return None
    return (s.st_dev, s.st_ino, s.st_mtime_ns, s.st_size)


@dataclass(frozen=True)
class Warehouse:
    """One open view of the published warehouse: its connection and the identity it was opened at."""

    home: Home
    con: duckdb.DuckDBPyConnection
    identity: FileIdentity

    def query(self, function: Callable[..., object], *args: object) -> object:
        """`function(con, *args)`, cached on (warehouse identity, function, args)."""
        return _cached(self.identity, function.__module__, function.__qualname__, args, _run=function,
                       _con=self.con)


class WarehouseUnavailable(Exception):
    """No warehouse the dashboard can show: the message says what to do."""


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(identity: FileIdentity, module: str, name: str, args: tuple, *, _run: Callable[..., object],
            _con: duckdb.DuckDBPyConnection) -> object:
    result = _run(_con, *args)
    return result.copy() if isinstance(result, pd.DataFrame) else result


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True,
                          config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})


@contextmanager
def open_warehouse(home: Home) -> Iterator[Warehouse]:
    """A read-only connection to the published file for one page view, closed afterwards."""
    path = home.warehouse
    for _attempt in range(3):
        before = file_identity(path)
        if before is None:
            raise WarehouseUnavailable(f"There is no published warehouse at {path} yet.")
        try:
            con = _connect(path)
        except (duckdb.Error, OSError) as e:
            raise WarehouseUnavailable(f"The file {path} is not a warehouse clinicops can read ({e}).") from None
        if file_identity(path) == before:  # not swapped while we opened it
            break
        con.close()
    else:
        raise WarehouseUnavailable(f"{path} keeps changing; try again in a moment.")
    try:
        missing = queries.missing_tables(con)
        if missing:
            raise WarehouseUnavailable(f"The warehouse at {path} has no {', '.join(missing[:3])}"
                                       f"{' ...' if len(missing) > 3 else ''}: it was not built by this "
                                       "version of clinicops, or no run has published it yet.")
        con.execute("set TimeZone = ?", [con.execute("select timezone from ops.build_info").fetchall()[0][0]])
        yield Warehouse(home, con, before)
    finally:
        con.close()
