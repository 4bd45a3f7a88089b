"""SQL text the floor builds its `raw` relations with: trimmed text, instants, whole numbers, typed selects."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb

from clinicops.schemas import LAKE
from clinicops.warehouse.raw import create_relation, duckdb_type

NO_FILES = "/nonexistent/clinicops-floor/*.parquet"  # a glob that matches nothing: an empty typed relation
FILE_SEQ = "dense_rank() over (order by filename)"  # one run's ingest order: files in name order
ROW_IN_FILE = "row_number() over (partition by filename)"  # the row's position in DuckDB's scan of its file


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def clean(column: str) -> str:
    """A source value as trimmed text, empty -> NULL (clean_text)."""
    return f"nullif(trim(cast({column} as varchar)), '')"


def instant(column: str) -> str:
    """ISO 8601 text -> TIMESTAMPTZ; naive text is wall-clock time in the session's (the practice's) zone."""
    return f"try_cast({clean(column)} as timestamptz)"


def date_only(column: str) -> str:
    return f"coalesce(regexp_full_match({clean(column)}, '\\d{{4}}-\\d{{2}}-\\d{{2}}'), false)"


def whole(column: str) -> str:
    """A whole number ('50', '50.0') or NULL (parse_int)."""
    number = f"try_cast({clean(column)} as double)"
    return f"case when {number} = floor({number}) then cast({number} as bigint) end"


def files_in(folder: Path, pattern: str) -> list[str]:
    return sorted(str(p) for p in folder.glob(pattern) if p.is_file())


def sql_list(paths: list[str]) -> str:
    return "[" + ", ".join(quote(p) for p in paths) + "]"


def empty_relation(con: duckdb.DuckDBPyConnection, relation: str, table: str) -> None:
    """`relation` as the empty typed table of a lake table (no file of that kind in the inbox)."""
    create_relation(con, relation, LAKE[table], NO_FILES)


def typed_select(table: str, select: dict[str, str], source: str) -> str:
    """SELECT every lake column of `table` (in schema order, cast to its type) from `source`."""
    lineage = {"_file_sha256": "NULL", "_ingested_at": "(select started from floor_clock)"}
    items = []
    for f in LAKE[table]:
        expr = select.get(f.name) or lineage.get(f.name) or "NULL"
        items.append(f'cast({expr} as {duckdb_type(f.type)}) as "{f.name}"')
    return f"select {', '.join(items)} from {source}"




def csv_scan(paths: list[str]) -> str:
    """A SELECT over CSV files read as text with their `filename`, in every file's own column order. Files
    are grouped by their header line (read once per file), and each group is read with its columns given,
    so DuckDB never sniffs a file (sniffing hundreds of small exports costs more than reading them); the
    groups are combined by column name. Header names are matched trimmed and lower case, as the readers do."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in paths:
        with open(path, encoding="utf-8-sig", newline="") as f:
            header = f.readline().rstrip("\r\n")
        groups[tuple(h.strip().strip('"').lower() for h in header.split(","))].append(path)
    scans = []
    for header, files in groups.items():
        columns = "{" + ", ".join(f"{quote(name)}: 'VARCHAR'" for name in header) + "}"
        scans.append(f"select * from read_csv({sql_list(files)}, columns = {columns}, header = true, "
                     "auto_detect = false, delim = ',', quote = '\"', escape = '\"', filename = true)")
    return " union all by name ".join(scans)
