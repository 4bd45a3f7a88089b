"""Run by another DuckDB (e.g. 1.4) on a published warehouse: prints what it can read, as JSON."""

import json
import sys

import duckdb


def main(path: str) -> None:
    con = duckdb.connect(path, read_only=True)
    tables = [t for (t,) in con.execute("select schema_name || '.' || table_name from duckdb_tables()").fetchall()]
    print(json.dumps({
        "version": duckdb.__version__,
        "rows": {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables},
        "comment": con.execute("select comment from duckdb_tables() where table_name = 'appointments'"
                               ).fetchall()[0][0],
        "start_at": con.execute("select data_type from duckdb_columns() where table_name = 'appointments' "
                                "and column_name = 'start_at'").fetchall()[0][0],
    }))


if __name__ == "__main__":
    main(sys.argv[1])
