"""The practice's configuration (`clinicops.toml`) as validated, immutable data.

Every key of `sources.md` is read here and nowhere else. A bad file is refused with a `ConfigError` whose
message names the key (`locations[1].hours.sat: '9-13' is not HH:MM-HH:MM`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
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
PLACES_APIS = ("places_new", "legacy")  # live pull (issue 9): which Google Places API [review_sites.google] calls
_SPAN = re.compile(r"^\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


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
    api: str | None = None  # live pull (issue 9): google only, "places_new" (default) or "legacy"


@dataclass(frozen=True)
class Config:
    practice: Practice
    locations: tuple[Location, ...]
    providers: tuple[Provider, ...]
    referral_sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    appointment_types: dict[str, str] = field(default_factory=dict)
    review_sites: dict[str, ReviewSite] = field(default_factory=dict)
    keep_review_text: bool = False
    storage_version: str = "v1.4.0"
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


class _Reader:
    """Walks the parsed TOML, naming every key it complains about."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key}: {problem}")

    def table(self, value: object, key: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return value

    def text(self, table: dict, key: str, name: str, *, required: bool = True, default: str | None = None) -> str:
        value = table.get(name, default)
        if value is None:
            if required:
                raise self.fail(f"{key}.{name}" if key else name, "is required")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"{key}.{name}" if key else name, f"must be a non-empty string, not {value!r}")
        return value

    def number(self, table: dict, key: str, name: str, default: float, *, integer: bool, minimum: float) -> float:
        value = table.get(name, default)
        full = f"{key}.{name}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
            raise self.fail(full, f"must be {'a whole number' if integer else 'a number'}, not {value!r}")
        if value < minimum:
            raise self.fail(full, f"must be at least {minimum}, not {value!r}")
        return value

    def ident(self, table: dict, key: str, name: str = "id") -> str:
        value = self.text(table, key, name)
        if not _ID.match(value):
            raise self.fail(f"{key}.{name}", f"{value!r} is not an id (letters, digits, '_', '-', '.')")
        return value

    def week(self, value: object, key: str) -> dict[str, tuple[Span, ...]]:
        table = self.table(value, key)
        week: dict[str, tuple[Span, ...]] = {}
        for day, spans in table.items():
            if day not in WEEKDAYS:
                raise self.fail(f"{key}.{day}", f"is not a weekday (one of {', '.join(WEEKDAYS)})")
            texts = [spans] if isinstance(spans, str) else spans
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                raise self.fail(f"{key}.{day}", "must be 'HH:MM-HH:MM' or a list of them")
            parsed = []
            for text in texts:
                for part in text.split(","):
                    m = _SPAN.match(part)
                    if not m:
                        raise self.fail(f"{key}.{day}", f"{part.strip()!r} is not HH:MM-HH:MM")
                    h1, m1, h2, m2 = (int(g) for g in m.groups())
                    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
                        raise self.fail(f"{key}.{day}", f"{part.strip()!r} is not a time of day")
                    start, end = h1 * 60 + m1, h2 * 60 + m2
                    if end <= start or end > 24 * 60:
                        raise self.fail(f"{key}.{day}", f"{part.strip()!r} must end after it starts, by midnight")
                    parsed.append(Span(start, end))
            parsed.sort(key=lambda s: s.start_minute)
            for a, b in zip(parsed, parsed[1:], strict=False):
                if b.start_minute < a.end_minute:
                    raise self.fail(f"{key}.{day}", "spans overlap")
            week[day] = tuple(parsed)
        return week


