"""The schema of `clinicops.toml`, in pydantic: one model per TOML table, mirroring the file exactly.

Every table forbids keys it does not know, at any depth, so a typo (`late_cancel_hour`, `hour =` inside a
location) is refused with its full path and the nearest known name instead of being silently ignored.
`clinicops.config` turns a validated `ConfigFile` into the `Config` the rest of the code reads, and checks
what needs several tables at once (a provider's location, a review site's location ids).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")
_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")

Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Table(BaseModel):
    """A TOML table: unknown keys are refused; values keep the type TOML gave them (no '6' for 6)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def spans_of(value: object) -> tuple[tuple[int, int], ...]:
    """'08:00-12:00' / '08:00-12:00, 13:00-17:00' / a list of those -> ((start minute, end minute), ...)."""
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ValueError("must be 'HH:MM-HH:MM' or a list of them")
    spans = []
    for text in texts:
        for part in text.split(","):
            m = _SPAN.match(part)
            if not m:
                raise ValueError(f"{part.strip()!r} is not HH:MM-HH:MM")
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
                raise ValueError(f"{part.strip()!r} is not a time of day")
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if end <= start or end > 24 * 60:
                raise ValueError(f"{part.strip()!r} must end after it starts, by midnight")
            spans.append((start, end))
    spans.sort()
    for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False):
        if b_start < a_end:
            raise ValueError("spans overlap")
    return tuple(spans)


Spans = Annotated[tuple[tuple[int, int], ...], BeforeValidator(spans_of)]


class WeekTable(Table):
    """Opening hours or availability per weekday; a weekday left out is closed."""

    mon: Spans = ()
    tue: Spans = ()
    wed: Spans = ()
    thu: Spans = ()
    fri: Spans = ()
    sat: Spans = ()
    sun: Spans = ()


def _date(value: object) -> object:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return value


class PracticeTable(Table):
    name: Text
    timezone: str
    late_cancel_hours: float = Field(24, ge=0)
    series_size: int = Field(6, ge=1)
    series_window_days: int = Field(42, ge=0)
    source_system: Text = "pm"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. 'America/New_York')") from None
        return value


class ResourceTable(Table):
    id: Ident
    kind: Literal["chair", "room"]


class LocationTable(Table):
    id: Ident
    name: Text
    closures: list[Annotated[date, BeforeValidator(_date)]] = []
    hours: WeekTable = WeekTable()
    resources: list[ResourceTable] = []


class ProviderTable(Table):
    id: Ident
    name: Text
    location_id: str
    availability: WeekTable = WeekTable()


class ReviewSiteTable(Table):
    """`LOCATION_ID = "<the site's id>"` for each location, plus the settings of the live pull."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)
    api_base: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    account: Text | None = None  # Business Profile: "accounts/A"
    api: Literal["places_new", "legacy"] = "places_new"  # Google Places: which API the live pull calls
    timeout_seconds: float = Field(20.0, gt=0)


class ReviewSitesTable(Table):
    keep_review_text: bool = False
    yelp: ReviewSiteTable | None = None
    google: ReviewSiteTable | None = None
    google_business_profile: ReviewSiteTable | None = None


class WarehouseTable(Table):
    storage_version: Annotated[str, StringConstraints(pattern=r"^v\d+\.\d+\.\d+$")] = "v1.4.0"


def _cron(value: object) -> object:
    if isinstance(value, str) and (len(value.split()) != 5 or not all(_CRON_FIELD.match(f) for f in value.split())):
        raise ValueError(f"{value!r} is not a cron expression of five fields (e.g. '0 2 * * *')")
    return value


class ScheduleTable(Table):
    cron: Annotated[str, BeforeValidator(_cron)] = "0 2 * * *"


class NotifyTable(Table):
    webhook_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    command: list[Text] | None = None  # argv; the run summary (JSON, no PHI) arrives on its stdin
    timeout_seconds: float = Field(10.0, gt=0)


class RunnerTable(Table):
    kind: Literal["threads", "dask"] = "threads"
    address: Annotated[str, StringConstraints(pattern=r"^(tcp|tls|inproc|ucx)://\S+$")] | None = None
    workers: int | None = Field(None, ge=1)  # a local Dask cluster's worker processes (default: one per core)


class HomeTable(Table):
    readers_group: Text | None = None  # makes the warehouse and the reports readable by this group


class ConfigFile(Table):
    """The whole file."""

    practice: PracticeTable
    locations: list[LocationTable] = Field(min_length=1)
    providers: list[ProviderTable] = []
    referral_sources: dict[str, list[str]] = {}
    appointment_types: dict[str, str] = {}
    adverse_events: dict[str, str] = {}  # more words for the fixed adverse-event vocabulary
    review_sites: ReviewSitesTable = ReviewSitesTable()
    warehouse: WarehouseTable = WarehouseTable()
    schedule: ScheduleTable = ScheduleTable()
    notify: NotifyTable = NotifyTable()
    runner: RunnerTable = RunnerTable()
    home: HomeTable = HomeTable()
