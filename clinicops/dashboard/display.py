"""How figures are shown: small-cell suppression, number formats, tables with a safe CSV download.

Suppression: a figure is shown as "<11" when the distinct patients it was computed from (the query's
`patients_*` column named for it) are fewer than SMALL_CELL. The shown table, and so its CSV, never holds
the suppressed value.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from datetime import date, datetime

import numpy as np
import pandas as pd
import streamlit as st

SMALL_CELL = 11
SUPPRESSED = f"<{SMALL_CELL}"
# a text cell a spreadsheet would run as a formula (OWASP CSV injection: = + - @, tab, carriage return)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^-?[0-9][0-9,]*(\.[0-9]+)?( %| pp)?$")


def is_small(patients: object) -> bool:
    """True when the patients behind a figure are fewer than SMALL_CELL (an unknown count is small)."""
    if patients is None or (isinstance(patients, float) and math.isnan(patients)):
        return True
    return int(patients) < SMALL_CELL


def is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def count(value: object) -> str:
    return "–" if is_missing(value) else f"{int(value):,}"


def percent(value: object) -> str:
    return "–" if is_missing(value) else f"{100 * float(value):.1f} %"


def number(value: object, digits: int = 1) -> str:
    return "–" if is_missing(value) else f"{float(value):.{digits}f}"


def when(value: object) -> str:
    if is_missing(value):
        return "–"
    if isinstance(value, datetime | pd.Timestamp):
        # a naive timestamp is a DATE column as pandas holds it; an instant (TIMESTAMPTZ) keeps its time
        return f"{value:%Y-%m-%d}" if value.tzinfo is None else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def plain(value: object) -> str:
    """A cell that is no patient figure: dates and instants, whole numbers with separators, text as it is."""
    if isinstance(value, str):
        return value
    if is_missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer()):
        return count(value)
    if isinstance(value, numbers.Real):
        return number(value, 2)
    return when(value)


def shown(value: object, patients: object, fmt=count) -> str:
    """The figure as staff see it: "<11" when it comes from too few patients, else formatted."""
    return SUPPRESSED if is_small(patients) else fmt(value)


def suppressed_table(df: pd.DataFrame, figures: Mapping[str, tuple[str, object]],
                     drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """A display copy of `df`: each figure column {column: (patients column, formatter)} formatted, "<11"
    where its patients are too few; the patients columns (and `drop`) removed; other columns as text."""
    out = pd.DataFrame(index=df.index)
    patient_columns = {base for base, _ in figures.values()}
    for column in df.columns:
        if column in patient_columns or column in drop:
            continue
        if column in figures:
            base, fmt = figures[column]
            out[column] = [shown(v, p, fmt) for v, p in zip(df[column], df[base], strict=True)]
        else:
            out[column] = [plain(v) for v in df[column]]
    return out.reset_index(drop=True)


def neutralise_formula(value: object) -> object:
    """A text cell that starts like a spreadsheet formula gets a leading single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def safe_csv(df: pd.DataFrame) -> bytes:
    """The table as CSV with every formula-like text cell neutralised (header included)."""
    clean = df.copy()
    clean.columns = [neutralise_formula(str(c)) for c in clean.columns]
    for column in clean.columns:
        if clean[column].dtype == object or pd.api.types.is_string_dtype(clean[column]):
            clean[column] = clean[column].map(neutralise_formula)
    return clean.to_csv(index=False).encode("utf-8")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def table(title: str, df: pd.DataFrame, *, caption: str | None = None, max_rows: int = 200,
          show: bool = True) -> None:
    """A titled table with its CSV download (the whole table; at most `max_rows` rows shown)."""
    st.markdown(f"**{title}**")
    if caption:
        st.caption(caption)
    if df.empty:
        st.info("Nothing in this range for the chosen filters.")
        return
    if show:
        st.table(df.head(max_rows), hide_index=True)
        if len(df) > max_rows:
            st.caption(f"{max_rows} of {len(df):,} rows shown; the CSV has them all.")
    st.download_button(f"Download {title} (CSV)", safe_csv(df), file_name=f"{_slug(title)}.csv",
                       mime="text/csv", key=f"csv-{_slug(title)}", on_click="ignore")


def metric(label: str, value: object, patients: object, fmt=count, previous: object = None,
           previous_patients: object = None, delta_fmt=None, help: str | None = None,
           lower_is_better: bool = False) -> None:
    """A headline figure against the previous period; "<11" (and no change) when too few patients."""
    text = shown(value, patients, fmt)
    delta = None
    if (text != SUPPRESSED and not is_small(previous_patients) and not is_missing(value)
            and not is_missing(previous)):
        change = float(value) - float(previous)
        delta = delta_fmt(change) if delta_fmt else f"{change:+,.0f}"
    st.metric(label, text, delta=delta, help=help, delta_color="inverse" if lower_is_better else "normal")


def points(change: float) -> str:
    """A change of a rate, in percentage points."""
    return f"{100 * change:+.1f} pp"
