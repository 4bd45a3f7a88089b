"""Saving a site's answer into inbox/reviews/ under the name the reader knows, atomically.

`<prefix>__<id>__<details|reviews>__<YYYY-MM-DD>.json`, the date being the fetch date (the practice-local
date of the run). The bytes as they came go first to a hidden temporary file beside the target (the inbox
scan ignores `.` files) and are flushed to disk; only then is the saved copy read back and checked (is it
JSON, is it data or an API error, is there a next page); a data response is renamed over the target, an
error is deleted (it holds nothing to keep, and a saved error would be rejected again every run). A reader
never sees half a response, and a run killed half-way leaves at most a hidden temporary file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from clinicops.home import Home
from clinicops.sources.pull.http import PullError

# an id that can safely be part of a file name: no path separator, no control character, not hidden
_SAFE_ID = re.compile(r"^[^\x00-\x1f\x7f/\\]+$")


def response_name(prefix: str, site_id: str, kind: str, fetched: date) -> str:
    return f"{prefix}__{site_id}__{kind}__{fetched.isoformat()}.json"


def check_id(label: str, site_id: str) -> str:
    """A configured id fit for a file name, or PullError."""
    if not _SAFE_ID.match(site_id) or site_id.startswith(".") or len(site_id) > 200:
        raise PullError(f"{label}: the configured id cannot be part of a file name (a '/', a control character, "
                        "a leading '.', or over 200 characters)")
    return site_id


def stage_response(home: Home, name: str, content: bytes, part: str = "") -> Path:
    """The bytes as they came, durable in a hidden temporary file beside inbox/reviews/<name> (owner-only)."""
    target = home.inbox_file("reviews", name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{name}{'.' + part if part else ''}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with open(fd, "wb", closefd=True) as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def save_response(home: Home, name: str, content: bytes, check: Callable[[bytes], object] | None = None) -> Path:
    """Save `content` as inbox/reviews/<name>: staged first, then `check` reads the saved copy (raising
    PullError for an error answer, which is then deleted), then renamed into place."""
    tmp = stage_response(home, name, content)
    try:
        if check is not None:
            check(tmp.read_bytes())
        target = home.inbox_file("reviews", name)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
