"""Infusion session logs, CSV or JSON Lines: one row per session in the chair.

The only code that sees a session's PHI: `patient_id` becomes `patient_key`, free-text `notes` are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from clinicops.sources.common import (
    Batch,
    FileRejected,
    ReadContext,
    batches,
    clean_text,
    parse_bool,
    parse_float,
    parse_instant,
    parse_int,
    raw_json,
)
from clinicops.sources.tabular import read_csv_rows, read_json_lines

REQUIRED = ("session_id", "patient_id", "location_id", "chair_id", "provider_id", "chair_in", "chair_out",
            "medication", "route", "dose_mg")
COLUMNS = (
    "session_id", "appointment_id", "patient_id", "location_id", "chair_id", "provider_id", "chair_in",
    "infusion_start", "infusion_end", "chair_out", "medication", "route", "dose_mg", "weight_kg",
    "infusion_number", "bp_systolic_pre", "bp_diastolic_pre", "bp_systolic_max", "heart_rate_max", "spo2_min",
    "phq9_pre", "phq9_post", "gad7_pre", "adverse_events", "aborted", "updated_at",
)
PHI = ("patient_id", "notes", "patient_first_name", "patient_last_name", "patient_dob", "patient_phone",
       "patient_email", "patient_name")
_INTS = ("infusion_number", "bp_systolic_pre", "bp_diastolic_pre", "bp_systolic_max", "heart_rate_max", "spo2_min",
         "phq9_pre", "phq9_post", "gad7_pre")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def session_record(values: dict, row_number: int, ctx: ReadContext) -> dict:
    """One session's source values -> the lake row (typed; PHI gone; bad values NULL)."""
    zone = ctx.zone
    v = {k.strip().lower(): _text(x) for k, x in values.items()}
    times = {c: parse_instant(v.get(c), zone)[0] for c in ("chair_in", "infusion_start", "infusion_end", "chair_out")}
    patient_id = clean_text(v.get("patient_id"))
    medication = clean_text(v.get("medication"))
    route = clean_text(v.get("route"))
    events = clean_text(v.get("adverse_events"))
    if events:
        events = ";".join(e.strip().lower() for e in events.split(";") if e.strip()) or None
    shown = {c: v.get(c) for c in (*COLUMNS, "notes") if c in v}
    return {
        "session_id": clean_text(v.get("session_id")),
        "appointment_id": clean_text(v.get("appointment_id")),
        "patient_key": ctx.patient_key(patient_id) if patient_id and ctx.patient_key else None,
        "location_id": clean_text(v.get("location_id")),
        "chair_id": clean_text(v.get("chair_id")),
        "provider_id": clean_text(v.get("provider_id")),
        "chair_in_at": times["chair_in"],
        "infusion_start_at": times["infusion_start"],
        "infusion_end_at": times["infusion_end"],
        "chair_out_at": times["chair_out"],
        "medication": medication.lower() if medication else None,
        "route": route.upper() if route else None,
        "dose_mg": parse_float(v.get("dose_mg")),
        "weight_kg": parse_float(v.get("weight_kg")),
        **{c: parse_int(v.get(c)) for c in _INTS},
        "adverse_events": events,
        "aborted": parse_bool(v.get("aborted")),
        "updated_at": parse_instant(v.get("updated_at"), zone)[0] or ctx.ingested_at,
        **ctx.lineage(row_number),
        "_raw_values": raw_json(shown, PHI),
    }


def read_sessions(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    """A session log, CSV or JSON Lines (by extension), in batches of ctx.batch_rows."""
    suffix = Path(ctx.file_name).suffix.lower()
    if suffix == ".csv":
        _, rows = read_csv_rows(path, ctx.file_name, required=REQUIRED)
        yield from batches("sessions", (session_record(values, line, ctx) for line, values in rows), ctx.batch_rows)
    elif suffix in (".jsonl", ".ndjson"):
        def records() -> Iterator[dict]:
            for line, obj in read_json_lines(path, ctx.file_name):
                if obj is None:  # not a JSON object: every column empty, so the suite sets the row aside
                    yield session_record({}, line, ctx) | {"_raw_values": raw_json({"line": "not a JSON object"})}
                else:
                    yield session_record(obj, line, ctx)
        yield from batches("sessions", records(), ctx.batch_rows)
    else:
        raise FileRejected(f"{ctx.file_name}: unknown format for a session log (expected .csv or .jsonl)")
