"""What every reader shares: the reading context, the file-level rejection, time parsing, batches.

A reader is a function `read(path, ctx) -> Iterator[Batch]`: it yields batches of canonical rows (the
columns of `schemas.LAKE[table]`, plus `_raw_values`). A value it cannot parse becomes NULL and the row
goes on to validation, where the suite's rule for that column sets it aside; a file it cannot read at
all raises `FileRejected` with a message that names the problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from clinicops.config import Config
from clinicops.masking import shown_name
from clinicops.schemas import BLANK, LAKE, RAW_VALUES, READ_CHECKS


class FileRejected(Exception):
    """The whole file cannot be used (not UTF-8, not JSON, a required column missing, unknown format)."""


@dataclass(frozen=True)
class ReadContext:
    config: Config
    source: str  # bookings, sessions, reviews
    file_name: str  # the name it had in the inbox
    sha256: str
    file_seq: int
    ingested_at: datetime  # UTC; when this version was first ingested
    patient_key: Callable[[str], str] | None = None  # source patient id -> patient_key (the vault)
    phrase_key: Callable[[str], str] | None = None  # normalised free-text phrase -> its keyed name (the vault)
    note_phrases: Callable[[list[tuple[str, str, str]]], None] | None = None  # (key, text, patient) seen
    batch_rows: int = 50_000
    profiles_dir: Path | None = None  # <home>/profiles: the practice's own CSV mapping profiles

    @property
    def zone(self) -> ZoneInfo:
        return self.config.practice.zone

    @property
    def shown_file(self) -> str:
        """The file's name as it may be stored outside the landing area (masked, control characters escaped)."""
        return shown_name(self.file_name)

    def lineage(self, row_number: int) -> dict:
        return {
            "_file": self.shown_file,
            "_file_sha256": self.sha256,
            "_file_seq": self.file_seq,
            "_row_number": row_number,
            "_ingested_at": self.ingested_at,
        }


@dataclass
class Batch:
    table: str  # a lake table: bookings, sessions, reviews, review_snapshots
    data: pa.Table  # its columns, plus _raw_values


def make_batch(table: str, rows: list[dict]) -> Batch:
    """Rows (dicts with every schema column and _raw_values, optionally _read_problem and
    _read_problem_column) -> a typed Arrow batch."""
    schema = LAKE[table]
    for extra in (*READ_CHECKS, pa.field(RAW_VALUES, pa.string())):
        schema = schema.append(extra)
    columns = {f.name: [r.get(f.name) for r in rows] for f in schema}
    return Batch(table, pa.table(columns, schema=schema))


def batches(table: str, records: Iterable[dict], size: int) -> Iterator[Batch]:
    """Records (dicts as for `make_batch`) -> batches of at most `size` rows, streamed."""
    chunk: list[dict] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= max(1, size):
            yield make_batch(table, chunk)
            chunk = []
    if chunk:
        yield make_batch(table, chunk)


def raw_json(values: dict, blanked: Iterable[str] = ()) -> str:
    """The row's source values as JSON text, with PHI columns blanked (never dropped: staff see it was there)."""
    hidden = {c.lower() for c in blanked}
    clean = {}
    for key, value in values.items():
        if key.lower() in hidden and value not in (None, ""):
            clean[key] = BLANK
        else:
            clean[key] = value
    return json.dumps(clean, ensure_ascii=False, default=str)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.I)


def local_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` as a UTC instant. In the repeated hour of a DST change the first
    (daylight) reading is taken; a time inside the skipped hour is read with the offset before the change."""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def parse_instant(text: object, zone: ZoneInfo) -> tuple[datetime | None, bool]:
    """ISO 8601 text -> (UTC instant, date_only). Naive text is local time in `zone`; a date alone is that
    local date's midnight with date_only True. Unparseable or empty -> (None, False)."""
    if text is None:
        return None, False
    s = str(text).strip()
    if not s:
        return None, False
    if _ISO_DATE.match(s):
        try:
            d = date.fromisoformat(s)
        except ValueError:
            return None, False
        return local_to_utc(datetime.combine(d, time()), zone), True
    candidate = s.replace(" ", "T", 1) if "T" not in s and " " in s else s
    if candidate.endswith(("z", "Z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(candidate)
    except ValueError:
        return None, False
    if dt.tzinfo is None:
        return local_to_utc(dt, zone), False
    return dt.astimezone(UTC), False


def parse_int(text: object) -> int | None:
    """A whole number ('50', '50.0') or None. '50.5', 'abc' -> None."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    s = str(text).strip()
    if not s:
        return None
    try:
        value = float(s)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
        return None
    return int(value)


def parse_float(text: object) -> float | None:
    if text is None or isinstance(text, bool):
        return None
    s = str(text).strip()
    if not s:
        return None
    try:
        value = float(s)
    except ValueError:
        return None
    return None if value != value or value in (float("inf"), float("-inf")) else value


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0", ""}


def parse_bool(text: object) -> bool | None:
    """true/false, yes/no, 1/0 (empty = False); anything else None."""
    if text is None:
        return False
    if isinstance(text, bool):
        return text
    s = str(text).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return None


def clean_text(value: object) -> str | None:
    """Text with surrounding space removed; empty -> None. Spreadsheet-mangled ids stay as typed."""
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def age_band(birth: date | None, on: date | None) -> str | None:
    """The age band on a date: 0-12, 13-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+."""
    if birth is None or on is None:
        return None
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return age_band_of(age)


def age_band_of(age: int | None) -> str | None:
    if age is None or age < 0 or age > 130:
        return None
    for upper, band in ((12, "0-12"), (17, "13-17"), (24, "18-24"), (34, "25-34"), (44, "35-44"), (54, "45-54"),
                        (64, "55-64")):
        if age <= upper:
            return band
    return "65+"
