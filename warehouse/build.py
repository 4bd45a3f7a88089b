"""Build the next warehouse beside the live one: the only code that opens DuckDB for writing.

The build connects to an in-memory database and attaches the new file `home.next_warehouse(run_id)` as
`wh` (with the configured storage version, so DuckDB 1.4 readers can open it). The schemas that only
serve the build, `raw` (the lake and the run history), `config` (the practice's configuration) and
`staging` (latest versions), are attached in-memory databases of those names: SQL reads them as
`raw.bookings`, `staging.stg_bookings`, ..., and they never take a page of the published file. `core`,
`marts` and `ops` are schemas of `wh`. Every model's table and column comments come from its sidecar,
and the build fails, naming the model, when a key is not unique, when the sidecar and the SQL disagree,
or when a column is named for a person's identity (name, phone, e-mail, date of birth, ...).

Whatever goes wrong, the live warehouse is untouched and the half-built file is removed.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from clinicops.config import Config
from clinicops.home import Home
from clinicops.warehouse.incremental import (
    RebuildWhole,
    Refresh,
    SourceFile,
    build_signature,
    plan_refresh,
    refresh_warehouse,
    source_listing,
)
from clinicops.warehouse.models import LAYERS, SCRATCH_LAYERS, SOURCE_SCHEMAS, Model, ModelError, discover_models
from clinicops.warehouse.publish import publish
from clinicops.warehouse.raw import create_raw_relations, sql_string
from clinicops.warehouse.seeds import config_fingerprint, create_config_tables

__all__ = ["BuildResult", "ModelError", "build_model", "build_warehouse", "publish", "remove_database_file"]

WAREHOUSE_ALIAS = "wh"
# column names that would carry a patient's or reviewer's identity: no model may output one
PHI_COLUMN = re.compile(
    r"(first_name|last_name|full_name|patient_name|^name$|dob|birth|phone|e_?mail|address|^notes$|author|reviewer|"
    r"^patient_id$|source_patient)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BuildResult:
    path: Path  # the built file, not yet published
    row_counts: dict[str, int] = field(default_factory=dict)  # 'core.appointments' -> rows, published tables only
    seconds: dict[str, float] = field(default_factory=dict)  # every model (staging too) -> seconds to build
    refresh: str = "full build"  # how it was built: whole (and why) or as a refresh of the live warehouse
    touched: dict[str, int] = field(default_factory=dict)  # a refresh's touched appointments, patients, ...

    @property
    def tables(self) -> dict[str, int]:
        """Alias of `row_counts`: published table -> rows."""
        return self.row_counts


def _sidecar_path(path: Path, suffix: str) -> Path:
    """A file DuckDB keeps beside a database file (`.wal`, `.tmp`)."""
    return path.with_name(path.name + suffix)


def remove_database_file(path: Path) -> None:
    """Remove a database file with its write-ahead log and spill folder, if any."""
    for leftover in (path, _sidecar_path(path, ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(_sidecar_path(path, ".tmp"), ignore_errors=True)


def _aware(as_of: datetime, config: Config) -> datetime:
    """`as_of` as an aware instant; a naive one is wall-clock time in the practice's time zone."""
    return as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=config.practice.zone)


def _connect(path: Path, config: Config) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": True,
            "temp_directory": str(_sidecar_path(path, ".tmp")),
        },
    )
    try:
        version = sql_string(config.storage_version)
        con.execute(f"ATTACH {sql_string(str(path))} AS {WAREHOUSE_ALIAS} (STORAGE_VERSION {version})")
        con.execute(f"USE {WAREHOUSE_ALIAS}")
        con.execute(f"SET TimeZone = {sql_string(config.practice.timezone)}")
        for scratch in SOURCE_SCHEMAS + SCRATCH_LAYERS:
            con.execute(f"ATTACH ':memory:' AS {scratch}")
        for layer in LAYERS:
            if layer not in SCRATCH_LAYERS:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
    except Exception:
        con.close()
        raise
    return con


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()]


