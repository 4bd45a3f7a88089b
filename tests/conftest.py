"""Shared fixtures: small practices built in a temporary folder. Everything runs offline.

Every process a test starts inherits CLINICOPS_TEST_SESSION (a marker unique to this pytest session),
so at the end of the session any process still carrying it — a server or run a test started and did not
stop, even one orphaned to init — is found, killed, and fails the session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from clinicops.home import Home
from clinicops.settings import configure_offline

configure_offline()
if "PREFECT_HOME" not in os.environ or os.environ.get("CLINICOPS_TEST_PREFECT_HOME") == os.environ["PREFECT_HOME"]:
    # the in-process runs' Prefect state: one per pytest-xdist worker, so two workers never share a SQLite file
    os.environ["PREFECT_HOME"] = os.path.join(os.environ.get("TMPDIR", "/tmp"), "clinicops-test-prefect") + (
        f"-{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else "")
    os.environ["CLINICOPS_TEST_PREFECT_HOME"] = os.environ["PREFECT_HOME"]


@pytest.fixture(scope="session")
def demo_practice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, str, int]:
    """The README's demo, generated and run once per test session: (home, what it printed, exit status).
    Tests read it; a test that changes the warehouse works on a copy."""
    root = tmp_path_factory.mktemp("demo")
    done = subprocess.run([sys.executable, "-m", "clinicops.cli", "demo", "--home", str(root)],
                          capture_output=True, text=True, timeout=600)
    return Home(root), done.stdout + done.stderr, done.returncode


MARKER = "CLINICOPS_TEST_SESSION"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault(MARKER, uuid.uuid4().hex)


RESOURCE_TRACKER = b"from multiprocessing.resource_tracker import main"


def processes_of_this_session() -> dict[int, str]:
    """pid -> command line of every other live process whose environment carries this session's marker, but
    multiprocessing's resource tracker of this very process (a Dask cluster a test started and stopped leaves
    it; it reads a pipe from this process and ends when this process does)."""
    wanted = f"{MARKER}={os.environ[MARKER]}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                state, parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
                if state == "Z":
                    continue  # a zombie is already dead
                if int(parent) == os.getpid() and RESOURCE_TRACKER in (entry / "cmdline").read_bytes():
                    continue
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
        except OSError:
            continue
    return found


def _stop_prefect_ephemeral_server() -> None:
    """The in-process flow runs' temporary Prefect server is stopped at exit by Prefect; stop it now."""
    server_module = sys.modules.get("prefect.server.api.server")
    if server_module is not None:
        for server in list(server_module.SubprocessASGIServer._instances.values()):
            server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int):
    """After every other plugin's end of session (pytest-xdist's workers are gone by then): the leak check, in
    the one process that ran the tests or, with workers, in the controller once they have ended."""
    _stop_prefect_ephemeral_server()
    result = yield
    if sys.platform.startswith("linux") and MARKER in os.environ and not hasattr(session.config, "workerinput"):
        _check_for_leftover_processes(session)
    return result


def _check_for_leftover_processes(session: pytest.Session) -> None:
    deadline = time.monotonic() + 10
    left = processes_of_this_session()
    while left and time.monotonic() < deadline:  # a process told to stop may need a moment
        time.sleep(0.5)
        left = processes_of_this_session()
    if not left:
        return
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    lines = "\n".join(f"  pid {pid}: {cmd}" for pid, cmd in left.items())
    session.config.get_terminal_writer().line(f"\nA test left processes running (now killed):\n{lines}", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
