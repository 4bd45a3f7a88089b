"""Where the nightly flow's per-source tasks run: Prefect's thread pool (the default) or a Dask cluster
(`[runner] kind = "dask"`, through prefect-dask), either one at `address` or a local one started for the
night (`workers` processes, on 127.0.0.1 only, no dashboard).

A task on Dask runs in another process, perhaps on another machine that sees the same home (a shared
file system). Two things change there, and this module holds both:

- The vault never travels. A task gets `VaultAt` (its path, nothing else) and opens the vault itself with
  the key of its own environment; the sources take turns with it (a lock file beside it), so a patient new
  to two sources tonight still gets one key.
- A worker process keeps the home's privacy rules: the owner-only umask and the offline settings
  (`private_process`, applied to every worker by `clinicops.dask_runner`).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinicops.config import Runner
from clinicops.modes import OWNER_ONLY_UMASK
from clinicops.settings import configure_offline
from clinicops.vault import Vault


@dataclass(frozen=True)
class VaultAt:
    """The vault as a task in another process receives it: where it is, never its keys nor its key."""

    path: Path


def private_process() -> None:
    """This process writes only owner-only files (umask 077, for good) and calls nobody on the internet."""
    configure_offline()
    os.umask(OWNER_ONLY_UMASK)


def with_runner(flow: Any, runner: Runner) -> Any:
    """The flow with the task runner `[runner]` asks for (the flow itself for threads, Prefect's default)."""
    if runner.kind != "dask":
        return flow
    from clinicops.dask_runner import dask_task_runner  # Dask is imported only when a night runs on it

    return flow.with_options(task_runner=dask_task_runner(runner))


@contextmanager
def prefect_api_for(runner: Runner) -> Iterator[None]:
    """Tasks in other processes report to the flow's Prefect API. With no PREFECT_API_URL a flow run uses
    a temporary local server that only its own process knows of (each worker would start its own): start
    it here, and name its URL in the settings the flow's tasks carry to the workers."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if runner.kind != "dask" or PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the one a flow run of this process would start (stopped at exit)
    server.start()
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield


def in_this_process() -> bool:
    """Do the running flow's tasks share its process (the thread pool), or run elsewhere (Dask)?"""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    context = FlowRunContext.get()
    return context is None or isinstance(context.task_runner, ThreadPoolTaskRunner)


def shareable(vault: Vault) -> Vault | VaultAt:
    """The vault as the flow's tasks get it: the open vault in this process, its path for another."""
    return vault if in_this_process() else VaultAt(vault.path)


@contextmanager
def task_vault(vault: Vault | VaultAt, secret: Callable[[], str | None]) -> Iterator[Vault]:
    """The vault a task uses. The open vault when the flow handed it over in this process; else this
    process opens it, with the key of its own environment (`secret`), holding the vault's lock file until
    the task is done with it (the task saves it before), so no two processes hand out keys at once."""
    if isinstance(vault, Vault):
        yield vault
        return
    lock = vault.path.with_name(f".{vault.path.name}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield Vault.open(vault.path, secret())
    finally:
        os.close(fd)  # releases the lock
