"""Building and publishing: the contract of the published file, failures, and readers of the live file."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from clinicops.config import Config, parse_config
from clinicops.home import Home
from clinicops.warehouse.build import build_warehouse
from clinicops.warehouse.models import Model, ModelError, discover_models, load_model
from clinicops.warehouse.publish import publish
from tests.practice import run_contract_checker

AS_OF = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # the fixture's as_of (Tue 12:00 EDT)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replaced(models: list[Model], qualified: str, **changes: object) -> list[Model]:
    return [dataclasses.replace(m, **changes) if m.qualified == qualified else m for m in models]


def test_published_file_holds_core_marts_ops_only(practice) -> None:
    con = duckdb.connect(str(practice.warehouse), read_only=True)
    try:
        schemas = {s for (s,) in con.execute(
            "select distinct schema_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()}
        comment = con.execute(
            "select comment from duckdb_tables() where schema_name = 'core' and table_name = 'appointments'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert schemas == {"core", "marts", "ops"}
    assert comment.startswith("Every appointment") and "Key: appointment_id." in comment
    assert not practice.built.path.exists()  # the built file was moved, not copied
    assert not Path(str(practice.warehouse) + ".wal").exists()
    assert practice.built.row_counts["marts.utilization_daily"] == 180
    assert "staging.stg_bookings" not in practice.built.row_counts


def test_check_warehouse_passes(practice) -> None:
    run_contract_checker(practice.warehouse)


def test_published_with_the_configured_storage_version(practice) -> None:
    con = duckdb.connect(str(practice.warehouse), read_only=True)
    try:
        tags = con.execute(
            "select tags from duckdb_databases() where database_name = current_database()"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert tags["storage_version"].startswith("v1.4.0")  # readable by DuckDB 1.4 and newer


def test_unique_key_failure_raises_and_leaves_the_live_file(fresh_practice: tuple[Config, Home]) -> None:
    config, home = fresh_practice
    live = publish(home, build_warehouse(config, home, run_id="good", as_of=AS_OF).path)
    before = digest(live)
    models = replaced(discover_models(), "core.appointments", key=("patient_key",))
    with pytest.raises(ModelError, match=r"core\.appointments: key \(patient_key\) is not unique"):
        build_warehouse(config, home, run_id="bad", as_of=AS_OF, models=models)
    assert digest(live) == before
    assert not home.next_warehouse("bad").exists()
    assert not Path(str(home.next_warehouse("bad")) + ".wal").exists()
    con = duckdb.connect(str(live), read_only=True)
    try:
        assert con.execute("select count(*) from core.appointments").fetchall() == [(40,)]
    finally:
        con.close()


@pytest.mark.parametrize(
    ("sql_change", "columns_change", "message"),
    [
        # an output column without a comment
        (lambda sql: sql.rsplit("\nfrom final", 1)[0] + ",\n    1 as extra\nfrom final",
         lambda cols: cols, "without a comment.*extra"),
        # a documented column the SQL does not output
        (lambda sql: sql, lambda cols: cols | {"ghost_column": "Not there."}, "does not output.*ghost_column"),
        # a column named for a person's identity
        (lambda sql: sql.rsplit("\nfrom final", 1)[0] + ",\n    'x' as patient_name\nfrom final",
         lambda cols: cols | {"patient_name": "No."}, "identity.*patient_name"),
        # SQL that fails
        (lambda sql: sql.replace("from final", "from no_such_cte", 1), lambda cols: cols, "the SQL failed"),
    ],
)
def test_sidecar_and_sql_must_agree(fresh_practice, sql_change, columns_change, message) -> None:
    config, home = fresh_practice
    models = discover_models()
    target = next(m for m in models if m.qualified == "marts.no_show_by_lead_time")
    broken = replaced(models, target.qualified, sql=sql_change(target.sql), columns=columns_change(target.columns))
    with pytest.raises(ModelError, match=r"marts\.no_show_by_lead_time: .*" + message):
        build_warehouse(config, home, run_id="broken", as_of=AS_OF, models=broken)
    assert not home.warehouse.exists()
    assert not home.next_warehouse("broken").exists()


def test_rebuild_is_idempotent(fresh_practice) -> None:
    config, home = fresh_practice
    first = build_warehouse(config, home, run_id="a", as_of=AS_OF)
    second = build_warehouse(config, home, run_id="a", as_of=AS_OF)  # the stale next file is replaced
    assert first.row_counts == second.row_counts
    assert second.path.exists()


def test_naive_as_of_is_practice_local(fresh_practice) -> None:
    config, home = fresh_practice
    built = build_warehouse(config, home, run_id="n", as_of=datetime(2026, 3, 31, 12, 0))  # 12:00 EDT = 16:00Z
    con = duckdb.connect(str(built.path), read_only=True)
    try:
        assert con.execute("select epoch(as_of) from ops.build_info").fetchall() == [(AS_OF.timestamp(),)]
    finally:
        con.close()


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select as_of_date from ops.build_info").fetchall()[0][0], flush=True)
sys.stdin.readline()
print(con.execute("select as_of_date from ops.build_info").fetchall()[0][0],
      con.execute("select count(*) from marts.utilization_daily").fetchall()[0][0], flush=True)
"""


