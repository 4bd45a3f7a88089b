"""The `raw` schema: the accepted lake and the run history, as typed relations the staging models read.

Each relation has exactly the columns of its schema in `clinicops.schemas` (a column that no file
has yet reads as NULL of its type), so the SQL never depends on which files happen to exist. With no
file at all the relation is an empty typed table.
"""

from __future__ import annotations

import glob

import duckdb
import pyarrow as pa

from clinicops.home import LAKE_TABLES, OPS_TABLES, Home
from clinicops.schemas import LAKE, OPS


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB type of a lake column."""
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "VARCHAR"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type):
        return "DOUBLE"
    if pa.types.is_date(arrow_type):
        return "DATE"
    raise TypeError(f"no DuckDB type for the lake type {arrow_type}")


def sql_string(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_relation(con: duckdb.DuckDBPyConnection, relation: str, schema: pa.Schema,
                    pattern: str | list[str]) -> None:
    """`relation` as a typed view over the Parquet files matching `pattern`(s), or an empty typed table."""
    patterns = [p for p in ([pattern] if isinstance(pattern, str) else pattern) if glob.glob(p)]
    if not patterns:
        columns = ", ".join(f"{_ident(f.name)} {duckdb_type(f.type)}" for f in schema)
        con.execute(f"CREATE TABLE {relation} ({columns})")
        return
    files = "[" + ", ".join(sql_string(p) for p in patterns) + "]"
    scan = f"read_parquet({files}, union_by_name = true, hive_partitioning = false)"
    present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
    select = ", ".join(
        f"CAST({_ident(f.name) if f.name in present else 'NULL'} AS {duckdb_type(f.type)}) AS {_ident(f.name)}"
        for f in schema
    )
    con.execute(f"CREATE VIEW {relation} AS SELECT {select} FROM {scan}")


def raw_relations(home: Home) -> dict[str, tuple[pa.Schema, list[str]]]:
    """Every relation of the `raw` schema (`bookings`, ..., `ops_runs`, ...) with its columns and file patterns."""
    relations = {table: (LAKE[table], [home.lake_glob(table)]) for table in LAKE_TABLES}
    for table in OPS_TABLES:
        patterns = [home.ops_glob(table)]
        if table == "runs":  # the building run's own record, as it will read once its warehouse is published
            patterns.append(str(home.pending_run("*")))
        relations[f"ops_{table}"] = (OPS[table], patterns)
    return relations


def create_raw_relations(con: duckdb.DuckDBPyConnection, home: Home, schema: str = "raw",
                         only: set[str] | None = None) -> None:
    """`raw.<lake table>` for bookings, sessions, reviews, review_snapshots, intake; `raw.ops_<table>` for the
    history (`only`: just those relations)."""
    for name, (columns, patterns) in raw_relations(home).items():
        if only is None or name in only:
            create_relation(con, f"{schema}.{name}", columns, patterns)
