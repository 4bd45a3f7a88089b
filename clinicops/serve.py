"""`clinicops serve`: the nightly flow as a Prefect deployment on the practice's cron schedule, served by
this process, against a Prefect server — the one configured (PREFECT_API_URL), or a local SQLite-backed
one this process starts on 127.0.0.1 (UI on, analytics off, its database in the practice's Prefect home)
and stops when it stops.

Prefect is imported only after the server's address is in the environment: Prefect reads its settings
once, on import.
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from clinicops.config import Config, load_config
from clinicops.home import Home

SERVER_START_TIMEOUT_SECONDS = 300  # a busy machine: it took over 120 s under a load of 20 on 2 cores
SERVER_STOP_TIMEOUT_SECONDS = 15
PR_SET_PDEATHSIG = 1


class ServerError(RuntimeError):
    """The local Prefect server did not start."""


def deployment_name(config: Config) -> str:
    """One deployment per practice: `clinicops-nightly/<practice>` (two practices may share a server)."""
    return re.sub(r"[^a-z0-9]+", "-", config.practice.name.lower()).strip("-") or "practice"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """The server goes when this process goes, even on kill -9 (Linux); its own process group for the rest."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM to the child's whole process group, then SIGKILL if it has not gone."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)


@contextmanager
def local_server(prefect_home: Path, log_file: Path) -> Iterator[str]:
    """A Prefect server on 127.0.0.1 (a free port, UI on, analytics off, SQLite in PREFECT_HOME), as a child
    in its own process group; yields its API URL once it answers /health, and stops it on the way out."""
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "PREFECT_SERVER_UI_ENABLED": "true",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    api = f"http://127.0.0.1:{port}/api"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port),
             "--analytics-off"],
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while not _healthy(api):
            if process.poll() is not None:
                raise ServerError(f"the local Prefect server exited ({process.returncode}); see {log_file}")
            if time.monotonic() > deadline:
                raise ServerError(f"the local Prefect server did not answer in {SERVER_START_TIMEOUT_SECONDS} s; "
                                  f"see {log_file}")
            time.sleep(0.3)
        yield api
    finally:
        stop_process_group(process)


def serve(home: Home, *, limit: int = 1) -> int:
    """Serve the nightly deployment until SIGINT / SIGTERM. Returns the exit code of the command."""
    config = load_config(home.config_file)  # a bad configuration stops here, exit 2
    prefect_home = Path(os.environ.get("PREFECT_HOME", home.prefect_home))
    if os.environ.get("PREFECT_API_URL"):
        print(f"clinicops serve: using the Prefect server at {os.environ['PREFECT_API_URL']}", flush=True)
        return _serve_deployment(home, config)
    print(f"clinicops serve: starting a local Prefect server (SQLite in {prefect_home}) ...", flush=True)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)  # until Prefect's runner takes SIGTERM over
    try:
        with local_server(prefect_home, home.prefect_server_log) as api:
            os.environ["PREFECT_API_URL"] = api
            print(f"clinicops serve: Prefect UI at {api.removesuffix('/api')}  (past and next runs)", flush=True)
            return _serve_deployment(home, config, limit=limit)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve_deployment(home: Home, config: Config, *, limit: int = 1) -> int:
    import prefect
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from clinicops.flows.nightly import nightly

    deployment = nightly.to_deployment(
        name=deployment_name(config),
        schedules=[Cron(config.schedule.cron, timezone=config.practice.timezone)],
        parameters={"home_dir": str(home.root)},
        description=f"The nightly run of {config.practice.name} ({home.root})",
        tags=["clinicops"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    print(f"clinicops serve: deployment clinicops-nightly/{deployment.name}, cron {config.schedule.cron!r} "
          f"in {config.practice.timezone}; Ctrl-C stops", flush=True)
    try:
        prefect.serve(deployment, limit=limit, print_starting_message=False)
    except KeyboardInterrupt:  # Ctrl-C before Prefect's runner took it over (just after registering): a stop too
        pass
    print("clinicops serve: stopped", flush=True)
    return 0
