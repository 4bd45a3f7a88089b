"""`[runner] kind = "dask"`: the real nightly flow with its per-source tasks on a real Dask cluster of two
worker processes (prefect-dask), against the same small practice run on threads, with a review pull from
a fake Yelp on 127.0.0.1. The warehouse must come out the same, the vault must hand each patient one key
however the sources were spread over the workers, and what a worker writes must be owner-only even when
the worker was started with an open umask."""

from __future__ import annotations

import json
import os
import pickle
import stat
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from clinicops.config import load_config
from clinicops.flows.nightly import RunSummary, nightly, run_nightly
from clinicops.home import Home
from clinicops.runners import VaultAt
from clinicops.steps import plan_run
from clinicops.vault import Vault
from tests.fake_sites import FakeSites, Reply, fake_sites, yelp_details, yelp_reviews
from tests.practice import make_practice

AS_OF = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
YELP_ID = "test-practice-columbia"
RUN_SPECIFIC = {"run_id", "started_at", "finished_at", "last_ingest_at", "hours_stale"}  # ops only
SOURCE_FILE_SPECIFIC = {"file", "modified_ns"}  # ops.source_files: a file is named by its run, timed by its write


@pytest.fixture(scope="module")
def sites() -> Iterator[FakeSites]:
    with pytest.MonkeyPatch.context() as env, fake_sites() as served:
        env.setenv("CLINICOPS_YELP_API_KEY", "yelp-key")  # before the cluster starts: its workers pull too
        env.setenv("CLINICOPS_HTTP_BACKOFF_SECONDS", "0.01")
        served.add(f"/v3/businesses/{YELP_ID}", Reply(body=yelp_details(YELP_ID, rating=4.0, count=32)))
        served.add(f"/v3/businesses/{YELP_ID}/reviews", Reply(body=yelp_reviews()))
        yield served


@pytest.fixture(scope="module")
def cluster(sites: FakeSites) -> Iterator[str]:
    """A Dask cluster of two worker processes on 127.0.0.1, started by the test with an open umask (022):
    the flow must make its workers private itself. Yields the scheduler's address; closed in the end."""
    from distributed import LocalCluster

    previous = os.umask(0o022)
    try:
        started = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
    finally:
        os.umask(previous)
    try:
        yield started.scheduler_address
    finally:
        started.close()


def practice(root: Path, sites: FakeSites, runner: str = "") -> Home:
    home = make_practice(root)
    home.config_file.write_text(home.config_file.read_text() + f'api_base = "{sites.url}"\ntimeout_seconds = 2\n'
                                + runner)
    return home


@pytest.fixture(scope="module")
def on_threads(tmp_path_factory: pytest.TempPathFactory, sites: FakeSites) -> tuple[Home, RunSummary]:
    home = practice(tmp_path_factory.mktemp("threads"), sites)
    return home, run_nightly(home, AS_OF)


@pytest.fixture(scope="module")
def on_dask(tmp_path_factory: pytest.TempPathFactory, sites: FakeSites, cluster: str) -> tuple[Home, RunSummary]:
    home = practice(tmp_path_factory.mktemp("dask"), sites, f'\n[runner]\nkind = "dask"\naddress = "{cluster}"\n')
    return home, run_nightly(home, AS_OF)


def warehouse_contents(home: Home) -> dict[str, list[tuple]]:
    """Every table of core, marts and ops, rows sorted on all columns; a patient_key as the source's patient
    id it stands for (the keys are random per vault), a file's ingest time (an empty `updated_at`) as such,
    ops without the run's own ids and clock times."""
    vault = Vault.open(home.vault)
    patient_of = {key: pair for pair, key in vault._keys.items()}
    ingested = {datetime.fromisoformat(json.loads(line)["ingested_at"])
                for line in home.manifest.read_text().splitlines()}

    def same_meaning(value: object, keyed: bool) -> object:
        if keyed and value is not None:
            return patient_of.get(value, f"NOT IN THE VAULT: {value}")
        return "a file's ingest time" if isinstance(value, datetime) and value in ingested else value

    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables() "
                             "where schema_name in ('core', 'marts', 'ops') order by 1, 2").fetchall()
        contents = {}
        for schema, table in tables:
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                "order by column_index", [schema, table]).fetchall()
                if schema != "ops" or (c not in RUN_SPECIFIC
                                       and (table != "source_files" or c not in SOURCE_FILE_SPECIFIC))]
            keyed = [i for i, c in enumerate(columns) if c == "patient_key"]
            rows = con.execute(f"select {', '.join(columns)} from {schema}.{table}").fetchall()
            rows = [tuple(same_meaning(v, i in keyed) for i, v in enumerate(row)) for row in rows]
            contents[f"{schema}.{table}"] = sorted(rows, key=repr)
        return contents
    finally:
        con.close()


