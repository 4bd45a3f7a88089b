"""Intake exports (`inbox/bookings/*intake*.csv`): patient id, intake date, how the patient heard about us.

The referral source where the booking feed has none (FHIR, several vendors' appointment lists). Mapped by
an intake profile (`kind = "intake"`, `profiles.py`), the canonical intake layout last. The only code that
sees the answer as typed: past this reader it survives only in coded form (operations.md, "Privacy") —
whether an answer was given, and its normalised text ONLY where it matched a configured referral word
(the warehouse maps that text to its canonical source, `core.patients`). An unmatched answer becomes
`other` without its words. The patient id becomes the patient's `patient_key` through the vault, the same
key as their bookings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from clinicops.config import referral_key
from clinicops.sources import columns
from clinicops.sources.bookings import referral_coded
from clinicops.sources.checks import ReadChecks, batch_table, lineage_columns
from clinicops.sources.common import RAW_VALUES, Batch, FileRejected, ReadContext
from clinicops.sources.delimited import TextRows, header_key, read_delimited
from clinicops.sources.profiles import Profile, ProfileError, map_columns, profile_for

PHI = ("patient_id", "patient_first_name", "patient_last_name", "patient_dob", "patient_phone", "patient_email",
       "referral_source")


def _rows(path: Path, name: str, profile: Profile, batch_rows: int) -> Iterator[TextRows]:
    free = [header_key(c) for c in profile.columns.get("referral_source", ()) if isinstance(c, str)]
    for rows in read_delimited(path, name, required=profile.required_source_columns(),
                               known=profile.source_columns(), free_text=free, delimiter=profile.delimiter,
                               skip_rows_after_header=profile.skip_rows_after_header, batch_rows=batch_rows):
        yield TextRows(columns=map_columns(rows.columns, rows.num_rows, profile), lines=rows.lines,
                       last_lines=rows.last_lines, problem=rows.problem, problem_column=rows.problem_column)


def intake_batch(rows: TextRows, ctx: ReadContext, source_format: str) -> pa.Table:
    n = rows.num_rows
    patient = columns.text(rows.column("patient_id"))
    checks = ReadChecks(rows)
    checks.control_characters("patient_id", patient)
    dates = columns.instants(columns.text(rows.column("intake_date")), ctx.zone)
    checks.timestamp_out_of_range("intake_date", dates.out_of_range)
    answer = rows.column("referral_source")
    given = columns.mapped(answer, lambda t: bool(referral_key(t)) if t else False, pa.bool_())
    patient_key = columns.mapped(patient, lambda pid: ctx.patient_key(pid) if pid and ctx.patient_key else None)
    # as in a booking: the text only where it matched a configured word; the vault counts the unmatched phrases
    coded = referral_coded(answer, patient_key, ctx)
    shown = {c: rows.columns[c] for c in ("patient_id", "intake_date", "referral_source") if c in rows.columns}
    data = {
        "patient_key": patient_key,
        "intake_date": columns.local_dates(dates.at, ctx.zone),
        "referral_given": pc.fill_null(given, False),
        "referral_matched_text": coded["referral_source_raw"],
        "source_format": columns.constant(source_format, n, pa.string()),
        **lineage_columns(ctx, rows.lines),
        **checks.columns(),
        RAW_VALUES: columns.raw_json(shown, PHI, n),
    }
    return batch_table("intake", data)


def read_intake(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    """An intake export, through the intake profile its name matches (the canonical layout last)."""
    try:
        profile = profile_for(ctx.file_name, ctx.profiles_dir, kind="intake")
    except ProfileError as e:
        raise FileRejected(f"{ctx.file_name}: no mapping profile could be used ({e})") from None
    if profile is None:
        raise FileRejected(f"{ctx.file_name}: no intake profile matches this file name")
    yield from read_intake_with(path, ctx, profile)


def read_intake_with(path: Path, ctx: ReadContext, profile: Profile) -> Iterator[Batch]:
    source_format = "csv" if profile.is_fallback else profile.name
    for rows in _rows(path, ctx.file_name, profile, ctx.batch_rows):
        yield Batch("intake", intake_batch(rows, ctx, source_format))
