"""What every reader adds to a batch before validation: lineage, the read problems of each row, the typed table.

A read problem is something the reader saw that no value can show: a record whose quoting swallowed lines
(`malformed_row`), a cell over 64 KiB (`field_too_large`), a control character in an id or a code
(`control_characters`), a timestamp whose year no instant can hold (`timestamp_out_of_range`), a number too
large for its column (`number_out_of_range`), JSON nested too deep (`nested_too_deep`), a line that is not a
JSON object (`not_an_object`). Each row carries its first problem and the column it was found in
(`_read_problem`, `_read_problem_column`); every suite sets such rows aside under the rule of that name.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from clinicops.schemas import LAKE, READ_CHECKS
from clinicops.sources.common import RAW_VALUES, ReadContext
from clinicops.sources.delimited import TextRows

CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x1b]|[\n\r]"
READ_RULES = ("malformed_row", "field_too_large", "control_characters", "timestamp_out_of_range",
              "number_out_of_range", "nested_too_deep", "not_an_object")


class ReadChecks:
    """The first read problem of each row, gathered column by column."""

    def __init__(self, rows: TextRows | None = None, length: int | None = None):
        if rows is not None:
            self.problem = np.array(rows.problem.to_pylist(), dtype=object)
            self.column = np.array(rows.problem_column.to_pylist(), dtype=object)
            first, last = rows.lines.to_numpy(zero_copy_only=False), rows.last_lines.to_numpy(zero_copy_only=False)
            spans = np.equal(self.problem, "malformed_row") & (last > first)
            self.detail = np.full(len(first), None, dtype=object)
            self.detail[spans] = [f"lines {a}-{b}" for a, b in zip(first[spans], last[spans], strict=True)]
        else:
            self.problem = np.full(length or 0, None, dtype=object)
            self.column = np.full(length or 0, None, dtype=object)
            self.detail = np.full(length or 0, None, dtype=object)

    def flag(self, rule: str, column: str, mask: pa.Array | np.ndarray) -> None:
        if isinstance(mask, (pa.Array, pa.ChunkedArray)):
            mask = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
        fresh = np.asarray(mask, dtype=bool) & np.equal(self.problem, None)
        self.problem[fresh] = rule
        self.column[fresh] = column

    def control_characters(self, column: str, values: pa.Array) -> None:
        """An id or a code with a control character in it (NUL, a line break, an escape sequence)."""
        self.flag("control_characters", column, pc.match_substring_regex(values, CONTROL))

    def timestamp_out_of_range(self, column: str, mask: pa.Array) -> None:
        self.flag("timestamp_out_of_range", column, mask)

    def number_out_of_range(self, column: str, mask: pa.Array) -> None:
        self.flag("number_out_of_range", column, mask)

    def columns(self) -> dict[str, pa.Array]:
        return {"_read_problem": pa.array(self.problem, pa.string()),
                "_read_problem_column": pa.array(self.column, pa.string()),
                "_read_problem_detail": pa.array(self.detail, pa.string())}


def lineage_columns(ctx: ReadContext, lines: pa.Array) -> dict[str, pa.Array]:
    n = len(lines)
    return {
        "_file": pa.array([ctx.shown_file] * n, pa.string()),
        "_file_sha256": pa.array([ctx.sha256] * n, pa.string()),
        "_file_seq": pa.array(np.full(n, ctx.file_seq, dtype=np.int64)),
        "_row_number": lines.cast(pa.int64()),
        "_ingested_at": pa.array([ctx.ingested_at] * n, pa.timestamp("us", tz="UTC")),
    }


def batch_table(table: str, data: dict[str, pa.Array]) -> pa.Table:
    """The typed batch of a lake table: its schema's columns, the read checks and `_raw_values`."""
    schema = staged_schema(table)
    length = len(next(iter(data.values())))
    arrays = [data[f.name].cast(f.type) if f.name in data else pa.nulls(length, f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def staged_schema(table: str) -> pa.Schema:
    schema = LAKE[table]
    for field in READ_CHECKS:
        schema = schema.append(field)
    return schema.append(pa.field(RAW_VALUES, pa.string()))
