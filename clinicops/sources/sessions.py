"""Infusion session logs, CSV or JSON Lines: one row per session in the chair.

The only code that sees a session's PHI: `patient_id` becomes `patient_key`, free-text `notes` are dropped,
and the adverse-event text becomes the fixed codes (`vocabulary.AdverseEvents`): no free text travels further.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from clinicops.sources import columns
from clinicops.sources.checks import ReadChecks, batch_table, lineage_columns
from clinicops.sources.columns import TS
from clinicops.sources.common import RAW_VALUES, Batch, FileRejected, ReadContext
from clinicops.sources.delimited import TextRows, check_utf8, read_delimited
from clinicops.sources.vocabulary import AdverseEvents

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


CODES = ("session_id", "appointment_id", "patient_id", "location_id", "chair_id", "provider_id", "medication", "route")
TIMES = ("chair_in", "infusion_start", "infusion_end", "chair_out", "updated_at")
FREE_TEXT = ("adverse_events", "notes")
MAX_DEPTH = 64


def session_batch(rows: TextRows, ctx: ReadContext) -> pa.Table:
    """Text columns of session logs -> the typed lake batch (PHI gone; bad values NULL; read problems named)."""
    n = rows.num_rows
    zone = ctx.zone
    col = {c: columns.text(rows.column(c)) for c in COLUMNS}
    checks = ReadChecks(rows)
    for c in CODES:
        checks.control_characters(c, col[c])
    times = {c: columns.instants(col[c], zone) for c in TIMES}
    for c in TIMES:
        checks.timestamp_out_of_range(c, times[c].out_of_range)
    numbers = {c: columns.ints(col[c]) for c in _INTS}
    for c in _INTS:
        checks.number_out_of_range(c, numbers[c].out_of_range)
    events = columns.mapped(col["adverse_events"], AdverseEvents(ctx.config))
    shown = {c: rows.columns[c] for c in (*COLUMNS, "notes") if c in rows.columns}
    data = {
        "session_id": col["session_id"],
        "appointment_id": col["appointment_id"],
        "patient_key": columns.mapped(col["patient_id"], lambda pid: ctx.patient_key(pid) if pid and ctx.patient_key
                                      else None),
        "location_id": col["location_id"],
        "chair_id": col["chair_id"],
        "provider_id": col["provider_id"],
        "chair_in_at": times["chair_in"].at,
        "infusion_start_at": times["infusion_start"].at,
        "infusion_end_at": times["infusion_end"].at,
        "chair_out_at": times["chair_out"].at,
        "medication": pc.utf8_lower(col["medication"]),
        "route": pc.utf8_upper(col["route"]),
        "dose_mg": columns.floats(col["dose_mg"]),
        "weight_kg": columns.floats(col["weight_kg"]),
        **{c: numbers[c].values for c in _INTS},
        "adverse_events": events,
        "aborted": columns.bools(rows.column("aborted")),
        "updated_at": pc.coalesce(times["updated_at"].at, pa.scalar(ctx.ingested_at, TS)),
        **lineage_columns(ctx, rows.lines),
        **checks.columns(),
        RAW_VALUES: columns.raw_json(shown, (*PHI, *FREE_TEXT), n),  # free text never leaves the reader
    }
    return batch_table("sessions", data)


def _cell(value: object) -> str:
    """A JSON value as the text a CSV cell would hold (true/false, numbers as written)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _json_rows(path: Path, ctx: ReadContext) -> Iterator[TextRows]:
    """JSON Lines -> text columns in batches; a line that is not a JSON object, or is nested too deep, is a
    row with a read problem (its values are not used)."""
    check_utf8(path, ctx.file_name)
    wanted = (*COLUMNS, "notes")
    cols: dict[str, list[str]] = {c: [] for c in wanted}
    lines: list[int] = []
    problems: list[str | None] = []

    def flush() -> TextRows:
        rows = TextRows(columns={c: pa.array(v, pa.string()) for c, v in cols.items()},
                        lines=pa.array(lines, pa.int64()), last_lines=pa.array(lines, pa.int64()),
                        problem=pa.array(problems, pa.string()), problem_column=pa.nulls(len(lines), pa.string()))
        for v in cols.values():
            v.clear()
        lines.clear()
        problems.clear()
        return rows

    with path.open(encoding="utf-8-sig") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            obj, problem = _object(line)
            values = {k.strip().lower(): v for k, v in obj.items()} if obj is not None else {}
            for c in wanted:
                cols[c].append(_cell(values.get(c)))
            lines.append(number)
            problems.append(problem)
            if len(lines) >= ctx.batch_rows:
                yield flush()
    if lines:
        yield flush()


def _object(line: str) -> tuple[dict | None, str | None]:
    if _depth(line) > MAX_DEPTH:
        return None, "nested_too_deep"
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None, "not_an_object"
    return (value, None) if isinstance(value, dict) else (None, "not_an_object")


def _depth(text: str) -> int:
    """How deep brackets nest in JSON text (outside strings), without building anything."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def read_sessions(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    """A session log, CSV or JSON Lines (by extension), in batches of ctx.batch_rows."""
    suffix = Path(ctx.file_name).suffix.lower()
    if suffix == ".csv":
        rows = read_delimited(path, ctx.file_name, required=REQUIRED, known=(*COLUMNS, *PHI), free_text=FREE_TEXT,
                              batch_rows=ctx.batch_rows)
    elif suffix in (".jsonl", ".ndjson"):
        if path.stat().st_size == 0:
            raise FileRejected(f"{ctx.file_name}: empty file")
        rows = _json_rows(path, ctx)
    else:
        raise FileRejected(f"{ctx.file_name}: unknown format for a session log (expected .csv or .jsonl)")
    for batch in rows:
        yield Batch("sessions", session_batch(batch, ctx))
