"""The Dask side of `[runner] kind = "dask"`: prefect-dask's task runner, connected to the scheduler at
`address` or to a local cluster started for the night, whose every worker is made private.

Imported only when a night runs on Dask. Workers started by hand can be private from their first moment
with `dask worker <scheduler> --preload clinicops.dask_runner`.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin
from prefect_dask import DaskTaskRunner

from clinicops.config import Runner
from clinicops.runners import private_process

LOCAL_HOST = "127.0.0.1"
PLUGIN_NAME = "clinicops-private-worker"


class PrivateWorker(WorkerPlugin):
    """Registered on every worker of the cluster (and on those that join later): owner-only writes
    (umask 077 for the whole worker process) and the offline settings."""

    idempotent = True

    def setup(self, worker: Any) -> None:
        private_process()


class PrivateDaskTaskRunner(DaskTaskRunner):
    """prefect-dask's DaskTaskRunner whose client, once connected, makes every worker private."""

    @property
    def client(self):  # type: ignore[override]
        fresh = self._client is None
        client = super().client
        if fresh:
            client.register_plugin(PrivateWorker(), name=PLUGIN_NAME)
        return client


def dask_task_runner(runner: Runner) -> PrivateDaskTaskRunner:
    """The scheduler at `runner.address`, else a local cluster for the duration of the flow run."""
    logging.getLogger("distributed").setLevel(logging.WARNING)  # Dask's own INFO lines are not the run's
    if runner.address:
        return PrivateDaskTaskRunner(address=runner.address)
    return PrivateDaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs=local_cluster(runner))


def local_cluster(runner: Runner) -> dict[str, Any]:
    """Worker processes (one per core unless `workers` says), one thread each, listening on 127.0.0.1
    only, with no dashboard (the scheduler's health and metrics routes on a free port of 127.0.0.1)."""
    return {"n_workers": runner.workers or os.cpu_count() or 1, "threads_per_worker": 1, "processes": True,
            "host": LOCAL_HOST, "protocol": "tcp://", "dashboard_address": None,
            "worker_dashboard_address": None, "scheduler_kwargs": {"dashboard_address": f"{LOCAL_HOST}:0"}}


def dask_setup(worker: Any = None) -> None:
    """The hook of `dask worker --preload clinicops.dask_runner`."""
    private_process()
