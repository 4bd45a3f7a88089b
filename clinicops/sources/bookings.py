"""Bookings in the canonical CSV (sources.md): one row per appointment version.

This is the only code that sees the booking's PHI columns: `patient_id` becomes `patient_key` through the
vault, `patient_dob` an age band at the start date, and names, phone and e-mail are dropped here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from clinicops.config import referral_key, referral_normalised, referral_variants
from clinicops.sources import columns
from clinicops.sources.checks import ReadChecks, batch_table, lineage_columns
from clinicops.sources.columns import TS
from clinicops.sources.common import RAW_VALUES, Batch, ReadContext
from clinicops.sources.delimited import TextRows, read_delimited
from clinicops.sources.vocabulary import AppointmentTypes, Status, cancelled_by_of, status_of

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


CODES = ("appointment_id", "patient_id", "location_id", "provider_id", "resource_id", "appointment_type", "status",
         "cancelled_by")
TIMES = ("start", "end", "created_at", "cancelled_at", "updated_at")
FREE_TEXT = ("referral_source",)


def booking_batch(rows: TextRows, ctx: ReadContext, types: AppointmentTypes, source_format: str) -> pa.Table:
    """Canonical text columns of bookings -> the typed lake batch (PHI gone; bad values NULL; read problems
    named), a whole column at a time."""
    n = rows.num_rows
    zone = ctx.zone
    col = {c: columns.text(rows.column(c)) for c in (*COLUMNS, "patient_id", "patient_dob", "patient_age")}
    checks = ReadChecks(rows)
    for c in CODES:
        checks.control_characters(c, col[c])
    times = {c: columns.instants(col[c], zone) for c in TIMES}
    for c in TIMES:
        checks.timestamp_out_of_range(c, times[c].out_of_range)
    start_at, end_at = times["start"].at, times["end"].at
    duration = columns.ints(col["duration_minutes"])
    checks.number_out_of_range("duration_minutes", duration.out_of_range)
    from_end = pc.round(pc.divide(pc.subtract(end_at, start_at).cast(pa.int64()).cast(pa.float64()), 60e6),
                        round_mode="half_to_even").cast(pa.int64())
    duration_minutes = pc.if_else(pc.and_(pc.is_null(col["duration_minutes"]), pc.is_valid(from_end)), from_end,
                                  duration.values)
    status = columns.mapped(col["status"], lambda w: _status_struct(status_of(w)), _STATUS)
    by_clinic = pc.fill_null(status.field("by_clinic"), False)
    cancelled_by = pc.if_else(by_clinic, pa.scalar("clinic"),
                              columns.mapped(col["cancelled_by"], lambda t: cancelled_by_of(t, _NEUTRAL)))
    start_local = columns.local_dates(start_at, zone)
    births = columns.mapped(col["patient_dob"], _birth_date, pa.date32())
    band = pc.if_else(pc.and_(pc.is_valid(births), pc.is_valid(start_local)),
                      columns.age_bands(births, start_local), pa.scalar(None, pa.string()))
    ages = columns.ints(col["patient_age"]).values
    band = pc.coalesce(band, columns.ages_to_bands(ages))
    patient_key = columns.mapped(col["patient_id"], lambda pid: ctx.patient_key(pid) if pid and ctx.patient_key
                                 else None)
    shown = {c: rows.columns[c] for c in (*COLUMNS, "patient_id", "patient_dob", "patient_age") if c in rows.columns}
    data = {
        "appointment_id": col["appointment_id"],
        "patient_key": patient_key,
        "location_id": col["location_id"],
        "provider_id": col["provider_id"],
        "resource_id": col["resource_id"],
        "appointment_type": columns.mapped(col["appointment_type"], types),
        "start_at": start_at,
        "start_is_date_only": times["start"].date_only,
        "duration_minutes": duration_minutes,
        "status": status.field("code"),
        "status_says_late": pc.fill_null(status.field("says_late"), False),
        "created_at": times["created_at"].at,
        "created_is_date_only": times["created_at"].date_only,
        "cancelled_at": times["cancelled_at"].at,
        "cancelled_by": cancelled_by,
        **referral_coded(col["referral_source"], patient_key, ctx),
        "updated_at": pc.coalesce(times["updated_at"].at, pa.scalar(ctx.ingested_at, TS)),
        "age_band": band,
        "source_format": columns.constant(source_format, n, pa.string()),
        **lineage_columns(ctx, rows.lines),
        **checks.columns(),
        RAW_VALUES: columns.raw_json(shown, (*PHI, *FREE_TEXT), n),  # free text never leaves the reader
    }
    return batch_table("bookings", data)


def referral_coded(text: pa.Array, patient_key: pa.Array, ctx: ReadContext) -> dict[str, pa.Array]:
    """The referral answer in coded form (operations.md, "Privacy"): its normalised text only where it matched
    a configured word, and for every answer given a vault-keyed one-way name (so the build can tell 'other'
    from 'unknown' and count patients per phrase without the phrase)."""
    variants = dict(referral_variants(ctx.config))

    def coded(value: str | None) -> dict:
        if value is None or not referral_key(value):
            return {"text": None, "key": None, "unmatched": None}
        normalised = referral_normalised(value)
        matched = referral_key(value) in variants
        return {"text": normalised if matched else None, "key": ctx.phrase_key(normalised) if ctx.phrase_key else None,
                "unmatched": None if matched else normalised}

    both = columns.mapped(text, coded, pa.struct([("text", pa.string()), ("key", pa.string()),
                                                  ("unmatched", pa.string())]))
    if ctx.note_phrases is not None:  # the vault counts patients per unmatched phrase (the text stays there)
        seen = pa.table({"key": both.field("key"), "text": both.field("unmatched"), "patient": patient_key})
        seen = seen.filter(pc.and_(pc.is_valid(seen.column("text")), pc.is_valid(seen.column("patient"))))
        pairs = seen.group_by(["key", "text", "patient"]).aggregate([])
        ctx.note_phrases([(r["key"], r["text"], r["patient"]) for r in pairs.to_pylist()])
    return {"referral_source_raw": both.field("text"), "referral_phrase_key": both.field("key")}


_STATUS = pa.struct([("code", pa.string()), ("says_late", pa.bool_()), ("by_clinic", pa.bool_())])
_NEUTRAL = Status(None)


def _status_struct(status: Status) -> dict:
    return {"code": status.code, "says_late": status.says_late, "by_clinic": status.by_clinic}


def read_bookings_csv(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    """The canonical bookings CSV, in batches of ctx.batch_rows."""
    types = AppointmentTypes(ctx.config)
    for rows in read_delimited(path, ctx.file_name, required=REQUIRED, known=(*COLUMNS, *PHI),
                               required_any=[("duration_minutes", "end")], free_text=FREE_TEXT,
                               batch_rows=ctx.batch_rows):
        yield Batch("bookings", booking_batch(rows, ctx, types, "csv"))
