"""Tell someone when a night failed or rejected a file: a JSON POST to `[notify] webhook_url`, or a command
run with the same JSON on stdin (`[notify] command`). The summary carries counts, file names and reasons,
never a patient's data. A notification that fails is logged and never fails the run."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

from clinicops.config import Notify

log = logging.getLogger("clinicops")
TIMEOUT_SECONDS = 10
COMMAND_TIMEOUT_SECONDS = 60


def should_notify(exit_code: int) -> bool:
    """Nights that published nothing (1) or published with a rejected file or failed source (3)."""
    return exit_code in (1, 3)


def summary_payload(summary: Any, state_name: str, practice: str) -> dict:
    """The run summary as JSON-ready data: what ran, how it ended, counts per source, rejected files by name."""
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "practice": practice,
        "host": socket.gethostname(),
        "home": str(summary.home),
        "run_id": summary.run_id,
        "state": state_name,
        "status": summary.status,
        "exit_code": summary.exit_code,
        "as_of": iso(summary.as_of),
        "message": summary.message or None,
        "sources": {
            name: {"files_read": o.files_read, "files_skipped": o.files_skipped, "files_rejected": len(o.rejected),
                   "rows_read": o.rows_read, "rows_accepted": o.rows_accepted,
                   "rows_quarantined": o.rows_quarantined, "failure": o.failure}
            for name, o in summary.sources.items()},
        "rejected_files": [{"source": r.source, "file": r.file, "reason": r.reason}
                           for o in summary.sources.values() for r in o.rejected],
        "tables_built": len(summary.tables),
        "warehouse": str(summary.warehouse) if summary.warehouse else None,
        "report": str(summary.report) if summary.report else None,
    }


def send(notify: Notify, payload: dict) -> list[str]:
    """Send the payload to every configured receiver; returns what went wrong (empty: all delivered)."""
    body = json.dumps(payload, sort_keys=True).encode("utf-8")
    problems: list[str] = []
    if notify.webhook_url:
        request = urllib.request.Request(notify.webhook_url, data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "User-Agent": "clinicops-notify"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                response.read(1024)
        except urllib.error.HTTPError as e:
            problems.append(f"webhook {notify.webhook_url}: HTTP {e.code}")
        except (urllib.error.URLError, OSError, ValueError) as e:
            problems.append(f"webhook {notify.webhook_url}: {getattr(e, 'reason', None) or e}")
    if notify.command:
        try:
            done = subprocess.run(notify.command, input=body, capture_output=True, timeout=COMMAND_TIMEOUT_SECONDS,
                                  check=False)
            if done.returncode != 0:
                problems.append(f"command {notify.command[0]}: exit {done.returncode}")
        except (OSError, subprocess.SubprocessError) as e:
            problems.append(f"command {notify.command[0]}: {e}")
    for problem in problems:
        log.warning("notification not delivered: %s", problem)
    return problems