def test_reader_of_the_live_file_keeps_working_while_publish_happens(fresh_practice) -> None:
    config, home = fresh_practice
    live = publish(home, build_warehouse(config, home, run_id="day1", as_of=AS_OF).path)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(live)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "2026-03-31"  # the reader holds the old file open
        # the next night: built and published while the reader is still connected
        publish(home, build_warehouse(config, home, run_id="day2", as_of=AS_OF + timedelta(days=1)).path)
        out, err = reader.communicate("go\n", timeout=60)
        assert reader.returncode == 0, err
        assert out.split() == ["2026-03-31", "180"]  # still the whole old file
    finally:
        if reader.poll() is None:
            reader.kill()
    con = duckdb.connect(str(live), read_only=True)
    try:
        assert con.execute("select as_of_date::varchar from ops.build_info").fetchall() == [("2026-04-01",)]
    finally:
        con.close()


def test_publish_removes_a_stale_wal(fresh_practice) -> None:
    config, home = fresh_practice
    built = build_warehouse(config, home, run_id="w", as_of=AS_OF)
    home.warehouse.parent.mkdir(parents=True, exist_ok=True)
    stale = Path(str(home.warehouse) + ".wal")
    stale.write_bytes(b"yesterday")
    live = publish(home, built.path)
    assert not stale.exists()
    con = duckdb.connect(str(live), read_only=True)
    try:
        assert con.execute("select count(*) from ops.freshness").fetchall() == [(3,)]
    finally:
        con.close()


def test_empty_lake_builds_every_table(tmp_path: Path) -> None:
    config = parse_config({
        "practice": {"name": "Empty", "timezone": "Europe/London"},
        "locations": [{"id": "L1", "name": "One"}],
    })
    home = Home(tmp_path / "empty")
    built = build_warehouse(config, home, run_id="e", as_of=AS_OF)
    assert built.row_counts["core.appointments"] == 0
    assert built.row_counts["ops.freshness"] == 3  # always one row per source


def test_load_model_refuses_incomplete_sidecars() -> None:
    with pytest.raises(ModelError, match="marts.x: sidecar needs `key`"):
        load_model("marts", "x", "select 1 as a", 'description = "d"\ngrain = "g"\n[columns]\na = "A."\n')
    with pytest.raises(ModelError, match="key column"):
        load_model("marts", "x", "select 1 as a", 'description = "d"\ngrain = "g"\nkey = ["b"]\n[columns]\na = "A."\n')
    with pytest.raises(ModelError, match="column 'a' has no comment"):
        load_model("marts", "x", "select 1 as a", 'description = "d"\ngrain = "g"\nkey = ["a"]\n[columns]\na = " "\n')
    with pytest.raises(ModelError, match="`cluster` is a list of the model's documented columns"):
        load_model("marts", "x", "select 1 as a", 'description = "d"\ngrain = "g"\nkey = ["a"]\ncluster = ["b"]\n'
                                                  '[columns]\na = "A."\n')
    with pytest.raises(ModelError, match="sidecar key.s. clustr unknown"):
        load_model("marts", "x", "select 1 as a", 'description = "d"\ngrain = "g"\nkey = ["a"]\nclustr = ["a"]\n'
                                                  '[columns]\na = "A."\n')


def test_a_clustered_mart_is_stored_in_date_order(practice) -> None:
    """The marts the dashboard filters by date are stored by date (their sidecar's `cluster`), so a date range
    reads only its row groups; the rows are the same whatever the order."""
    clustered = [m for m in discover_models() if m.cluster]
    assert {m.qualified for m in clustered} >= {"marts.appointment_patients", "marts.utilization_hourly"}
    con = duckdb.connect(str(practice.warehouse), read_only=True)
    try:
        con.execute("set threads = 1")  # one thread scans in storage order
        for model in clustered:
            dates = [d for (d,) in con.execute(f"select {model.cluster[0]} from {model.qualified}").fetchall()]
            assert len(dates) > 1 and dates == sorted(dates), model.qualified
    finally:
        con.close()
