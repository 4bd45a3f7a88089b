"""A small hand-made practice for tests: its configuration as data, and helpers to write inbox files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from clinicops.config import Config, parse_config
from clinicops.home import Home

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


# the value maps a practice adds to the shipped Jane profile: its provider, location and chair names
JANE_VALUES = '''
[values.provider_id]
"Ada Okafor" = "P-OKAFOR"
[values.location_id]
"Columbia" = "COL"
[values.resource_id]
"Chair 1" = "CHAIR-1"
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


PHI = ["Margarethe", "Quackenbush", "(803) 555-0142", "mq@example.org", "1984-02-29", "MRN-77231",
       "Hildegard", "Pfefferkorn", "803-555-0199", "Zebulon Quigley", "zq@example.net"]


def booking(appointment_id: str, start: str, status: str = "Completed", **values) -> dict:
    row = {
        "appointment_id": appointment_id, "patient_id": "MRN-77231", "location_id": "COL",
        "provider_id": "P-OKAFOR", "resource_id": "CHAIR-1", "appointment_type": "ketamine_infusion",
        "start": start, "duration_minutes": "90", "status": status, "created_at": "2026-11-01 09:00",
        "cancelled_at": "", "cancelled_by": "", "referral_source": "Google Search", "updated_at": "",
        "patient_first_name": "Margarethe", "patient_last_name": "Quackenbush", "patient_dob": "1984-02-29",
        "patient_phone": "(803) 555-0142", "patient_email": "mq@example.org",
    }
    row.update(values)
    return row


def make_practice(root: Path) -> Home:
    home = Home(root)
    home.make_dirs()
    home.config_file.write_text(TOML)
    write_csv(home.inbox("bookings") / "bookings_2026-11.csv", [
        booking("A1", "2026-11-16 10:00"),
        booking("A2", "2026-11-18 10:00", status="No Show"),
        booking("A3", "2026-11-20 10:00", status="Late Cancel", cancelled_at="2026-11-19 18:00"),
        booking("A4", "2026-11-30 10:00", status="Scheduled"),
        booking("BAD1", "2026-11-17 10:00", provider_id="P-NOBODY"),
        booking("BAD2", "31/02/2026 25:00", notes="Zebulon Quigley zq@example.net"),
    ], bom=True, crlf=True)
    write_csv(home.inbox("sessions") / "sessions_2026-11.csv", [{
        "session_id": "S1", "appointment_id": "A1", "patient_id": "MRN-77231", "location_id": "COL",
        "chair_id": "CHAIR-1", "provider_id": "P-OKAFOR", "chair_in": "2026-11-16 10:00",
        "infusion_start": "2026-11-16 10:10", "infusion_end": "2026-11-16 10:50", "chair_out": "2026-11-16 11:30",
        "medication": "ketamine", "route": "IV", "dose_mg": "40", "weight_kg": "80", "aborted": "false",
        "notes": "Pt Hildegard Pfefferkorn called from 803-555-0199 re: nausea",
    }])
    (home.inbox("reviews") / "yelp__test-practice-columbia__reviews__2026-11-24.json").write_text(json.dumps({
        "reviews": [{"id": "y1", "rating": 5, "text": "Kind staff", "time_created": "2026-11-20 09:15:00",
                     "user": {"id": "u1", "name": "Zebulon Quigley", "profile_url": "https://yelp.example/u1"}}],
        "total": 1, "possible_languages": ["en"]}))
    (home.inbox("reviews") / "yelp__test-practice-columbia__details__2026-11-24.json").write_text(json.dumps({
        "id": "test-practice-columbia", "alias": "test-practice-columbia", "rating": 4.5, "review_count": 31}))
    return home


def contract_checker() -> Path | None:
    """The acceptance checker of the shared spec: $CLINICOPS_CHECK_WAREHOUSE, else `../shared/tools/check_warehouse.py`
    beside the clone (where CI puts it); None in a plain clone."""
    import os

    if os.environ.get("CLINICOPS_CHECK_WAREHOUSE"):
        return Path(os.environ["CLINICOPS_CHECK_WAREHOUSE"])
    candidate = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "check_warehouse.py"
    return candidate if candidate.exists() else None


def run_contract_checker(warehouse: Path) -> str:
    """Run the shared checker on a warehouse and return its output; skips the test when it is absent."""
    import subprocess
    import sys

    import pytest

    checker = contract_checker()
    if checker is None or not checker.is_file():
        pytest.skip("the shared acceptance checker (../shared/tools/check_warehouse.py) is not beside this clone; "
                    "set CLINICOPS_CHECK_WAREHOUSE to run it")
    checked = subprocess.run([sys.executable, str(checker), str(warehouse)], capture_output=True, text=True,
                             timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return checked.stdout
