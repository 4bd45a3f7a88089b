"""A night that re-derives only what the new lake files touch, on a copy of the live warehouse.

The live warehouse records what it was built from (`ops.source_files`: lake and run-history files) and with
what (`ops.build_info`'s `build_signature`: the models, the configuration, the versions). A build whose
signature matches and whose recorded files are all still there (lake files unchanged; a run's history file
may be rewritten, which touches that run) refreshes a copy of the live file instead of building anew;
anything else is a full build (`plan_refresh` says why).

What a refresh re-derives follows from the models' sidecars (`refresh`, `dated_by`, see models.py):
1. **Touched keys.** The appointments, sessions and patients of the new lake rows, of the appointments whose
   start passed between the live warehouse's as_of and this one (their outcome changes), and of a backfill's
   date range; then closed over the whole lake: every version of a touched appointment, every appointment
   and session of a touched patient, the patient of every version of those (a booking may move to another
   patient). Only key columns of the older lake files are read for this.
2. **Models refreshed by key** (staging, core.appointments, core.patients, ...) run with the same SQL on the
   lake narrowed to those keys; their rows replace the touched keys' rows.
3. **Models refreshed by run** (the ops history tables) run on the history files of the runs whose files are
   new or rewritten (and the building run's own record); their rows replace those runs' rows.
4. **Models refreshed by date** (the daily and hourly marts) run on their inputs narrowed to the touched dates:
   the old and new dates (`dated_by`) of every replaced row, and the dates where a whole-rebuilt input
   (core.calendar) changed; their rows replace those dates' rows.
5. **Everything else** (the calendar, the monthly marts, reviews, freshness) is small and is rebuilt whole.

A full build and any sequence of refreshes over the same lake give the same tables
(tests/warehouse/test_incremental.py holds that with hypothesis).
"""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from clinicops import __version__
from clinicops.home import LAKE_TABLES, OPS_TABLES, Home
from clinicops.schemas import LAKE, OPS
from clinicops.warehouse.models import BY_KEY, ENTITY_SOURCES, SCRATCH_LAYERS, Model, ModelError
from clinicops.warehouse.raw import create_raw_relations, create_relation, sql_string

NULL_KEY = "\x00null"  # stands for a NULL patient key in the touched sets (NULLs are grouped together)
NULL_DATE = "DATE '0001-01-01'"  # stands for a NULL date in the touched dates
# touched set of each entity: table in the `touch` catalog and its column
TOUCHED = {"appointment": "touch.appointments", "patient": "touch.patients", "session": "touch.sessions",
           "run": "touch.runs"}
ENTITY_TABLES = tuple(source.removeprefix("raw.") for source in ENTITY_SOURCES)  # bookings, sessions, intake
# a refresh that touches more than this share of the appointments is slower than a full build
FULL_BUILD_SHARE = 0.5
FULL_BUILD_MINIMUM = 5000


@dataclass(frozen=True)
class SourceFile:
    table_name: str  # the raw relation: bookings, ..., ops_runs, ...
    file: str  # path under the home
    bytes: int
    modified_ns: int

    def row(self) -> tuple[str, str, int, int]:
        return (self.table_name, self.file, self.bytes, self.modified_ns)


@dataclass(frozen=True)
class Refresh:
    """How the next warehouse is built: whole (`reason` says why) or as a refresh of the live one."""
    incremental: bool
    reason: str = ""
    previous_as_of: datetime | None = None
    new_files: dict[str, list[Path]] = field(default_factory=dict)  # raw relation -> files new since the live one
    backfill: tuple[date, date] | None = None

    def describe(self) -> str:
        if not self.incremental:
            return f"full build ({self.reason})"
        files = sum(len(v) for t, v in self.new_files.items() if t in LAKE_TABLES)
        text = f"refresh of the live warehouse: {files} new lake file(s)"
        if self.backfill:
            text += f", backfill {self.backfill[0]} to {self.backfill[1]}"
        return text


class RebuildWhole(Exception):
    """A refresh found it would re-derive most of the warehouse: a full build is faster."""


