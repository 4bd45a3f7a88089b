"""Process settings that must be in place before Prefect or Great Expectations are imported: offline,
no telemetry, a patient ephemeral server start, and Prefect's state inside the practice's home."""

from __future__ import annotations

import os
import sys
from pathlib import Path

OFFLINE = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "GX_ANALYTICS_ENABLED": "False",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
}


def configure_offline(quiet: bool = True) -> None:
    """Set the offline defaults (a value the user set wins). `quiet` keeps Prefect's own log lines to warnings."""
    for key, value in OFFLINE.items():
        os.environ.setdefault(key, value)
    if quiet:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def use_practice_prefect_home(prefect_home: Path) -> Path:
    """Prefect's state (run history, artifacts, the local server's database) in `<home>/prefect/`, so two
    practices never share it, unless the user set PREFECT_HOME. Prefect reads it once, when it is imported
    (the command imports Prefect only inside the commands), so later calls change nothing. Returns the
    PREFECT_HOME in force."""
    if "PREFECT_HOME" not in os.environ and "prefect" not in sys.modules:
        os.environ["PREFECT_HOME"] = str(prefect_home)
    chosen = Path(os.environ.get("PREFECT_HOME", prefect_home)).expanduser()
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen
