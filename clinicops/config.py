"""The practice's configuration (`clinicops.toml`) as validated, immutable data.

Every key of `sources.md` is read here and nowhere else. The file is validated against its schema
(`config_schema.py`, pydantic, unknown keys refused at any depth); a bad file is refused with a
`ConfigError` whose message names the key with its full path (`locations[1].hours.sat: '9-13' is not
HH:MM-HH:MM`, `practice.late_cancel_hour: is not a known key; did you mean 'late_cancel_hours'?`).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import UnionType
from typing import Union, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from clinicops.config_schema import WEEKDAYS, ConfigFile, ReviewSiteTable, WeekTable

RESOURCE_KINDS = ("chair", "room")
APPOINTMENT_TYPES = (
    "consultation",
    "ketamine_infusion",
    "booster_infusion",
    "esketamine_session",
    "med_management",
    "therapy",
    "adhd_evaluation",
    "child_psychiatry",
    "follow_up",
)
INFUSION_TYPES = ("ketamine_infusion", "booster_infusion", "esketamine_session")
REFERRAL_SOURCES = (
    "google",
    "yelp",
    "psychology_today",
    "physician_referral",
    "therapist_referral",
    "friend_family",
    "insurance_directory",
    "social_media",
    "website",
    "returning_patient",
    "other",
    "unknown",
)
REVIEW_SITES = ("yelp", "google", "google_business_profile")
# the fixed adverse-event vocabulary (operations.md, "Privacy"): the warehouse holds these codes, never text
ADVERSE_EVENTS = ("nausea", "vomiting", "headache", "dizziness", "dissociation", "sedation", "anxiety",
                  "hypertension", "tachycardia", "desaturation", "other")
__all__ = ["WEEKDAYS", "Config", "ConfigError", "load_config", "parse_config"]


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Span:
    """An opening span on one weekday, in minutes after local midnight."""

    start_minute: int
    end_minute: int

    @property
    def minutes(self) -> int:
        return self.end_minute - self.start_minute


@dataclass(frozen=True)
class Resource:
    id: str
    kind: str


@dataclass(frozen=True)
class Location:
    id: str
    name: str
    closures: tuple[date, ...]
    hours: dict[str, tuple[Span, ...]]
    resources: tuple[Resource, ...]


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    location_id: str
    availability: dict[str, tuple[Span, ...]]


@dataclass(frozen=True)
class Practice:
    name: str
    timezone: str
    late_cancel_hours: float = 24
    series_size: int = 6
    series_window_days: int = 42
    source_system: str = "pm"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ReviewSite:
    """One review site: location id -> the site's business / place / location id."""

    site: str
    locations: dict[str, str]
    api_base: str | None = None
    account: str | None = None
    api: str = "places_new"  # Google Places: places_new or legacy
    timeout_seconds: float = 20.0


@dataclass(frozen=True)
class Schedule:
    cron: str = "0 2 * * *"  # in the practice's time zone


@dataclass(frozen=True)
class Notify:
    webhook_url: str | None = None
    command: tuple[str, ...] | None = None
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class Runner:
    kind: str = "threads"  # or dask
    address: str | None = None  # a Dask scheduler; None = a local cluster
    workers: int | None = None


@dataclass(frozen=True)
class HomeSettings:
    readers_group: str | None = None


@dataclass(frozen=True)
class Config:
    practice: Practice
    locations: tuple[Location, ...]
    providers: tuple[Provider, ...]
    referral_sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    appointment_types: dict[str, str] = field(default_factory=dict)
    adverse_events: dict[str, str] = field(default_factory=dict)
    review_sites: dict[str, ReviewSite] = field(default_factory=dict)
    keep_review_text: bool = False
    storage_version: str = "v1.4.0"
    schedule: Schedule = Schedule()
    notify: Notify = Notify()
    runner: Runner = Runner()
    home: HomeSettings = HomeSettings()
    path: Path | None = None

    @property
    def location_ids(self) -> set[str]:
        return {loc.id for loc in self.locations}

    @property
    def provider_ids(self) -> set[str]:
        return {p.id for p in self.providers}

    @property
    def resources(self) -> list[tuple[str, Resource]]:
        """(location id, resource) for every configured chair and room."""
        return [(loc.id, r) for loc in self.locations for r in loc.resources]

    @property
    def resource_ids(self) -> set[str]:
        return {r.id for _, r in self.resources}

    @property
    def chair_ids(self) -> set[str]:
        return {r.id for _, r in self.resources if r.kind == "chair"}


def referral_key(text: str) -> str:
    """The matching key of referral free text: lower case, every character but a-z and 0-9 removed.
    The SQL computes the same key with `regexp_replace(lower(text), '[^a-z0-9]', '', 'g')`."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def referral_normalised(text: str) -> str:
    """Referral free text as analysts see it: lower case, runs of anything but a-z and 0-9 as one space."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def referral_variants(config: Config) -> list[tuple[str, str]]:
    """(variant key, canonical source): every canonical name is its own variant, then the config's variants.
    A key the config maps to two different sources is refused (the answer would depend on luck)."""
    explicit: dict[str, str] = {}
    for source, variants in config.referral_sources.items():
        for variant in variants:
            key = referral_key(variant)
            if not key:
                continue
            if explicit.get(key, source) != source:
                raise ValueError(
                    f"referral_sources: the variant {variant!r} matches both {explicit[key]!r} and {source!r}"
                )
            explicit[key] = source
    mapping = {referral_key(source): source for source in REFERRAL_SOURCES}
    mapping.update(explicit)
    return sorted(mapping.items())


def _path(loc: tuple) -> str:
    """A pydantic error location as the TOML path staff read: locations[1].hours.sat."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The schema table that holds the key at `loc` (for naming its known keys)."""
    model: object = ConfigFile
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        model = _inner(model.model_fields[part].annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner(annotation: object) -> object:
    """The table type inside `X | None`, `list[X]`, `tuple[X, ...]`."""
    while True:
        args = [a for a in get_args(annotation) if a is not type(None) and a is not Ellipsis]
        if get_origin(annotation) in (list, tuple, Union, UnionType) and len(args) == 1:
            annotation = args[0]
            continue
        return annotation


def _nearest(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def describe_error(error: dict, table_at: Callable[[tuple], type[BaseModel] | None]) -> tuple[str, str]:
    """A pydantic error of a TOML file's schema as the key path staff read and a plain problem; an unknown key
    names the known keys of the table `table_at(its parent's location)` and the nearest of them."""
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        parent = table_at(loc[:-1])
        known = sorted(parent.model_fields) if parent else []
        listed = f" (known here: {', '.join(known)})" if known else ""
        return _path(loc), f"is not a known key{_nearest(str(loc[-1]), known)}{listed}"
    if error["type"] == "missing":
        return _path(loc), "is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] not in ("value_error",) and "input" in error and not isinstance(error["input"], (dict, list)):
        message += f", not {error['input']!r}"
    return _path(loc), message


def _check(condition: bool, where: str, key: str, problem: str) -> None:
    if not condition:
        raise ConfigError(f"{where}: {key}: {problem}")


def _week(table: WeekTable) -> dict[str, tuple[Span, ...]]:
    return {day: tuple(Span(a, b) for a, b in getattr(table, day)) for day in WEEKDAYS if getattr(table, day)}


def _site_locations(site: str, table: ReviewSiteTable, ids: list[str], where: str) -> dict[str, str]:
    settings = sorted(ReviewSiteTable.model_fields)
    mapping: dict[str, str] = {}
    for loc, business in (table.model_extra or {}).items():
        key = f"review_sites.{site}.{loc}"
        _check(loc in ids, where, key, f"{loc!r} is neither a configured location ({', '.join(ids)}) nor a setting "
                                       f"({', '.join(settings)}){_nearest(loc, [*ids, *settings])}")
        _check(isinstance(business, (str, int)) and not isinstance(business, bool) and bool(str(business).strip()),
               where, key, "must be the site's business id")
        mapping[loc] = str(business).strip()
    return mapping


def parse_config(data: dict, where: str = "clinicops.toml") -> Config:
    """Validate parsed TOML against the schema (`config_schema.ConfigFile`); raise `ConfigError` naming the
    first bad key with its full path (and, for an unknown key, the nearest known name)."""
    try:
        file = ConfigFile.model_validate(data)
    except ValidationError as e:
        key, problem = describe_error(e.errors()[0], _model_at)
        more = len(e.errors()) - 1
        raise ConfigError(f"{where}: {key}: {problem}" + (f" (and {more} more problem(s))" if more else "")) from None

    ids = [loc.id for loc in file.locations]
    _check(len(set(ids)) == len(ids), where, "locations", "location ids must be unique")
    seen_resources: set[str] = set()
    for i, loc in enumerate(file.locations):
        for j, res in enumerate(loc.resources):
            _check(res.id not in seen_resources, where, f"locations[{i}].resources[{j}].id",
                   f"{res.id!r} is configured twice")
            seen_resources.add(res.id)
    for i, p in enumerate(file.providers):
        _check(p.location_id in ids, where, f"providers[{i}].location_id",
               f"{p.location_id!r} is not a configured location ({', '.join(ids)})")
    _check(len({p.id for p in file.providers}) == len(file.providers), where, "providers",
           "provider ids must be unique")
    for source in file.referral_sources:
        _check(source in REFERRAL_SOURCES, where, f"referral_sources.{source}",
               f"is not a canonical source ({', '.join(REFERRAL_SOURCES)}){_nearest(source, REFERRAL_SOURCES)}")
    for word, canonical in file.appointment_types.items():
        _check(canonical in APPOINTMENT_TYPES, where, f"appointment_types.{word!r}",
               f"{canonical!r} is not one of {', '.join(APPOINTMENT_TYPES)}{_nearest(canonical, APPOINTMENT_TYPES)}")
    for word, code in file.adverse_events.items():
        _check(code in ADVERSE_EVENTS, where, f"adverse_events.{word!r}",
               f"{code!r} is not one of {', '.join(ADVERSE_EVENTS)}{_nearest(code, ADVERSE_EVENTS)}")
    _check(file.runner.address is None or file.runner.kind == "dask", where, "runner.address",
           "is only used with kind = \"dask\"")

    review_sites = {}
    for site in REVIEW_SITES:
        table = getattr(file.review_sites, site)
        if table is not None:
            review_sites[site] = ReviewSite(site=site, locations=_site_locations(site, table, ids, where),
                                            api_base=table.api_base, account=table.account, api=table.api,
                                            timeout_seconds=table.timeout_seconds)
    p = file.practice
    return Config(
        practice=Practice(name=p.name, timezone=p.timezone, late_cancel_hours=p.late_cancel_hours,
                          series_size=p.series_size, series_window_days=p.series_window_days,
                          source_system=p.source_system),
        locations=tuple(
            Location(id=loc.id, name=loc.name, closures=tuple(sorted(set(loc.closures))), hours=_week(loc.hours),
                     resources=tuple(Resource(r.id, r.kind) for r in loc.resources))
            for loc in file.locations),
        providers=tuple(Provider(id=pr.id, name=pr.name, location_id=pr.location_id,
                                 availability=_week(pr.availability)) for pr in file.providers),
        referral_sources={k: tuple(v) for k, v in file.referral_sources.items()},
        appointment_types=dict(file.appointment_types),
        adverse_events=dict(file.adverse_events),
        review_sites=review_sites,
        keep_review_text=file.review_sites.keep_review_text,
        storage_version=file.warehouse.storage_version,
        schedule=Schedule(cron=file.schedule.cron),
        notify=Notify(webhook_url=file.notify.webhook_url,
                      command=tuple(file.notify.command) if file.notify.command else None,
                      timeout_seconds=file.notify.timeout_seconds),
        runner=Runner(kind=file.runner.kind, address=file.runner.address, workers=file.runner.workers),
        home=HomeSettings(readers_group=file.home.readers_group),
    )


def load_config(path: Path) -> Config:
    """Read and validate `clinicops.toml`."""
    if not path.exists():
        raise ConfigError(f"{path}: no configuration file (run `clinicops init --home {path.parent}`)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    config = parse_config(data, str(path))
    return Config(**{**config.__dict__, "path": path})
