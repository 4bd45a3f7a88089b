"""Process settings that must be in place before Prefect or Great Expectations are imported: offline,
no telemetry, a patient ephemeral server start."""

from __future__ import annotations

import os

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
