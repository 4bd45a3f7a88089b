"""The one masking function: what may identify a person in text that is kept or shown.

Free text is where PHI hides (operations.md, "Privacy"). Wherever clinicops keeps or shows text that came
from outside — kept review text, the raw values of a quarantined row, a file name stored or printed
outside the landing area — it goes through `mask` first: e-mail addresses, phone numbers, runs of seven or
more digits (record numbers, bare phone numbers) and, outside date columns, date-like text (a birth date)
become `[masked]`. `shown_name` also escapes control characters, so a file name can never forge a line of
a summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

MASK = "[masked]"
_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
_PHONE = r"(?:\+?\d{1,3}[\s.\-]?)?(?:\(\d{3}\)|\d{3})[\s.\-]?\d{3}[\s.\-]?\d{4}|(?<!\d)\d{3}[\s.\-]\d{4}(?!\d)"
_DIGITS = r"\d{7,}"
_DATE = r"(?<!\d)\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}(?!\d)"
_TEXT = re.compile("|".join((_EMAIL, _PHONE, _DIGITS)))
_TEXT_AND_DATES = re.compile("|".join((_EMAIL, _PHONE, _DIGITS, _DATE)))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FETCH_DATE = re.compile(r"^(.*__(?:details|reviews))(__\d{4}-\d{2}-\d{2}\.json)$", re.IGNORECASE)


def mask(text: str, *, dates: bool = False, limit: int | None = None) -> str:
    """`text` with e-mails, phone numbers and digit runs of 7+ (and, with `dates`, date-like text) masked,
    then cut to `limit` characters (with an ellipsis)."""
    masked = (_TEXT_AND_DATES if dates else _TEXT).sub(MASK, text)
    if limit is not None and len(masked) > limit:
        masked = masked[: max(0, limit - 1)] + "…"
    return masked


def mask_column(column: pa.Array, *, dates: bool = False) -> pa.Array:
    """`mask` of every value of a text column (once per distinct value)."""
    return _per_distinct(column, lambda v: mask(v, dates=dates))


def shown_name(name: str) -> str:
    """A file name as clinicops stores or prints it outside the landing area: masked, control characters
    escaped (`\\n`, `\\x1b`), so it can never start a line of its own. Date-like text is masked too (a
    birth date in a file name is as identifying as in a cell)."""
    escaped = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), name)
    fetched = _FETCH_DATE.match(escaped)  # a saved site response ends in its fetch date: that one is no PHI
    if fetched:
        return mask(fetched.group(1), dates=True) + fetched.group(2)
    return mask(escaped, dates=True)


def _per_distinct(column: pa.Array, function: Callable[[str], str]) -> pa.Array:
    column = column.cast(pa.string())
    distinct = pc.unique(column.drop_null())
    values = pa.array([function(v) for v in distinct.to_pylist()], pa.string())
    return values.take(pc.index_in(column, value_set=distinct))