def test_a_night_on_dask_builds_the_same_warehouse_as_on_threads(on_threads, on_dask) -> None:
    (thread_home, thread_run), (dask_home, dask_run) = on_threads, on_dask
    assert thread_run.exit_code == 0, thread_run.message
    assert dask_run.exit_code == 0, dask_run.message
    assert {s: o.ops_row("-") for s, o in dask_run.sources.items()} == \
           {s: o.ops_row("-") for s, o in thread_run.sources.items()}
    threads, dask = warehouse_contents(thread_home), warehouse_contents(dask_home)
    assert set(dask) == set(threads) and len(threads) > 10
    for table, rows in threads.items():
        assert dask[table] == rows, table
    assert threads["core.appointments"] and threads["core.infusion_sessions"] and threads["core.reviews"]


def test_a_patient_new_to_two_sources_gets_one_key_whichever_worker_read_them(on_dask) -> None:
    home, summary = on_dask
    assert summary.exit_code == 0, summary.message
    vault = Vault.open(home.vault)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    keys = {table: {k for (k,) in con.execute(f"select distinct patient_key from core.{table}").fetchall()}
            for table in ("appointments", "infusion_sessions")}
    con.close()
    assert keys["appointments"] == keys["infusion_sessions"] == set(vault._keys.values())
    assert len(vault) == 1  # MRN-77231, seen by bookings and by sessions in the same night


def test_what_dask_workers_write_is_owner_only(on_dask, cluster: str) -> None:
    from distributed import Client

    home, summary = on_dask
    assert summary.exit_code == 0, summary.message
    pulled = [p for p in home.inbox("reviews").iterdir() if "2026-11-24" not in p.name]
    assert pulled, "the Yelp pull saved nothing"  # written by a worker; `secure_home` leaves the inbox alone
    for path in pulled:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    with Client(cluster) as client:
        umasks = client.run(lambda: (lambda m: (os.umask(m), m)[1])(os.umask(0o077)))
        offline = client.run(lambda: os.environ.get("DO_NOT_TRACK"))
    assert len(umasks) == 2 and set(umasks.values()) == {0o077}
    assert set(offline.values()) == {"1"}


def test_the_sources_are_validated_on_the_workers(on_dask, cluster: str) -> None:
    """Great Expectations is imported only to validate: on Dask, a worker (not only the run's process) did."""
    from distributed import Client

    _, summary = on_dask
    assert summary.exit_code == 0 and summary.sources["bookings"].rows_accepted == 4, summary.message
    with Client(cluster) as client:
        validated = client.run(lambda: "great_expectations" in sys.modules)
    assert any(validated.values()), validated


def test_a_task_in_another_process_gets_the_vaults_path_never_its_keys(tmp_path: Path) -> None:
    home = make_practice(tmp_path / "home")
    vault = Vault.open(home.vault, "a passphrase")
    vault.key_for("pm", "MRN-77231")
    with pytest.raises(TypeError):  # the open vault (keys, secret, lock) cannot leave its process
        pickle.dumps(vault)
    shipped = pickle.dumps((home, load_config(home.config_file), plan_run(home), VaultAt(home.vault)))
    assert b"MRN-77231" not in shipped and b"a passphrase" not in shipped
    assert pickle.loads(shipped)[3] == VaultAt(home.vault)


def test_a_scheduled_night_on_a_local_cluster_of_its_own(on_threads, tmp_path: Path, sites: FakeSites) -> None:
    """No address: the night starts a local cluster of `workers` processes on 127.0.0.1 and stops it; the
    scheduled path (what `clinicops serve` runs) runs the night as a child flow run on it."""
    home = practice(tmp_path / "home", sites, '\n[runner]\nkind = "dask"\nworkers = 2\n')
    state = nightly(str(home.root), as_of=AS_OF, return_state=True)
    summary = state.result(raise_on_failure=False)
    assert isinstance(summary, RunSummary) and summary.exit_code == 0, summary
    assert warehouse_contents(home) == warehouse_contents(on_threads[0])
