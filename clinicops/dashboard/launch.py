"""Start the dashboard: the Streamlit server on 127.0.0.1, offline, as a child process.

Every setting is passed on the command line (and mirrored in the child's environment), so no global
Streamlit config file is written or needed: usage statistics off, no file watcher, headless, developer
menu hidden, no error links to outside sites, no built-in data export (downloads go through our
formula-safe CSV), the agent API and static serving off.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from clinicops.home import Home

HOST = "127.0.0.1"
DEFAULT_PORT = 8501
APP = Path(__file__).with_name("app.py")

SETTINGS = {
    "server.address": HOST,
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "server.enableStaticServing": "false",
    "server.enableAgentApi": "false",
    "server.showEmailPrompt": "false",
    "browser.gatherUsageStats": "false",
    "browser.serverAddress": HOST,
    "client.toolbarMode": "viewer",
    "client.showErrorDetails": "none",
    "client.showErrorLinks": "false",
    "client.disableDataExport": "true",
    "logger.level": "warning",
    "theme.base": "light",
}


def _env_name(option: str) -> str:
    section, name = option.split(".", 1)
    snake = "".join(f"_{c}" if c.isupper() else c for c in name).upper()
    return f"STREAMLIT_{section.upper()}_{snake}"


def url(port: int) -> str:
    return f"http://{HOST}:{port}/"


def settings(port: int) -> dict[str, str]:
    return {**SETTINGS, "server.port": str(port), "browser.serverPort": str(port)}


def command(home: Home, port: int) -> list[str]:
    """The streamlit command line of the dashboard for `home` on `port`."""
    flags = [f"--{option}={value}" for option, value in settings(port).items()]
    return [sys.executable, "-m", "streamlit", "run", str(APP), *flags, "--", "--home", str(home.root)]


def environment(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({_env_name(option): value for option, value in settings(port).items()})
    env["DO_NOT_TRACK"] = "1"
    return env


def start(home: Home, port: int, *, own_group: bool = True, **popen) -> subprocess.Popen:
    """The server as a child process, in its own process group unless `own_group` is false (stop it with
    `stop`)."""
    return subprocess.Popen(command(home, port), env=environment(port), start_new_session=own_group, **popen)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """End the server: its whole process group when it has its own, else the process itself."""
    if process.poll() is not None:
        return
    own_group = os.getpgid(process.pid) == process.pid

    def send(sig: signal.Signals) -> None:
        try:
            os.killpg(process.pid, sig) if own_group else process.send_signal(sig)
        except ProcessLookupError:
            pass

    send(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(timeout=timeout)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(home: Home, port: int) -> int:
    """`clinicops dashboard`: serve until interrupted; return the server's exit status."""
    print(f"clinicops dashboard for {home.root}")
    if not home.warehouse.exists():
        print(f"  no published warehouse at {home.warehouse} yet: the page will say what to run")
    print(f"  open {url(port)}  (Ctrl-C stops it)", flush=True)
    # the server stays in our process group: Ctrl-C or a signal to the group reaches it too
    process = start(home, port, own_group=False)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(process)
