"""Writing the lake (accepted rows) and the run history (ops rows) as Parquet.

Every file is written to a hidden temporary name in its folder, fsynced, then renamed into place, so no
partial file is ever read as data; files are created owner-only (0600). Lake files are named by the run,
the source and the judged chunk that wrote them (`<run_id>-<source>-<chunk>`); what a stopped run wrote for
versions it never recorded in the manifest is taken out by the next run (`unrecorded_rows_removed`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from clinicops.errors import MachineError, is_machine_errno
from clinicops.home import Home
from clinicops.schemas import LAKE, OPS, PARTITION_COLUMN


def write_parquet(table: pa.Table, target: Path, *, durable: bool = True) -> Path:
    """Write to a hidden temporary name, then rename into place (fsynced first unless `durable` is False:
    scratch files that a killed run simply makes again)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # owner-only from the first byte
        with os.fdopen(fd, "wb") as f:
            pq.write_table(table, f, compression="zstd")
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if is_machine_errno(e, missing=True):  # a full disk or a read-only lake: the machine's, named by path
            raise MachineError(target, e.errno, e.strerror) from e
        raise
    return target


def months_of(table_name: str, data: pa.Table, timezone: str) -> pa.Array:
    """The local 'YYYY-MM' of each row's partition column."""
    column = data.column(PARTITION_COLUMN[table_name])
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("us", tz=timezone))
    return pc.fill_null(pc.strftime(column, format="%Y-%m"), "undated")  # a proposed booking may have no start


def write_accepted(home: Home, table_name: str, data: pa.Table, name: str, timezone: str) -> list[Path]:
    """Accepted rows of one judged chunk (many files' batches) -> lake/<table>/month=YYYY-MM/<name>.parquet, one
    per month of the data: a night's small files make a few lake files, not one per file and month."""
    if data.num_rows == 0:
        return []
    data = data.select(LAKE[table_name].names).cast(LAKE[table_name])
    months = months_of(table_name, data, timezone)
    written = []
    for month in sorted(set(months.to_pylist())):
        part = data.filter(pc.equal(months, month))
        written.append(write_parquet(part, home.lake_file(table_name, month, name)))
    return written


def unrecorded_rows_removed(path: Path, recorded_seqs: set[int]) -> str:
    """A lake file of a run that stopped before it recorded every file version in it: keep the rows of the
    versions the manifest holds (they will not be read again), drop the others (they will be). Returns
    'kept', 'removed' or 'rewritten'."""
    table = pq.read_table(path)
    seqs = table.column("_file_seq")
    keep = pc.is_in(seqs, value_set=pa.array(sorted(recorded_seqs), pa.int64()))
    kept = pc.sum(keep).as_py() or 0
    if kept == table.num_rows:
        return "kept"
    if kept == 0:
        path.unlink()
        return "removed"
    write_parquet(table.filter(keep), path)
    return "rewritten"


def write_ops(home: Home, table_name: str, run_id: str, rows: list[dict], part: str = "") -> Path | None:
    """Run-history rows -> ops/<table>/<run_id>[-part].parquet (replacing that file if it exists)."""
    if not rows and table_name != "runs":
        return None
    return write_parquet(ops_table(table_name, rows), home.ops_file(table_name, run_id, part))


def ops_table(table_name: str, rows: list[dict]) -> pa.Table:
    """Run-history rows as a table of that history's schema."""
    schema = OPS[table_name]
    return pa.table({f.name: [r.get(f.name) for r in rows] for f in schema}, schema=schema)
