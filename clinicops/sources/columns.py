"""Typing whole columns at once: text arrays in, typed Arrow arrays out, with the meaning of the scalar
parsers in `common.py` to the letter.

Every function takes a column of text (`pa.StringArray`, NULL or "" for an empty cell) and returns a
typed array of the same length. The common shapes (ISO 8601 instants, plain numbers) are parsed by
vectorised Arrow / NumPy code; any other value is handed to the scalar parser once per distinct value,
so an odd cell means exactly what it meant before and costs nothing when it is rare.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from clinicops.sources.common import BLANK, age_band_of, parse_bool, parse_float, parse_instant, parse_int

TS = pa.timestamp("us", tz="UTC")
_US = 1_000_000
_DAY_US = 86_400 * _US

_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?$"
_INT64_LIMIT = 2**63 - 1


def text(column: pa.Array) -> pa.Array:
    """Surrounding white space removed; empty -> NULL (the meaning of `common.clean_text`)."""
    stripped = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)


def _by_distinct(column: pa.Array, parse: Callable[[str], object], out_type: pa.DataType) -> pa.Array:
    """`parse` applied once per distinct value of `column` (NULL stays NULL)."""
    distinct = pc.unique(column.drop_null())
    values = [parse(v) for v in distinct.to_pylist()]
    index = pc.index_in(column, value_set=distinct)
    return pa.array(values, type=out_type).take(index)


def _fill(fast: pa.Array, matched: pa.Array, slow_input: pa.Array, parse: Callable[[str], object],
          out_type: pa.DataType) -> pa.Array:
    """`fast` where `matched`, else the scalar parser over the distinct unmatched values."""
    rest = pc.if_else(matched, pa.scalar(None, pa.string()), slow_input)
    if rest.null_count == len(rest):
        return fast
    return pc.if_else(matched, fast, _by_distinct(rest, parse, out_type))


# ---- instants ---------------------------------------------------------------------------------------------

@functools.cache
def _zone_table(zone_name: str) -> tuple[np.ndarray, np.ndarray]:
    """(wall-clock thresholds, offsets) in microseconds: a wall time t reads with offsets[k], k = the number
    of thresholds <= t. A threshold is a transition's instant plus the larger of the offsets around it, so
    a time in a skipped hour, or in the first run of a repeated hour, reads with the offset before the
    change — exactly what `datetime(..., tzinfo=zone, fold=0)` does (`common.local_to_utc`)."""
    zone = ZoneInfo(zone_name)

    def offset(t: int) -> int:
        return int(datetime.fromtimestamp(t, tz=zone).utcoffset().total_seconds())  # type: ignore[union-attr]

    start, stop, step = -2_208_988_800, 4_102_444_800, 6 * 3600  # 1900 to 2100, every 6 hours
    thresholds, offsets = [], [offset(start)]
    previous = offsets[0]
    for t in range(start + step, stop, step):
        current = offset(t)
        if current != previous:
            lo, hi = t - step, t  # the change happened in (lo, hi]: find its second
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(mid) == previous else (lo, mid)
            thresholds.append((hi + max(previous, current)) * _US)
            offsets.append(current)
            previous = current
    return np.array(thresholds, dtype=np.int64), np.array(offsets, dtype=np.int64) * _US


def wall_to_utc_us(wall_us: np.ndarray, zone_name: str) -> np.ndarray:
    """Wall-clock microseconds (as if UTC) in `zone_name` -> UTC microseconds."""
    thresholds, offsets = _zone_table(zone_name)
    return wall_us - offsets[np.searchsorted(thresholds, wall_us, side="right")]


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm), vectorised."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _month_days(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)[np.clip(m, 0, 12)]
    return days + ((m == 2) & leap)


@dataclass(frozen=True)
class Instants:
    at: pa.Array  # timestamp[us, UTC]; NULL when empty or unreadable
    date_only: pa.Array  # bool: the text was a date alone (local midnight of that date)
    out_of_range: pa.Array  # bool: the text names a year no timestamp can hold (year 0, five digits...)


def _scalar_instant(zone: ZoneInfo) -> Callable[[str], tuple[datetime | None, bool, bool]]:
    def parse(value: str) -> tuple[datetime | None, bool, bool]:
        try:
            at, date_only = parse_instant(value, zone)
        except (OverflowError, ValueError):  # a year at the very edge of what datetime can hold
            return None, False, True
        if at is None:
            head = value.strip().lstrip("+-")
            digits = len(head) - len(head.lstrip("0123456789"))
            return None, False, digits > 4 or head.startswith("0000")
        return at, date_only, False
    return parse


def _iso_parts(column: pa.Array) -> dict[str, np.ndarray]:
    """The fields of every value that is ISO 8601 in one of the shapes exports write — `YYYY-MM-DD`, or
    `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|±HH:MM|±HHMM]` — read straight from the Arrow buffers; `ok` marks
    the values of that shape (the others go to the scalar parser)."""
    n = len(column)
    column = pc.fill_null(column, "")
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    _, offsets_buffer, data_buffer = column.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[column.offset:column.offset + n + 1].astype(np.int64)
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    data = np.concatenate([data, np.zeros(40, np.uint8)])  # reads past a short value stay in bounds
    begin, length = offsets[:-1], offsets[1:] - offsets[:-1]
    head = data[begin[:, None] + np.arange(20)].astype(np.int16) - 48  # the fixed-position part, as digits

    def at(pos: np.ndarray | int) -> np.ndarray:
        return data[begin + np.minimum(pos, 39)].astype(np.int64)

    def fixed(first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        block = head[:, first:first + count]
        ok = ((block >= 0) & (block <= 9)).all(axis=1)
        value = np.zeros(n, np.int64)
        for k in range(count):
            value = value * 10 + block[:, k]
        return value, ok

    def digits(pos: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        value, ok = np.zeros(n, np.int64), np.ones(n, bool)
        for k in range(count):
            c = at(pos + k) - 48
            ok &= (c >= 0) & (c <= 9)
            value = value * 10 + c
        return value, ok

    y, ok_y = fixed(0, 4)
    mo, ok_mo = fixed(5, 2)
    d, ok_d = fixed(8, 2)
    dash, colon_13, colon_16, sep = -3, 10, 10, head[:, 10] + 48  # '-' - '0' = -3, ':' - '0' = 10
    date_ok = ok_y & ok_mo & ok_d & (head[:, 4] == dash) & (head[:, 7] == dash)
    date_only = date_ok & (length == 10)
    h, ok_h = fixed(11, 2)
    mi, ok_mi = fixed(14, 2)
    time_ok = date_ok & (length >= 16) & ((sep == 84) | (sep == 32)) & ok_h & (head[:, 13] == colon_13) & ok_mi
    has_s = time_ok & (length >= 19) & (head[:, 16] == colon_16)
    s, ok_s = fixed(17, 2)
    time_ok &= ~has_s | ok_s
    pos = np.where(has_s, 19, 16).astype(np.int64)
    micro = np.zeros(n, np.int64)
    has_f = has_s & (length > 19) & ((head[:, 19] == -2) | (head[:, 19] == -4))  # '.' or ','
    pos = np.where(has_f, 20, pos)
    if has_f.any():
        for k in range(6):
            c = at(pos) - 48
            more = has_f & (c >= 0) & (c <= 9)
            micro = np.where(more, micro * 10 + c, micro)
            pos = np.where(more, pos + 1, pos)
            if k == 0:
                time_ok &= ~has_f | more  # a separator needs at least one digit
        scale = np.where(has_f, 10 ** (6 - np.minimum(pos - 20, 6)), 1)
        micro = np.where(has_f, micro * scale, 0)
    tail = at(pos)
    zulu = time_ok & ((tail == 90) | (tail == 122)) & (length == pos + 1)
    signed = time_ok & ((tail == 43) | (tail == 45))
    oh, ok_oh = digits(pos + 1, 2)
    colon = at(pos + 3) == 58
    om_pos = np.where(colon, pos + 4, pos + 3)
    om, ok_om = digits(om_pos, 2)
    offset_ok = signed & ok_oh & ok_om & (length == om_pos + 2)
    naive = time_ok & (length == pos)
    ok = date_only | naive | zulu | offset_ok
    sign = np.where(tail == 45, -1, 1)
    zone_seconds = np.where(offset_ok, sign * (oh * 3600 + om * 60), 0)
    return {"ok": ok, "y": y, "mo": mo, "d": d, "h": np.where(date_only, 0, h), "mi": np.where(date_only, 0, mi),
            "s": np.where(has_s, s, 0), "micro": micro, "aware": zulu | offset_ok, "zone_seconds": zone_seconds,
            "date_only": date_only, "oh": np.where(offset_ok, oh, 0), "om": np.where(offset_ok, om, 0)}


def instants(column: pa.Array, zone: ZoneInfo) -> Instants:
    """ISO 8601 text -> UTC instants, as `common.parse_instant` reads them: naive text is wall-clock time in
    `zone`, a trailing Z or an offset is honoured, a date alone is that local date's midnight. Each distinct
    text is parsed once (exports repeat start times and dates a great deal)."""
    encoded = pc.dictionary_encode(text(column.cast(pa.string())))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    parsed = _distinct_instants(encoded.dictionary, zone)
    indices = encoded.indices
    return Instants(at=parsed.at.take(indices), date_only=pc.fill_null(parsed.date_only.take(indices), False),
                    out_of_range=pc.fill_null(parsed.out_of_range.take(indices), False))


def _distinct_instants(column: pa.Array, zone: ZoneInfo) -> Instants:
    n = len(column)
    p = _iso_parts(column)
    y, mo, d, h, mi, s = p["y"], p["mo"], p["d"], p["h"], p["mi"], p["s"]
    # the zone table covers 1901-2099: other years (quarantined as implausible anyway) take the scalar path
    valid = (p["ok"] & (y >= 1901) & (y <= 2099) & (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= _month_days(y, mo))
             & (h <= 23) & (mi <= 59) & (s <= 59) & (p["oh"] <= 23) & (p["om"] <= 59))
    wall = (_days_from_civil(y, mo, d) * _DAY_US + ((h * 60 + mi) * 60 + s) * _US + p["micro"]).astype(np.int64)
    utc = np.where(p["aware"], wall - p["zone_seconds"] * _US, wall_to_utc_us(wall, str(zone)))
    has_time = ~p["date_only"]
    zulu = p["aware"]
    lowest, highest = -62_135_596_800 * _US, 253_402_300_799 * _US  # 0001-01-01 .. 9999-12-31 23:59:59
    valid &= (utc >= lowest) & (utc <= highest)
    fast_mask = pa.array(valid)
    fast_at = pa.array(np.where(valid, utc, 0), type=pa.int64(), mask=~valid).cast(TS)
    fast_date_only = pa.array(valid & ~has_time & ~zulu)

    rest = pc.if_else(fast_mask, pa.scalar(None, pa.string()), column)
    if rest.null_count == n:
        return Instants(fast_at, fast_date_only, pa.array(np.zeros(n, dtype=bool)))
    parse = _scalar_instant(zone)
    distinct = pc.unique(rest.drop_null())
    parsed = [parse(v) for v in distinct.to_pylist()]
    index = pc.index_in(rest, value_set=distinct)
    slow_at = pa.array([p[0] for p in parsed], type=TS).take(index)
    slow_date_only = pc.fill_null(pa.array([p[1] for p in parsed], type=pa.bool_()).take(index), False)
    slow_range = pc.fill_null(pa.array([p[2] for p in parsed], type=pa.bool_()).take(index), False)
    return Instants(
        at=pc.if_else(fast_mask, fast_at, slow_at),
        date_only=pc.if_else(fast_mask, fast_date_only, slow_date_only),
        out_of_range=pc.if_else(fast_mask, pa.scalar(False), slow_range),
    )


# ---- numbers and flags ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Numbers:
    values: pa.Array
    out_of_range: pa.Array  # bool: a number too large for the column's type (1e30 as a whole number)


def _number_mask(column: pa.Array) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(column, _NUMBER), False)


def floats(column: pa.Array) -> pa.Array:
    """`common.parse_float` of every value: NULL for empty, unreadable, infinite or NaN text."""
    column = text(column.cast(pa.string()))
    matched = _number_mask(column)
    fast = pc.if_else(matched, column, pa.scalar(None, pa.string())).cast(pa.float64())
    fast = pc.if_else(pc.is_finite(fast), fast, pa.scalar(None, pa.float64()))
    return _fill(fast, matched, column, parse_float, pa.float64())


def ints(column: pa.Array) -> Numbers:
    """`common.parse_int` of every value ('50', '50.0' -> 50; '50.5', 'abc' -> NULL); a whole number
    beyond what a 64-bit integer holds is NULL and flagged out of range."""
    column = text(column.cast(pa.string()))
    as_float = floats(column)
    whole = pc.fill_null(pc.equal(pc.floor(as_float), as_float), False)
    in_range = pc.fill_null(pc.less_equal(pc.abs(as_float), float(2**53)), False)
    plain = pc.fill_null(pc.match_substring_regex(column, r"^-?\d{1,18}$"), False)
    exact_int = pc.if_else(plain, column, pa.scalar(None, pa.string())).cast(pa.int64())
    via_float = pc.if_else(pc.and_(whole, in_range), as_float, pa.scalar(None, pa.float64())).cast(pa.int64())
    fast_ok = pc.or_(plain, pc.and_(whole, in_range))
    fast = pc.if_else(plain, exact_int, via_float)
    out = pc.if_else(fast_ok, fast, pa.scalar(None, pa.int64()))
    rest_mask = pc.and_(pc.invert(fast_ok), pc.is_valid(column))
    if not pc.any(rest_mask).as_py():
        return Numbers(out, pa.array(np.zeros(len(column), dtype=bool)))

    def parse(value: str) -> tuple[int | None, bool]:
        number = parse_int(value)
        if number is not None and abs(number) > _INT64_LIMIT:
            return None, True
        return number, False

    rest = pc.if_else(rest_mask, column, pa.scalar(None, pa.string()))
    distinct = pc.unique(rest.drop_null())
    parsed = [parse(v) for v in distinct.to_pylist()]
    index = pc.index_in(rest, value_set=distinct)
    slow = pa.array([p[0] for p in parsed], type=pa.int64()).take(index)
    flagged = pc.fill_null(pa.array([p[1] for p in parsed], type=pa.bool_()).take(index), False)
    return Numbers(pc.if_else(rest_mask, slow, out), flagged)


def bools(column: pa.Array) -> pa.Array:
    """`common.parse_bool` of every value (empty = false; unknown words NULL)."""
    column = column.cast(pa.string())
    return _by_distinct(pc.fill_null(column, ""), parse_bool, pa.bool_())


def mapped(column: pa.Array, parse: Callable[[str | None], object], out_type: pa.DataType | None = None) -> pa.Array:
    """A scalar vocabulary lookup (status words, appointment types, ...) applied once per distinct value;
    `parse` also sees the empty cell (as None), as the scalar readers did."""
    column = column.cast(pa.string())
    distinct = pc.unique(column)
    values = [parse(v) for v in distinct.to_pylist()]
    index = pc.index_in(column, value_set=distinct, skip_nulls=False)
    return pa.array(values, type=out_type or pa.string()).take(index)


# ---- derived ----------------------------------------------------------------------------------------------

def local_dates(at: pa.Array, zone: ZoneInfo) -> pa.Array:
    """The practice-local date of each instant."""
    return pc.cast(at.cast(pa.timestamp("us", tz=str(zone))), pa.date32()) if len(at) else pa.array([], pa.date32())


def age_bands(birth: pa.Array, on: pa.Array) -> pa.Array:
    """`common.age_band` of (birth date, date) pairs, vectorised."""
    years = pc.years_between(birth, on)
    before_birthday = pc.less(
        pc.add(pc.multiply(pc.month(on), 100), pc.day(on)),
        pc.add(pc.multiply(pc.month(birth), 100), pc.day(birth)),
    )
    age = pc.subtract(years, pc.if_else(before_birthday, 1, 0)).cast(pa.int64())
    return ages_to_bands(age)


def ages_to_bands(age: pa.Array) -> pa.Array:
    """`common.age_band_of` of every age."""
    return mapped(age.cast(pa.string()), lambda v: age_band_of(int(v)) if v is not None else None)


def utc_plus(at: pa.Array | pa.Scalar, delta: timedelta, length: int) -> pa.Array:
    """`at` (a column or one instant) moved by `delta`, as a column of `length`."""
    if isinstance(at, pa.Scalar):
        at = pa.array([at.as_py()] * length, type=TS) if length else pa.array([], type=TS)
    return pc.add(at, pa.scalar(delta, pa.duration("us"))).cast(TS)


def constant(value: object, length: int, type_: pa.DataType) -> pa.Array:
    return pa.array([value] * length, type=type_) if not isinstance(value, datetime) else \
        pa.array([value.astimezone(UTC)] * length, type=type_)


# ---- the row's source values, for the quarantine ------------------------------------------------------------

_NEEDS_ESCAPE = r'["\\\x00-\x1f\x7f]'


def _json_string(column: pa.Array) -> pa.Array:
    """Each value as the body of a JSON string (no quotes); escaping is done only where a value needs it."""
    column = pc.fill_null(column.cast(pa.string()), "")
    if not pc.any(pc.match_substring_regex(column, _NEEDS_ESCAPE)).as_py():
        return column
    return _by_distinct(column, lambda v: json.dumps(v, ensure_ascii=False)[1:-1], pa.string())


def raw_json(columns: dict[str, pa.Array], blanked: Iterable[str], length: int) -> pa.Array:
    """`common.raw_json` of every row: the named source columns as one JSON object per row, with the
    `blanked` (PHI) columns shown as `[removed]` where they held something."""
    hidden = {c.lower() for c in blanked}
    if not columns:
        return pa.array(["{}"] * length, pa.string())
    parts: list[pa.Array | str] = []
    for i, (name, col) in enumerate(columns.items()):
        key = json.dumps(name, ensure_ascii=False)
        parts.append(("{" if i == 0 else ",") + key + ':"')
        if name.lower() in hidden:
            filled = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(pc.fill_null(col, "")), ""), False)
            parts.append(pc.if_else(filled, BLANK, ""))
        else:
            parts.append(_json_string(col))
        parts.append('"')
    parts.append("}")
    arrays = [p if isinstance(p, (pa.Array, pa.ChunkedArray)) else pa.array([p] * length, pa.string())
              for p in parts]
    return pc.binary_join_element_wise(*arrays, "")
