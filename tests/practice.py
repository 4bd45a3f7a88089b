"""A small hand-made practice for tests: its configuration as data, and helpers to write inbox files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from clinicops.config import Config, parse_config

SMALL_PRACTICE = {
    "practice": {"name": "Test Practice", "timezone": "America/New_York", "late_cancel_hours": 24,
                 "series_size": 6, "series_window_days": 42},
    "locations": [
        {"id": "COL", "name": "Columbia", "closures": ["2026-11-26"],
         "hours": {"mon": "08:00-17:00", "tue": "08:00-17:00", "wed": "08:00-17:00", "thu": "08:00-17:00",
                   "fri": "08:00-17:00", "sat": "09:00-13:00"},
         "resources": [{"id": "CHAIR-1", "kind": "chair"}, {"id": "CHAIR-2", "kind": "chair"},
                       {"id": "ROOM-A", "kind": "room"}]},
    ],
    "providers": [
        {"id": "P-OKAFOR", "name": "Dr. Okafor", "location_id": "COL",
         "availability": {"mon": "08:00-16:00", "wed": "08:00-16:00", "fri": "08:00-16:00"}},
        {"id": "P-LEE", "name": "Dr. Lee", "location_id": "COL",
         "availability": {"tue": "08:00-17:00", "thu": "08:00-17:00"}},
    ],
    "referral_sources": {"google": ["google", "google search"], "physician_referral": ["dr referral", "pcp"]},
    "review_sites": {"yelp": {"COL": "test-practice-columbia"}},
}

TOML = '''
[practice]
name = "Test Practice"
timezone = "America/New_York"

[[locations]]
id = "COL"
name = "Columbia"
closures = ["2026-11-26"]
hours = { mon = "08:00-17:00", tue = "08:00-17:00", wed = "08:00-17:00", thu = "08:00-17:00", fri = "08:00-17:00" }
resources = [ { id = "CHAIR-1", kind = "chair" }, { id = "CHAIR-2", kind = "chair" }, { id = "ROOM-A", kind = "room" } ]

[[providers]]
id = "P-OKAFOR"
name = "Dr. Okafor"
location_id = "COL"
availability = { mon = "08:00-16:00", wed = "08:00-16:00", fri = "08:00-16:00" }

[referral_sources]
google = ["google", "google search"]
physician_referral = ["dr referral", "pcp"]

[review_sites.yelp]
COL = "test-practice-columbia"
'''


def small_config() -> Config:
    return parse_config(SMALL_PRACTICE)


def write_csv(path: Path, rows: list[dict], *, bom: bool = False, crlf: bool = False) -> Path:
    """Rows -> a CSV file with the union of their keys as header (in first-seen order)."""
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n" if crlf else "\n")
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path
