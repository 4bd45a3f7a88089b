"""A build database for `clinicops bench`'s floor: the build's own connection, on a file that is never live.

The floor (clinicops/bench/floor.py) runs the same `transforms/` SQL as the build, on relations it reads
straight from an inbox with DuckDB. It gets its read-write connection here, so that the warehouse room stays
the only code that opens DuckDB for writing; the file it writes is a scratch file under the bench's output
folder, never a home's warehouse.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from clinicops.config import Config
from clinicops.warehouse.build import _connect, remove_database_file

__all__ = ["open_scratch_build", "remove_database_file"]


def open_scratch_build(path: Path, config: Config) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with `path` attached as `wh` and the build's schemas (raw, config, staging in
    memory; core, marts, ops in the file), exactly as `build_warehouse` sets it up. `path` must not be live."""
    remove_database_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _connect(path, config)
