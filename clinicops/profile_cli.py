"""`clinicops profile check FILE`: which mapping profile a bookings export matches, and its first rows as
clinicops reads them — so a practice can write a profile without running the night.

Nothing is written anywhere (no landing copy, no vault key). Patient ids, names, dates of birth, phone
numbers and e-mail addresses never appear: the patient column shows `[removed]`, every other value goes
through the one masking function.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.table import Table
from rich.text import Text

from clinicops.config import load_config
from clinicops.home import Home
from clinicops.masking import mask, shown_name
from clinicops.sources.bookings import COLUMNS, FREE_TEXT, PHI, REQUIRED, booking_batch
from clinicops.sources.common import BLANK, FileRejected, ReadContext
from clinicops.sources.delimited import TextRows, read_delimited
from clinicops.sources.profiled import profile_rows
from clinicops.sources.profiles import Profile, ProfileError, profile_for
from clinicops.sources.vocabulary import AppointmentTypes

SHOWN = ("appointment_id", "patient", "location_id", "provider_id", "resource_id", "appointment_type", "start",
         "minutes", "status", "created", "cancelled", "cancelled_by", "age_band", "problem")
HEADERS = {"appointment_id": "appt id", "location_id": "location", "provider_id": "provider",
           "resource_id": "chair/room", "appointment_type": "type", "minutes": "min", "cancelled_by": "by",
           "age_band": "age"}
TIMES = ("start", "created", "cancelled")


def _first_rows(path: Path, name: str, profile: Profile | None, limit: int) -> TextRows | None:
    if profile is None or profile.is_canonical:
        rows = read_delimited(path, name, required=REQUIRED, known=(*COLUMNS, *PHI),
                              required_any=[("duration_minutes", "end")], free_text=FREE_TEXT, batch_rows=limit)
    else:
        rows = profile_rows(path, name, profile, batch_rows=limit)
    return next(iter(rows), None)


def _local(value: datetime | None, zone) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def check_profile(file: Path, home: Home, limit: int = 10, console: Console | None = None) -> int:
    """Print the matching profile and the first `limit` mapped rows; 0 when the file can be read, 3 when not."""
    console = console or Console()
    config = load_config(home.config_file)
    name = file.name
    shown = shown_name(name)
    try:
        profile = profile_for(name, home.profiles)
    except ProfileError as e:
        console.print(f"a profile cannot be used: {e}", markup=False, highlight=False)
        return 2
    where = "canonical bookings layout" if profile is None or profile.is_canonical else \
        f"profile {profile.name!r} ({profile.path})"
    console.print(f"{shown}: {where}", highlight=False, markup=False)
    try:
        rows = _first_rows(file, name, profile, limit)
    except FileRejected as e:
        console.print(f"rejected: {str(e).replace(name, shown)}", highlight=False, markup=False)
        return 3
    if rows is None:
        console.print("no rows", highlight=False, markup=False)
        return 0
    ctx = ReadContext(config=config, source="bookings", file_name=name, sha256="0" * 64, file_seq=0,
                      ingested_at=datetime.now(UTC))
    batch = booking_batch(rows, ctx, AppointmentTypes(config), "check").to_pylist()
    patient = rows.column("patient_id")
    has_patient = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(pc.fill_null(patient, "")), ""), False)
    zone = config.practice.zone
    table = Table(title=Text(f"first {len(batch)} row(s), as clinicops reads them (patient details removed)"))
    table.add_column("row", justify="right")
    for column in SHOWN:
        table.add_column(HEADERS.get(column, column), no_wrap=column in TIMES, overflow="fold")
    for row, patient_given in zip(batch, pa.array(has_patient).to_pylist(), strict=True):
        values = {
            "appointment_id": row["appointment_id"], "patient": BLANK if patient_given else "",
            "location_id": row["location_id"], "provider_id": row["provider_id"], "resource_id": row["resource_id"],
            "appointment_type": row["appointment_type"],
            "start": (str(row["start_at"].astimezone(zone).date()) + " (date only)") if row["start_is_date_only"]
            and row["start_at"] else _local(row["start_at"], zone),
            "minutes": row["duration_minutes"], "status": row["status"], "created": _local(row["created_at"], zone),
            "cancelled": _local(row["cancelled_at"], zone), "cancelled_by": row["cancelled_by"],
            "age_band": row["age_band"], "problem": row["_read_problem"],
        }
        cells = [mask(str(values[c]), limit=40) if values[c] not in (None, "") else "" for c in SHOWN]
        cells[0] = mask(str(row["appointment_id"] or ""), dates=True, limit=40)
        table.add_row(str(row["_row_number"]), *(Text(c) for c in cells))  # never read as markup
    console.print(table)
    console.print("empty cells: not given, or not readable (an unknown status word or type, a time no format "
                  "reads); such rows would be set aside by the night's checks", highlight=False, markup=False)
    return 0
