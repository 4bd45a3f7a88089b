"""One real dashboard per test session: `clinicops dashboard` (Streamlit) on a free 127.0.0.1 port over a copy
of the demo practice's warehouse, driven by Playwright in Debian's headless Chromium (/usr/bin/chromium;
`make test` installs it). Every request a page makes is recorded; the server's whole process group is ended
when the session ends."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlparse

import duckdb
import pytest

from clinicops.dashboard.app import FOOTER
from clinicops.home import Home

# the page is drawn: Streamlit's script run has ended and no element is a placeholder or stale
DRAWN = """(() => {
    const app = document.querySelector('[data-testid=stApp]');
    return app !== null && app.dataset.testScriptState === 'notRunning'
        && document.querySelectorAll('[data-testid=stSkeleton]').length === 0
        && document.querySelectorAll('[data-stale=true]').length === 0;
})()"""

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def dashboard_home(demo_practice, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A home holding a copy of the demo's published warehouse and validation report (tests may publish over it)."""
    demo, out, code = demo_practice
    assert code == 0 and demo.warehouse.exists(), out
    home = Home(tmp_path_factory.mktemp("dashboard-home"))
    home.warehouse.parent.mkdir(parents=True)
    shutil.copy2(demo.warehouse, home.warehouse)
    home.reports.mkdir(parents=True)
    shutil.copy2(demo.latest_report, home.latest_report)
    return home


@pytest.fixture()
def warehouse(dashboard_home: Home) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the dashboard's live warehouse, for the expected figures."""
    con = duckdb.connect(str(dashboard_home.warehouse), read_only=True)
    con.execute("set TimeZone = ?", [con.execute("select timezone from ops.build_info").fetchall()[0][0]])
    yield con
    con.close()


@dataclass(frozen=True)
class Server:
    url: str
    group: int  # the process group of `clinicops dashboard` and its Streamlit server

    def pids(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getpgid(int(entry.name)) == self.group:
                        found.append(int(entry.name))
                except ProcessLookupError:
                    pass
        return found

    def open_files(self) -> set[str]:
        files = set()
        for pid in self.pids():
            try:
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    try:
                        files.add(os.readlink(fd))
                    except OSError:
                        pass
            except OSError:
                pass
        return files


@pytest.fixture(scope="session")
def server(dashboard_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`clinicops dashboard --home ... --port N` as a user starts it, in its own process group."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("dashboard-server") / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "clinicops.cli", "dashboard", "--home", str(dashboard_home.root),
             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not start:\n{log_path.read_text()}")
            time.sleep(0.3)
        assert f"open {url}" in log_path.read_text()  # the command prints where to look
        yield Server(url, process.pid)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
    assert "Traceback" not in log_path.read_text(), log_path.read_text()


# Playwright's sync API keeps an asyncio loop running in this thread while it is open: the browser lives
# for the browser tests' module only, so later tests (Prefect, GX) may use asyncio as usual.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): `make test` installs it as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dashboard-screenshots")


class Dashboard:
    """The session's browser page on the dashboard, recording every request it makes during one test."""

    def __init__(self, page, base: str, screenshots: Path) -> None:
        self.page, self.base, self.screenshots = page, base, screenshots
        self.requests: list[str] = []
        self._listeners = (("request", lambda request: self.requests.append(request.url)),
                           ("websocket", lambda ws: self.requests.append(ws.url)))
        for event, listener in self._listeners:
            page.on(event, listener)

    def detach(self) -> None:
        for event, listener in self._listeners:
            self.page.remove_listener(event, listener)

    def wait_drawn(self, marker: str = FOOTER) -> None:
        """Until the page's last element is drawn, the script has finished its run, and no element is still a
        placeholder or left over (stale) from the run before: a filter's rerun may keep old figures on show."""
        self.page.get_by_text(marker).first.wait_for(timeout=90_000)
        self.page.wait_for_function(DRAWN, timeout=90_000)

    def open(self, path: str = "", marker: str = FOOTER, **params: str) -> None:
        self.page.goto(self.base + path + (f"?{urlencode(params)}" if params else ""))
        self.wait_drawn(marker)

    def reload(self, marker: str = FOOTER) -> None:
        self.page.reload()
        self.wait_drawn(marker)

    def shot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def metric(self, label: str) -> str:
        card = self.page.locator('[data-testid="stMetric"]').filter(
            has=self.page.locator('[data-testid="stMetricLabel"]', has_text=label))
        return card.locator('[data-testid="stMetricValue"]').first.inner_text().strip()

    def table(self, first_header: str, having: str | None = None) -> list[dict[str, str]]:
        """The rows of the first st.table whose first column is `first_header` (and that has a column `having`),
        as {header: cell text}."""
        for table in self.page.locator('[data-testid="stTable"] table').all():
            headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
            if headers and headers[0] == first_header and (having is None or having in headers):
                return [dict(zip(headers, [c.strip() for c in row.locator("td, th").all_inner_texts()], strict=False))
                        for row in table.locator("tbody tr").all()]
        raise AssertionError(f"no table starting with column {first_header!r} on the page")

    def off_machine(self) -> list[str]:
        hosts = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about"):
                continue
            if parsed.hostname not in LOCAL_HOSTS:
                hosts.append(url)
        return hosts


@pytest.fixture(scope="module")
def browser_page(browser) -> Iterator[object]:
    """One browser page for all the browser tests (the app's scripts load once)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture()
def dash(browser_page, server: Server, screenshots: Path) -> Iterator[Dashboard]:
    dashboard = Dashboard(browser_page, server.url, screenshots)
    try:
        yield dashboard
        assert dashboard.off_machine() == [], "requests to hosts other than 127.0.0.1"
    finally:
        dashboard.detach()
