"""Bookings in the canonical CSV (sources.md): one row per appointment version.

This is the only code that sees the booking's PHI columns: `patient_id` becomes `patient_key` through the
vault, `patient_dob` an age band at the start date, and names, phone and e-mail are dropped here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from clinicops.sources.common import (
    Batch,
    FileRejected,
    ReadContext,
    age_band,
    age_band_of,
    batches,
    clean_text,
    parse_instant,
    parse_int,
    raw_json,
)
from clinicops.sources.tabular import read_csv_rows
from clinicops.sources.vocabulary import AppointmentTypes, cancelled_by_of, status_of

COLUMNS = (
    "appointment_id", "patient_id", "location_id", "provider_id", "resource_id", "appointment_type", "start",
    "duration_minutes", "end", "status", "created_at", "cancelled_at", "cancelled_by", "referral_source",
    "updated_at",
)
REQUIRED = ("appointment_id", "patient_id", "location_id", "provider_id", "appointment_type", "start", "status",
            "created_at")
PHI = ("patient_id", "patient_first_name", "patient_last_name", "patient_dob", "patient_phone", "patient_email",
       "patient_age", "patient_name", "patient_address")


def _birth_date(text: str | None) -> date | None:
    if not text:
        return None
    s = text.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def booking_record(values: dict[str, str | None], row_number: int, ctx: ReadContext, types: AppointmentTypes,
                   source_format: str) -> dict:
    """Canonical text values of one booking row -> the lake row (typed; PHI gone; bad values NULL)."""
    zone = ctx.zone
    start_at, start_date_only = parse_instant(values.get("start"), zone)
    end_at, _ = parse_instant(values.get("end"), zone)
    duration = parse_int(values.get("duration_minutes"))
    if duration is None and clean_text(values.get("duration_minutes")) is None and start_at and end_at:
        duration = round((end_at - start_at).total_seconds() / 60)
    status = status_of(values.get("status"))
    created_at, created_date_only = parse_instant(values.get("created_at"), zone)
    cancelled_at, _ = parse_instant(values.get("cancelled_at"), zone)
    updated_at, _ = parse_instant(values.get("updated_at"), zone)
    patient_id = clean_text(values.get("patient_id"))
    start_local = start_at.astimezone(zone).date() if start_at else None
    band = age_band(_birth_date(values.get("patient_dob")), start_local)
    if band is None:
        band = age_band_of(parse_int(values.get("patient_age")))
    shown = {c: values.get(c) for c in (*COLUMNS, "patient_id", "patient_dob", "patient_age") if c in values}
    return {
        "appointment_id": clean_text(values.get("appointment_id")),
        "patient_key": ctx.patient_key(patient_id) if patient_id and ctx.patient_key else None,
        "location_id": clean_text(values.get("location_id")),
        "provider_id": clean_text(values.get("provider_id")),
        "resource_id": clean_text(values.get("resource_id")),
        "appointment_type": types(values.get("appointment_type")),
        "start_at": start_at,
        "start_is_date_only": start_date_only,
        "duration_minutes": duration,
        "status": status.code,
        "status_says_late": status.says_late,
        "created_at": created_at,
        "created_is_date_only": created_date_only,
        "cancelled_at": cancelled_at,
        "cancelled_by": cancelled_by_of(values.get("cancelled_by"), status),
        "referral_source_raw": clean_text(values.get("referral_source")),
        "updated_at": updated_at or ctx.ingested_at,
        "age_band": band,
        "source_format": source_format,
        **ctx.lineage(row_number),
        "_raw_values": raw_json(shown, PHI),
    }


def read_bookings_csv(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    """The canonical bookings CSV, in batches of ctx.batch_rows."""
    header, rows = read_csv_rows(path, ctx.file_name, required=REQUIRED)
    if "duration_minutes" not in header and "end" not in header:
        raise FileRejected(f"{ctx.file_name}: required column 'duration_minutes' (or 'end') missing")
    types = AppointmentTypes(ctx.config)
    records = (booking_record(values, line, ctx, types, "csv") for line, values in rows)
    yield from batches("bookings", records, ctx.batch_rows)