def parse_config(data: dict, where: str = "clinicops.toml") -> Config:
    """Validate parsed TOML; raise `ConfigError` naming the first bad key."""
    r = _Reader(where)
    practice_table = r.table(data.get("practice"), "practice") if "practice" in data else None
    if practice_table is None:
        raise r.fail("practice", "the [practice] table is required")
    tz = r.text(practice_table, "practice", "timezone")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("practice.timezone", f"{tz!r} is not an IANA time zone (e.g. 'America/New_York')") from None
    practice = Practice(
        name=r.text(practice_table, "practice", "name"),
        timezone=tz,
        late_cancel_hours=r.number(practice_table, "practice", "late_cancel_hours", 24, integer=False, minimum=0),
        series_size=int(r.number(practice_table, "practice", "series_size", 6, integer=True, minimum=1)),
        series_window_days=int(r.number(practice_table, "practice", "series_window_days", 42, integer=True, minimum=0)),
        source_system=r.text(practice_table, "practice", "source_system", required=False, default="pm") or "pm",
    )
    known = {"practice", "locations", "providers", "referral_sources", "appointment_types", "review_sites", "warehouse"}
    for key in data:
        if key not in known:
            raise r.fail(key, f"is not a known table (known: {', '.join(sorted(known))})")

    raw_locations = data.get("locations")
    if not isinstance(raw_locations, list) or not raw_locations:
        raise r.fail("locations", "at least one [[locations]] table is required")
    locations: list[Location] = []
    seen_resources: set[str] = set()
    for i, raw in enumerate(raw_locations):
        key = f"locations[{i}]"
        t = r.table(raw, key)
        closures = []
        raw_closures = t.get("closures", [])
        if not isinstance(raw_closures, list):
            raise r.fail(f"{key}.closures", "must be a list of dates")
        for j, c in enumerate(raw_closures):
            try:
                closures.append(c if isinstance(c, date) else date.fromisoformat(str(c)))
            except ValueError:
                raise r.fail(f"{key}.closures[{j}]", f"{c!r} is not a date (YYYY-MM-DD)") from None
        resources = []
        raw_resources = t.get("resources", [])
        if not isinstance(raw_resources, list):
            raise r.fail(f"{key}.resources", "must be a list of { id, kind } tables")
        for j, res in enumerate(raw_resources):
            rkey = f"{key}.resources[{j}]"
            rt = r.table(res, rkey)
            rid = r.ident(rt, rkey)
            kind = r.text(rt, rkey, "kind")
            if kind not in RESOURCE_KINDS:
                raise r.fail(f"{rkey}.kind", f"{kind!r} must be one of {', '.join(RESOURCE_KINDS)}")
            if rid in seen_resources:
                raise r.fail(f"{rkey}.id", f"{rid!r} is configured twice")
            seen_resources.add(rid)
            resources.append(Resource(rid, kind))
        locations.append(
            Location(
                id=r.ident(t, key),
                name=r.text(t, key, "name"),
                closures=tuple(sorted(set(closures))),
                hours=r.week(t.get("hours", {}), f"{key}.hours"),
                resources=tuple(resources),
            )
        )
    ids = [loc.id for loc in locations]
    if len(set(ids)) != len(ids):
        raise r.fail("locations", "location ids must be unique")

    providers: list[Provider] = []
    raw_providers = data.get("providers", [])
    if not isinstance(raw_providers, list):
        raise r.fail("providers", "must be [[providers]] tables")
    for i, raw in enumerate(raw_providers):
        key = f"providers[{i}]"
        t = r.table(raw, key)
        loc = r.text(t, key, "location_id")
        if loc not in ids:
            raise r.fail(f"{key}.location_id", f"{loc!r} is not a configured location ({', '.join(ids)})")
        providers.append(
            Provider(
                id=r.ident(t, key),
                name=r.text(t, key, "name"),
                location_id=loc,
                availability=r.week(t.get("availability", {}), f"{key}.availability"),
            )
        )
    if len({p.id for p in providers}) != len(providers):
        raise r.fail("providers", "provider ids must be unique")

    referral_sources: dict[str, tuple[str, ...]] = {}
    for source, variants in r.table(data.get("referral_sources", {}), "referral_sources").items():
        if source not in REFERRAL_SOURCES:
            raise r.fail(f"referral_sources.{source}", f"is not a canonical source ({', '.join(REFERRAL_SOURCES)})")
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            raise r.fail(f"referral_sources.{source}", "must be a list of strings")
        referral_sources[source] = tuple(variants)

    appointment_types: dict[str, str] = {}
    for word, canonical in r.table(data.get("appointment_types", {}), "appointment_types").items():
        if canonical not in APPOINTMENT_TYPES:
            raise r.fail(f"appointment_types.{word!r}", f"{canonical!r} is not one of {', '.join(APPOINTMENT_TYPES)}")
        appointment_types[word] = canonical

    review_sites: dict[str, ReviewSite] = {}
    raw_sites = r.table(data.get("review_sites", {}), "review_sites")
    keep_text = raw_sites.get("keep_review_text", False)
    if not isinstance(keep_text, bool):
        raise r.fail("review_sites.keep_review_text", f"must be true or false, not {keep_text!r}")
    for site, table in raw_sites.items():
        if site == "keep_review_text":
            continue
        key = f"review_sites.{site}"
        if site not in REVIEW_SITES:
            raise r.fail(key, f"is not a supported site ({', '.join(REVIEW_SITES)})")
        t = r.table(table, key)
        mapping: dict[str, str] = {}
        for loc, business in t.items():
            if loc in ("api_base", "account", "api"):
                continue
            if loc not in ids:
                raise r.fail(f"{key}.{loc}", f"{loc!r} is not a configured location ({', '.join(ids)})")
            if not isinstance(business, (str, int)) or isinstance(business, bool) or not str(business).strip():
                raise r.fail(f"{key}.{loc}", "must be the site's business id")
            mapping[loc] = str(business)
        review_sites[site] = ReviewSite(
            site=site,
            locations=mapping,
            api_base=r.text(t, key, "api_base", required=False) or None,
            account=r.text(t, key, "account", required=False) or None,
            api=_places_api(r, t, key, site),
        )

    warehouse = r.table(data.get("warehouse", {}), "warehouse")
    storage_version = r.text(warehouse, "warehouse", "storage_version", required=False, default="v1.4.0")
    if not re.match(r"^v\d+\.\d+\.\d+$", storage_version):
        raise r.fail("warehouse.storage_version", f"{storage_version!r} is not like 'v1.4.0'")

    return Config(
        practice=practice,
        locations=tuple(locations),
        providers=tuple(providers),
        referral_sources=referral_sources,
        appointment_types=appointment_types,
        review_sites=review_sites,
        keep_review_text=keep_text,
        storage_version=storage_version,
    )


def _places_api(r: _Reader, table: dict, key: str, site: str) -> str | None:
    """live pull (issue 9): `api` of [review_sites.google]: which Places API the pull calls."""
    if "api" not in table:
        return None
    value = r.text(table, key, "api")
    if site != "google":
        raise r.fail(f"{key}.api", "only [review_sites.google] has an api (places_new or legacy)")
    if value not in PLACES_APIS:
        raise r.fail(f"{key}.api", f"{value!r} must be one of {', '.join(PLACES_APIS)}")
    return value


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
