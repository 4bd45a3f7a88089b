"""`clinicops serve` as a scheduler runs it: the real command starts its own local Prefect server (SQLite in
the practice's home), registers the nightly deployment with the practice's cron and time zone, runs a night
of it exactly as `clinicops run` would (its state named, its ops.runs row, its notification), and leaves
nothing running when it is stopped."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

from tests.flows.test_failure import Receiver, with_notify
from tests.practice import make_practice, write_csv

CRON = "30 1 * * 2-6"  # 01:30 Tuesday to Saturday, the practice's time


class Output:
    """The lines a child writes, read in a thread so a test can wait for one with a timeout."""

    def __init__(self, stream) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=lambda: [self.lines.put(line) for line in stream], daemon=True).start()

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no {pattern!r} in {timeout} s:\n{''.join(self.seen)}")


def processes_with(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                    pids.append(int(entry.name))
    return pids


def registered(client, name: str, out: Output, timeout: float = 120):
    """The deployment, once the served runner has registered it."""
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.read_deployment_by_name(name)
        except ObjectNotFound:
            assert time.monotonic() < deadline, f"{name} was never registered:\n{''.join(out.seen)}"
            time.sleep(1)


def upcoming(client, deployment_id, out: Output, timeout: float = 150) -> list:
    """The scheduled nights the server's scheduler queued, in the practice's time."""
    from zoneinfo import ZoneInfo

    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter

    deadline = time.monotonic() + timeout
    while True:
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                                     flow_run_filter=FlowRunFilter(), limit=50)
        times = [r.expected_start_time.astimezone(ZoneInfo("America/New_York")) for r in runs
                 if r.state and r.state.is_scheduled()]
        if times:
            return times
        assert time.monotonic() < deadline, f"no scheduled night appeared:\n{''.join(out.seen)}"
        time.sleep(3)


def test_serve_registers_the_nightly_deployment_and_runs_a_night(tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    home = make_practice(tmp_path / "practice")
    with home.config_file.open("a", encoding="utf-8") as f:
        f.write(f'\n[schedule]\ncron = "{CRON}"\n')
    receiver = Receiver()
    with_notify(home, receiver.url, tmp_path / "command.json")
    write_csv(home.inbox("bookings") / "no_start.csv", [{"appointment_id": "X", "patient_id": "MRN-1"}])
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_HOME", "PREFECT_API_URL")}
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "2"  # pick the night up quickly
    env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "3"  # and queue the next nights quickly
    serve = subprocess.Popen([sys.executable, "-m", "clinicops.cli", "serve", "--home", str(home.root)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out = Output(serve.stdout)
        ui = out.wait_for(r"Prefect UI at (http://127\.0\.0\.1:(\d+))", timeout=360)
        out.wait_for(r"deployment clinicops-nightly/test-practice", timeout=120)
        port = ui.group(2)
        assert (home.prefect_home / "prefect.db").exists()  # the practice's own Prefect state

        with temporary_settings(updates={PREFECT_API_URL: f"{ui.group(1)}/api"}):
            with get_client(sync_client=True) as client:
                deployment = registered(client, "clinicops-nightly/test-practice", out)
                assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in deployment.schedules] == [
                    (CRON, "America/New_York", True)]
                assert deployment.parameters == {"home_dir": str(home.root)}
                assert deployment.entrypoint == "clinicops.flows.nightly.nightly"
                night = client.create_flow_run_from_deployment(deployment.id)
                deadline = time.monotonic() + 900  # a night on a saturated 2-core machine took over 300 s
                while not (state := client.read_flow_run(night.id).state).is_final():
                    assert time.monotonic() < deadline, f"the night did not finish: {state}\n{''.join(out.seen)}"
                    time.sleep(2)
                next_nights = upcoming(client, deployment.id, out)
        assert next_nights and {(t.hour, t.minute, t.isoweekday()) for t in next_nights} <= {
            (1, 30, day) for day in (2, 3, 4, 5, 6)}  # 01:30 New York time, Tuesday to Saturday
        assert state.is_completed() and state.name == "Published with rejections", state
        out.wait_for(r"published_with_errors \(exit 3\)", timeout=30)  # `clinicops run`'s summary
        con = duckdb.connect(str(home.warehouse), read_only=True)
        assert con.execute("select status, exit_code from ops.runs").fetchall() == [("published_with_errors", 3)]
        con.close()
        assert [r["body"]["state"] for r in receiver.received] == ["Published with rejections"]

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0
        out.wait_for("clinicops serve: stopped", timeout=10)
        assert processes_with(f"--port {port}") == []  # the local server went with it
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGKILL)
        serve.wait(timeout=30)
        receiver.close()


def test_serve_uses_the_configured_prefect_server(tmp_path: Path) -> None:
    """PREFECT_API_URL set: no local server is started, the deployment lands on the configured one."""
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings
    from prefect.testing.utilities import prefect_test_harness

    home = make_practice(tmp_path / "practice")
    with prefect_test_harness(server_startup_timeout=None):
        api = get_current_settings().api.url
        env = {**os.environ, "PREFECT_API_URL": api}
        serve = subprocess.Popen([sys.executable, "-m", "clinicops.cli", "serve", "--home", str(home.root)],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 start_new_session=True)
        try:
            out = Output(serve.stdout)
            out.wait_for(rf"using the Prefect server at {re.escape(api)}", timeout=120)
            with get_client(sync_client=True) as client:
                deployment = registered(client, "clinicops-nightly/test-practice", out)
            assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [
                ("0 2 * * *", "America/New_York")]  # the default schedule, in the practice's zone
            assert not any("starting a local Prefect server" in line for line in out.seen)
            serve.send_signal(signal.SIGINT)
            assert serve.wait(timeout=60) == 0
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=30)