def source_listing(home: Home) -> list[SourceFile]:
    """Every lake and run-history file, with its size and modification time."""
    paths = [(table, path) for table in LAKE_TABLES for path in home.lake_files(table)]
    paths += [(f"ops_{table}", path) for table in OPS_TABLES for path in home.history_files(table)]
    files = []
    for table, path in paths:
        stat = path.stat()
        files.append(SourceFile(table, path.relative_to(home.root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return files


def build_signature(models: Sequence[Model], config_fingerprint: str, storage_version: str) -> str:
    """What a warehouse's rows depend on besides the lake and as_of."""
    text = json.dumps({
        "clinicops": __version__,
        "duckdb": duckdb.__version__,
        "storage_version": storage_version,
        "config": config_fingerprint,
        "models": [[m.qualified, m.sql, m.key, m.columns, m.cluster, m.refresh, m.dated_by, m.table_comment]
                   for m in models],
    }, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_refresh(home: Home, signature: str, listing: Sequence[SourceFile], *, full: str | None = None,
                 backfill: tuple[date, date] | None = None) -> Refresh:
    """Refresh the live warehouse when it was built with this signature from files that are all still there."""
    if full:
        return Refresh(False, full)
    live = home.warehouse
    if not live.is_file():
        return Refresh(False, "no live warehouse yet")
    try:
        with duckdb.connect(str(live), read_only=True,
                            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}) as con:
            recorded = con.execute("select build_signature, as_of from ops.build_info").fetchall()
            files = con.execute("select table_name, file, bytes, modified_ns from ops.source_files").fetchall()
    except duckdb.Error:
        return Refresh(False, "the live warehouse has no record of what it was built from")
    if len(recorded) != 1 or recorded[0][0] != signature:
        return Refresh(False, "the models, the configuration or the versions changed since the live warehouse")
    current = {f.file: f for f in listing}
    built_from = {}
    for table_name, file, size, modified_ns in files:
        now = current.get(file)
        if now is None or now.table_name != table_name:
            return Refresh(False, f"the file {file} the live warehouse was built from is gone")
        if (now.bytes, now.modified_ns) != (size, modified_ns) and table_name in LAKE_TABLES:
            return Refresh(False, f"the lake file {file} changed since the live warehouse was built")
        built_from[file] = (size, modified_ns)
    new_files: dict[str, list[Path]] = {}
    for source_file in listing:  # new, or a run's history rewritten (its record): that run is touched
        if built_from.get(source_file.file) != (source_file.bytes, source_file.modified_ns):
            new_files.setdefault(source_file.table_name, []).append(home.file_at(source_file.file))
    return Refresh(True, previous_as_of=recorded[0][1], new_files=new_files, backfill=backfill)


# ---- the refresh -------------------------------------------------------------------------------------------

def _key(column: str, refresh: str) -> str:
    """The key expression a touched set holds: a NULL patient key as NULL_KEY."""
    return f"coalesce(\"{column}\", {sql_string(NULL_KEY)})" if refresh == "patient" else f'"{column}"'


def _date(column: str) -> str:
    return f"coalesce(\"{column}\"::date, {NULL_DATE})"


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    result = con.execute(sql).fetchone()
    return int(result[0]) if result else 0


def _attach(con: duckdb.DuckDBPyConnection, *catalogs: str) -> None:
    for catalog in catalogs:
        con.execute(f"ATTACH ':memory:' AS {catalog}")


def _touch(con: duckdb.DuckDBPyConnection, home: Home, refresh: Refresh, as_of: datetime) -> dict[str, int]:
    """Fill touch.appointments / patients / sessions / runs (and a backfill's dates); return their sizes."""
    _attach(con, "new", "touch")
    for table in ENTITY_TABLES:
        create_relation(con, f"new.{table}", LAKE[table], [str(p) for p in refresh.new_files.get(table, [])])
    new_history = [str(p) for table in OPS_TABLES for p in refresh.new_files.get(f"ops_{table}", [])]
    con.execute("CREATE TABLE touch.runs (id VARCHAR PRIMARY KEY)")
    for pattern in [*new_history, str(home.pending_run("*"))]:  # every history file has run_id
        if glob.glob(pattern):
            con.execute("INSERT OR IGNORE INTO touch.runs SELECT DISTINCT run_id FROM "
                        f"read_parquet({sql_string(pattern)}) WHERE run_id IS NOT NULL")
    con.execute("CREATE TABLE touch.appointments (id VARCHAR PRIMARY KEY)")
    con.execute("CREATE TABLE touch.patients (id VARCHAR PRIMARY KEY)")
    con.execute("CREATE TABLE touch.sessions (id VARCHAR PRIMARY KEY)")
    con.execute("CREATE TABLE touch.dates (date DATE PRIMARY KEY)")
    patient = _key("patient_key", "patient")

    def add(table: str, select: str) -> int:
        return _rows(con, f"INSERT OR IGNORE INTO {table} SELECT DISTINCT * FROM ({select}) AS found(id) "
                          "WHERE id IS NOT NULL")

    # what the new files hold
    add("touch.appointments", "SELECT appointment_id FROM new.bookings")
    add("touch.appointments", "SELECT appointment_id FROM new.sessions")
    add("touch.sessions", "SELECT session_id FROM new.sessions")
    add("touch.patients", f"SELECT {patient} FROM new.bookings")
    add("touch.patients", f"SELECT {patient} FROM new.sessions WHERE session_id IS NOT NULL")
    add("touch.patients", "SELECT patient_key FROM new.intake")
    # appointments whose start passed (or, with an earlier as_of, un-passed) between the two builds
    if refresh.previous_as_of is not None and refresh.previous_as_of != as_of:
        low, high = sorted((refresh.previous_as_of, as_of))
        low_at, high_at = sql_string(low.isoformat()), sql_string(high.isoformat())
        add("touch.appointments", f"""
            SELECT appointment_id FROM wh.core.appointments
            WHERE (NOT start_is_date_only AND start_at > {low_at}::TIMESTAMPTZ AND start_at <= {high_at}::TIMESTAMPTZ)
               OR (start_is_date_only AND start_date >= {low_at}::TIMESTAMPTZ::date
                   AND start_date < {high_at}::TIMESTAMPTZ::date)""")
    if refresh.backfill is not None:
        first, last = (sql_string(d.isoformat()) for d in refresh.backfill)
        add("touch.dates", f"SELECT unnest(generate_series({first}::date, {last}::date, interval 1 day))::date")
        add("touch.appointments", f"SELECT appointment_id FROM lake.bookings "
                                  f"WHERE start_at::date BETWEEN {first}::date AND {last}::date")
        add("touch.sessions", f"SELECT session_id FROM lake.sessions "
                              f"WHERE chair_in_at::date BETWEEN {first}::date AND {last}::date")
    # closed over the whole lake
    while sum((
        add("touch.appointments", "SELECT appointment_id FROM lake.bookings "
                                  f"WHERE {patient} IN (SELECT id FROM touch.patients)"),
        add("touch.appointments", "SELECT appointment_id FROM lake.sessions "
                                  "WHERE session_id IN (SELECT id FROM touch.sessions)"),
        add("touch.sessions", "SELECT session_id FROM lake.sessions "
                              f"WHERE {patient} IN (SELECT id FROM touch.patients) "
                              "OR appointment_id IN (SELECT id FROM touch.appointments)"),
        add("touch.patients", f"SELECT {patient} FROM lake.bookings "
                              "WHERE appointment_id IN (SELECT id FROM touch.appointments)"),
        add("touch.patients", f"SELECT {patient} FROM lake.sessions "
                              "WHERE session_id IN (SELECT id FROM touch.sessions)"),
    )):
        pass
    sizes = {name: _rows(con, f"SELECT count(*) FROM touch.{name}")
             for name in ("appointments", "patients", "sessions", "runs")}  # dates: counted once the rest is done
    total = _rows(con, "SELECT count(*) FROM wh.core.appointments")
    if sizes["appointments"] > max(FULL_BUILD_MINIMUM, FULL_BUILD_SHARE * total):
        raise RebuildWhole(f"the new files touch {sizes['appointments']} of {total} appointments")
    return sizes


def _narrow_lake(con: duckdb.DuckDBPyConnection, home: Home) -> None:
    """`raw.bookings`, `raw.sessions`, `raw.intake` holding the touched keys' rows (every version), and the
    history relations holding the touched runs' files; `raw` is attached, empty, by the build."""
    con.execute("CREATE TABLE raw.bookings AS SELECT * FROM lake.bookings "
                "WHERE appointment_id IN (SELECT id FROM touch.appointments)")
    con.execute("CREATE TABLE raw.sessions AS SELECT * FROM lake.sessions "
                "WHERE session_id IN (SELECT id FROM touch.sessions)")
    con.execute("CREATE TABLE raw.intake AS SELECT * FROM lake.intake "
                f"WHERE {_key('patient_key', 'patient')} IN (SELECT id FROM touch.patients)")
    runs = [run for (run,) in con.execute("SELECT id FROM touch.runs ORDER BY id").fetchall()]
    for table in OPS_TABLES:
        files = [str(p) for run in runs for p in home.ops_files(table, run)]
        if table == "runs":
            files += [str(home.pending_run(run)) for run in runs]
        create_relation(con, f"raw.ops_{table}", OPS[table], files)


def _whole_lake(con: duckdb.DuckDBPyConnection, home: Home, models: Sequence[Model]) -> None:
    """`raw` as the whole lake and run history again, for the models rebuilt whole (only what they read)."""
    reads = {r.removeprefix("raw.") for m in models if m.refresh not in BY_KEY for r in m.references()
             if r.startswith("raw.")}
    con.execute("USE wh")
    con.execute("DETACH raw")
    _attach(con, "raw")
    for table in sorted(reads):
        if table in ENTITY_TABLES:
            con.execute(f"CREATE VIEW raw.{table} AS SELECT * FROM lake.{table}")
    create_raw_relations(con, home, "raw", only=reads - set(ENTITY_TABLES))


def _outside(con: duckdb.DuckDBPyConnection, relation: str, expression: str, touched: str) -> None:
    """Refuse rows a refresh derived outside the set it replaces (they would be counted twice)."""
    stray = _rows(con, f"SELECT count(*) FROM {relation} WHERE {expression} NOT IN (SELECT * FROM {touched})")
    if stray:
        raise ModelError(f"{relation}: the refresh derived {stray} row(s) outside the touched set")


def _replace(con: duckdb.DuckDBPyConnection, model: Model, derived: str, expression: str, touched: str) -> None:
    """The live copy's rows of the touched keys or dates give way to the derived ones."""
    _outside(con, derived, expression, touched)
    target = f"wh.{model.qualified}"
    con.execute(f"DELETE FROM {target} WHERE {expression} IN (SELECT * FROM {touched})")
    con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {derived}")


def refresh_warehouse(con: duckdb.DuckDBPyConnection, home: Home, models: Sequence[Model], refresh: Refresh,
                      as_of: datetime, build: Callable[..., None]) -> dict[str, int]:
    """Refresh the warehouse attached as `wh` (a copy of the live one) in place; `config` and `staging` are
    attached and filled as for a full build. `build(model, comment=...)` builds one model into the current
    catalog (the build's `build_model`, timed). Returns the touched-set sizes."""
    _attach(con, "lake")
    create_raw_relations(con, home, "lake", only=set(ENTITY_TABLES))
    touched = _touch(con, home, refresh, as_of)
    _narrow_lake(con, home)

    layers = sorted({m.layer for m in models if m.layer not in SCRATCH_LAYERS})
    _attach(con, "delta", "dated")
    for layer in layers:
        con.execute(f"CREATE SCHEMA delta.{layer}")
        con.execute(f"CREATE SCHEMA dated.{layer}")
    by_name = {m.qualified: m for m in models}
    dated_inputs = sorted({r for m in models if m.refresh == "date" for r in m.references()
                           if r in by_name and by_name[r].refresh != "date"})

    def timed(model: Model, *, scratch: bool) -> None:  # a scratch table (delta, dated) needs no comments
        build(model, comment=not scratch)

    # models refreshed by key or run, on the narrowed lake and history, in `delta` (staging in its own catalog)
    con.execute("USE delta")
    for model in models:
        if model.refresh not in BY_KEY:
            continue
        timed(model, scratch=True)
        if model.layer in SCRATCH_LAYERS:
            continue
        key = _key(model.key[0], model.refresh)
        if model.dated_by:
            for relation in (f"wh.{model.qualified}", f"delta.{model.qualified}"):
                con.execute(f"INSERT OR IGNORE INTO touch.dates SELECT DISTINCT {_date(model.dated_by)} "
                            f"FROM {relation} WHERE {key} IN (SELECT id FROM {TOUCHED[model.refresh]})")
        _replace(con, model, f"delta.{model.qualified}", key, TOUCHED[model.refresh])

    # the rest, in build order: whole, or by date
    _whole_lake(con, home, models)
    dated_views = False
    for model in models:
        if model.refresh in BY_KEY:
            continue
        if model.layer in SCRATCH_LAYERS:
            timed(model, scratch=True)
            continue
        if model.refresh == "full":
            snapshot = model.qualified in dated_inputs
            if snapshot:
                if dated_views:
                    raise ModelError(f"{model.qualified}: rebuilt whole after a model refreshed by date that "
                                     "needs its changed dates")
                con.execute(f"CREATE TABLE touch.old AS SELECT * FROM wh.{model.qualified}")
            con.execute(f"DROP TABLE wh.{model.qualified}")
            timed(model, scratch=False)
            if snapshot:
                changed = _date(model.dated_by or "date")
                con.execute(f"""INSERT OR IGNORE INTO touch.dates SELECT DISTINCT {changed} FROM (
                    (SELECT * FROM touch.old EXCEPT ALL SELECT * FROM wh.{model.qualified})
                    UNION ALL
                    (SELECT * FROM wh.{model.qualified} EXCEPT ALL SELECT * FROM touch.old))""")
                con.execute("DROP TABLE touch.old")
            continue
        if not dated_views:  # inputs narrowed to the touched dates: views, so they read the refreshed rows
            for qualified in dated_inputs:
                column = by_name[qualified].dated_by
                con.execute(f"CREATE VIEW dated.{qualified} AS SELECT * FROM wh.{qualified} "
                            f"WHERE {_date(column)} IN (SELECT date FROM touch.dates)")
            dated_views = True
        con.execute("USE dated")
        timed(model, scratch=True)
        con.execute("USE wh")
        _replace(con, model, f"dated.{model.qualified}", _date("date"), "touch.dates")
    touched["dates"] = _rows(con, "SELECT count(*) FROM touch.dates")
    con.execute("USE wh")
    for catalog in ("lake", "new", "touch", "delta", "dated"):  # raw, config, staging: the build detaches them
        con.execute(f"DETACH {catalog}")
    return touched
