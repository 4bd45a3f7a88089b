"""A killed run's history made true by the next run: interrupted, unless its swap had happened."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from clinicops.home import Home
from clinicops.lake import write_ops
from clinicops.runlock import run_lock
from clinicops.steps import settle_interrupted_run

STARTED = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def running(home: Home, run_id: str) -> None:
    write_ops(home, "runs", run_id, [{"run_id": run_id, "started_at": STARTED, "status": "running", "as_of": STARTED,
                                      "files_rejected": 0}])


def status_of(home: Home, run_id: str) -> tuple:
    [row] = pq.read_table(home.ops_file("runs", run_id)).to_pylist()
    return row["status"], row["exit_code"], row["message"]


def test_a_run_killed_before_its_swap_is_recorded_interrupted(tmp_path: Path) -> None:
    home = Home(tmp_path)
    running(home, "R1")
    assert settle_interrupted_run(home, "R1", found_by="R2") == "interrupted"
    status, code, message = status_of(home, "R1")
    assert (status, code) == ("interrupted", None) and "R2" in message
    assert settle_interrupted_run(home, "R1", found_by="R3") is None  # once
    assert settle_interrupted_run(home, None, found_by="R3") is None


def test_a_run_killed_after_its_swap_keeps_its_published_record(tmp_path: Path) -> None:
    home = Home(tmp_path)
    running(home, "R1")
    home.warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(home.warehouse))
    con.execute("create schema ops; create table ops.runs (run_id varchar, started_at timestamptz, "
                "finished_at timestamptz, status varchar, exit_code bigint, as_of timestamptz, "
                "files_rejected bigint, message varchar)")
    con.execute("insert into ops.runs values ('R1', ?, ?, 'published', 0, ?, 0, null)", [STARTED, STARTED, STARTED])
    con.close()
    assert settle_interrupted_run(home, "R1", found_by="R2") == "published"
    assert status_of(home, "R1") == ("published", 0, None)


def test_the_lock_file_names_the_last_run(tmp_path: Path) -> None:
    home = Home(tmp_path)
    with run_lock(home) as lock:
        assert lock.previous_run_id is None
        lock.name_run("R1")
    with run_lock(home) as lock:
        assert lock.previous_run_id == "R1"
