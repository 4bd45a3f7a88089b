"""The deliberately bad input: a counted handful of rows the suites must set aside, and one unreadable file."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from clinicops.generate.booking import _Ids
from clinicops.generate.files import SESSION_COLUMNS
from clinicops.generate.layout import _Loc, _Prov

# the bad values planted when bad_rows=True (tests read them from here)
BAD_START = "31/02/2026 25:00"
BAD_PROVIDER = "P-SMITHJ"  # a provider who left; not in the config
BAD_DURATION = "-30"
BAD_STATUS = "Bumped"
CORRUPT_SESSIONS_FILE = "sessions_corrupt.csv"


def _bad_booking_rows(template: dict, ids: _Ids) -> list[dict]:
    rows = []
    for column, value in (("start", BAD_START), ("provider_id", BAD_PROVIDER), ("duration_minutes", BAD_DURATION),
                          ("status", BAD_STATUS)):
        row = dict(template, appointment_id=str(ids.next("appointment") + 5_000_000))
        row[column] = value
        if column == "duration_minutes":
            row["end"] = ""
        rows.append(row)
    return rows



def plant_bad_bookings(files: dict[Path, list[dict]], ids: _Ids) -> int:
    """Four bad rows in the middle of the second monthly export and four in the last delta file; the count."""
    if not files:
        return 0
    planted = 0
    names = sorted(files)
    exports = [n for n in names if n.name.startswith("bookings_export_")]
    changes = [n for n in names if n.name.startswith("bookings_changes_")]
    targets = [exports[min(1, len(exports) - 1)] if exports else names[0], changes[-1] if changes else names[-1]]
    for target in targets:
        rows = files[target]
        for k, row in enumerate(_bad_booking_rows(rows[len(rows) // 2], ids)):
            rows.insert(len(rows) // 2 + 1 + 3 * k, row)
            planted += 1
    return planted


def spoil_session(row: dict, spoiled: int, rng: random.Random) -> None:
    """The first spoiled session leaves the chair before it sat down; the second has a dose of 0 mg."""
    if spoiled == 0:
        row["chair_out"] = row["chair_in"] - timedelta(minutes=rng.randint(20, 60))
    else:
        row["dose_mg"] = 0


def write_corrupt_sessions(sessions_dir: Path, locs: list[_Loc], provs: list[_Prov], start: date) -> Path:
    """A session log saved as Latin-1: the pipeline must reject it by name."""
    corrupt = sessions_dir / CORRUPT_SESSIONS_FILE
    lines = [",".join(SESSION_COLUMNS),
             f"SES-X000001,,100001,{locs[0].id},{locs[0].chairs[0]},{provs[0].id},{start}T09:05:00,"
             f"{start}T09:20:00,{start}T10:00:00,{start}T10:40:00,ketamine,IV,42.0,84.0,1,120,80,142,88,97,"
             "18,15,12,,false,Pt Ren\u00e9e Dupr\u00e9 tolerated well,"]
    corrupt.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return corrupt