def build_model(con: duckdb.DuckDBPyConnection, model: Model, *, comment: bool = True) -> int:
    """Create the model's table, check it against its sidecar and key, comment it (unless it is scratch);
    return its row count."""
    relation = model.qualified
    try:
        query = model.sql
        if model.cluster:  # stored in that order: a dashboard's date filter then reads few row groups
            order = ", ".join(f'"{column}"' for column in model.cluster)
            query = f"SELECT * FROM (\n{model.sql}\n) AS model\nORDER BY {order}"
        con.execute(f"CREATE TABLE {relation} AS\n{query}")
    except duckdb.Error as e:
        raise ModelError(f"{relation}: the SQL failed: {e}") from e
    output = _columns(con, relation)
    identifying = [c for c in output if PHI_COLUMN.search(c)]
    if identifying:
        raise ModelError(f"{relation}: outputs column(s) named for a person's identity: {identifying}")
    undocumented = [c for c in output if c not in model.columns]
    if undocumented:
        raise ModelError(f"{relation}: output column(s) without a comment in {model.name}.toml: {undocumented}")
    phantom = [c for c in model.columns if c not in output]
    if phantom:
        raise ModelError(f"{relation}: {model.name}.toml documents column(s) the SQL does not output: {phantom}")
    key = ", ".join(f'"{k}"' for k in model.key)
    duplicates = con.execute(
        f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {relation} GROUP BY {key} HAVING n > 1)"
    ).fetchall()[0]
    if duplicates[0]:
        raise ModelError(
            f"{relation}: key ({', '.join(model.key)}) is not unique: "
            f"{duplicates[0]} key value(s) held by {duplicates[1]} rows"
        )
    if comment and model.layer not in SCRATCH_LAYERS:
        con.execute("BEGIN TRANSACTION")  # one commit for the comments, not one per column
        con.execute(f"COMMENT ON TABLE {relation} IS {sql_string(model.table_comment)}")
        for column in output:
            con.execute(f'COMMENT ON COLUMN {relation}."{column}" IS {sql_string(model.columns[column])}')
        con.execute("COMMIT")
    return con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]


def build_warehouse(
    config: Config,
    home: Home,
    *,
    run_id: str,
    as_of: datetime,
    models: Sequence[Model] | None = None,
    full: str | None = None,
    backfill: tuple[date, date] | None = None,
) -> BuildResult:
    """Build `home.next_warehouse(run_id)` from the lake and the run history; the live file is not touched.

    The build refreshes a copy of the live warehouse when the live one was built by the same models and
    configuration from lake files that are all still there (warehouse/incremental.py), else builds anew;
    `full` (a reason) asks for a full build, `backfill` (first, last local date) re-derives those dates too.
    `models` defaults to every model of `clinicops.transforms`, in build order. Raises `ModelError` (naming
    the model) when a model fails or breaks its sidecar's contract; the half-built file is then removed.
    """
    ordered = list(models) if models is not None else discover_models()
    as_of = _aware(as_of, config)
    listing = source_listing(home)
    signature = build_signature(ordered, config_fingerprint(config), config.storage_version)
    plan = plan_refresh(home, signature, listing, full=full, backfill=backfill)
    if plan.incremental:
        try:
            return _build(config, home, run_id, as_of, ordered, plan, signature, listing)
        except RebuildWhole as e:
            plan = Refresh(False, str(e))
    return _build(config, home, run_id, as_of, ordered, plan, signature, listing)


def _build(config: Config, home: Home, run_id: str, as_of: datetime, ordered: list[Model], plan: Refresh,
           signature: str, listing: Sequence[SourceFile]) -> BuildResult:
    path = home.next_warehouse(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_database_file(path)
    row_counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    touched: dict[str, int] = {}
    con: duckdb.DuckDBPyConnection | None = None
    try:
        if plan.incremental:
            shutil.copyfile(home.warehouse, path)
        con = _connect(path, config)
        create_config_tables(con, config, run_id=run_id, as_of=as_of, build_signature=signature,
                             source_files=[f.row() for f in listing])
        def timed_build(model: Model, *, comment: bool = True) -> None:
            started = time.perf_counter()
            build_model(con, model, comment=comment)
            seconds[model.qualified] = round(time.perf_counter() - started, 3)

        if plan.incremental:
            touched = refresh_warehouse(con, home, ordered, plan, as_of, timed_build)
        else:
            create_raw_relations(con, home)
            for model in ordered:
                timed_build(model)
        con.execute(f"USE {WAREHOUSE_ALIAS}")
        for model in ordered:
            if model.layer not in SCRATCH_LAYERS:
                row_counts[model.qualified] = con.execute(f"SELECT count(*) FROM {model.qualified}").fetchall()[0][0]
        for scratch in SOURCE_SCHEMAS + SCRATCH_LAYERS:
            con.execute(f"DETACH {scratch}")
        con.execute("CHECKPOINT")
        con.close()
        con = None
        _sidecar_path(path, ".wal").unlink(missing_ok=True)
        shutil.rmtree(_sidecar_path(path, ".tmp"), ignore_errors=True)
    except BaseException:
        if con is not None:
            try:
                con.close()
            except duckdb.Error:
                pass
        remove_database_file(path)
        raise
    return BuildResult(path=path, row_counts=row_counts, seconds=seconds, refresh=plan.describe(), touched=touched)
