"""A failed or rejected night is visible: its Prefect state's name, its row in ops.runs, and a notification
to a real HTTP receiver on 127.0.0.1 and a real command — and a notification that fails never fails the run."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from clinicops.config import Notify
from clinicops.flows.nightly import PUBLISHED_WITH_REJECTIONS, run_nightly
from clinicops.home import Home
from clinicops.notify import send
from tests.practice import PHI, make_practice, write_csv

AS_OF = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


class Receiver:
    """A webhook receiver on 127.0.0.1 that keeps every JSON body POSTed to it (status: what it answers)."""

    def __init__(self, status: int = 200) -> None:
        received: list[dict] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers["Content-Length"])
                received.append({"content_type": self.headers["Content-Type"],
                                 "body": json.loads(self.rfile.read(length))})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/clinicops"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


def with_notify(home: Home, url: str, command_out: Path) -> None:
    command = [sys.executable, "-c", f"import sys; open({str(command_out)!r}, 'wb').write(sys.stdin.buffer.read())"]
    with home.config_file.open("a", encoding="utf-8") as f:
        f.write(f"\n[notify]\nwebhook_url = {json.dumps(url)}\ncommand = {json.dumps(command)}\n")


def last_flow_run_state():
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["clinicops-nightly"])),
                                     sort=FlowRunSort.START_TIME_DESC, limit=1)
    return runs[0].state


def test_a_rejected_night_is_named_so_and_notifies(tmp_path: Path, receiver: Receiver) -> None:
    home = make_practice(tmp_path / "practice")
    with_notify(home, receiver.url, tmp_path / "command.json")
    row = {"appointment_id": "X", "patient_id": "MRN-77231", "patient_first_name": "Margarethe"}
    write_csv(home.inbox("bookings") / "no_start.csv", [row])

    summary = run_nightly(home, AS_OF)
    assert summary.exit_code == 3, summary.message
    state = last_flow_run_state()
    assert state.is_completed() and state.name == PUBLISHED_WITH_REJECTIONS == "Published with rejections"

    assert len(receiver.received) == 1
    posted = receiver.received[0]
    assert posted["content_type"] == "application/json"
    body = posted["body"]
    assert (body["state"], body["exit_code"], body["run_id"]) == ("Published with rejections", 3, summary.run_id)
    assert body["practice"] == "Test Practice" and body["sources"]["bookings"]["rows_accepted"] == 4
    assert [f["file"] for f in body["rejected_files"]] == ["no_start.csv"]
    assert json.loads((tmp_path / "command.json").read_text()) == body  # the command got the same summary
    everything = json.dumps(receiver.received)
    for value in PHI:
        assert value not in everything

    con = duckdb.connect(str(home.warehouse), read_only=True)
    assert con.execute("select status, exit_code, files_rejected from ops.runs").fetchall() == [
        ("published_with_errors", 3, 1)]
    con.close()

    (home.inbox("bookings") / "no_start.csv").unlink()
    (tmp_path / "command.json").unlink()
    clean = run_nightly(home, AS_OF)
    assert clean.exit_code == 0 and last_flow_run_state().name == "Completed"
    assert len(receiver.received) == 1 and not (tmp_path / "command.json").exists()  # a clean night is quiet


def test_a_night_that_publishes_nothing_fails_and_a_dead_webhook_does_not_matter(tmp_path: Path) -> None:
    home = make_practice(tmp_path / "practice")
    dead = Receiver()
    dead_url = dead.url
    dead.close()  # nobody listens on this port any more
    with_notify(home, dead_url, tmp_path / "command.json")
    home.build_dir.parent.mkdir(parents=True, exist_ok=True)
    home.build_dir.write_text("a file where the build folder should be")  # the build cannot start

    summary = run_nightly(home, AS_OF)
    assert summary.exit_code == 1 and summary.status == "failed" and "yesterday's warehouse stays" in summary.message
    assert not home.warehouse.exists()
    state = last_flow_run_state()
    assert state.is_failed() and state.name == "Failed"
    body = json.loads((tmp_path / "command.json").read_text())  # the command still ran
    assert (body["state"], body["exit_code"], body["warehouse"]) == ("Failed", 1, None)
    runs = sorted(home.ops.glob("runs/*.parquet"))
    con = duckdb.connect()
    assert con.execute("select status, exit_code from read_parquet(?)", [str(runs[-1])]).fetchall() == [("failed", 1)]
    con.close()


def test_a_failing_receiver_is_reported_not_raised(tmp_path: Path) -> None:
    refusing = Receiver(status=500)
    try:
        problems = send(Notify(webhook_url=refusing.url, command=[sys.executable, "-c", "raise SystemExit(4)"]),
                        {"run_id": "r", "exit_code": 1})
    finally:
        refusing.close()
    assert len(refusing.received) == 1
    assert problems == [f"webhook {refusing.url}: HTTP 500", f"command {sys.executable}: exit 4"]
