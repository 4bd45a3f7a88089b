"""Mapping profiles: how another system's appointment CSV export becomes the canonical booking columns.

A profile is a small TOML file (sources.md, "Any other CSV export"), shipped with clinicops
(`clinicops/profiles/*.toml`) or written by the practice into `<home>/profiles/`. The profile of a file is
the first whose `match` glob fits the file's name in the inbox: the home's own profiles first (in name
order), then the shipped ones, the canonical layout last of all. A home profile with the name of a shipped
one replaces it.

```toml
[profile]
name = "simplepractice-attendance"
match = "*attendance*.csv"             # glob on the file name in inbox/bookings/
delimiter = ","
skip_rows_after_header = 1             # summary rows under the header: skipped, never bad rows
datetime_formats = ["%m/%d/%Y %I:%M %p"]   # tried in order, before ISO 8601
date_only = ["start"]                  # columns whose time part means nothing
[columns]                              # canonical column = the export's column(s)
appointment_id = { derive = ["Client", "Date of Service", "Time"] }
start = ["Date of Service", "Time"]    # several columns joined with a space
[values.status]                        # the export's word = a canonical value or accepted synonym
"Show" = "fulfilled"
[constants]                            # canonical columns the export lacks
location_id = "COL"
```

Validated with pydantic like `clinicops.toml`: an unknown key at any depth is refused, and every message
names the profile file and the key.
"""

from __future__ import annotations

import fnmatch
import hashlib
import tomllib
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from clinicops.config import describe_error
from clinicops.sources.delimited import header_key

CANONICAL = "canonical"
# canonical columns a profile may fill (the booking columns, the PHI columns that are dropped, the age)
TARGETS = (
    "appointment_id", "patient_id", "location_id", "provider_id", "resource_id", "appointment_type", "start",
    "duration_minutes", "end", "status", "created_at", "cancelled_at", "cancelled_by", "referral_source",
    "updated_at", "patient_first_name", "patient_last_name", "patient_dob", "patient_phone", "patient_email",
    "patient_age", "intake_date",
)
REQUIRED = ("appointment_id", "patient_id", "location_id", "provider_id", "appointment_type", "start", "status")
# an intake export (`kind = "intake"`): patient id, intake date, how they heard about us
INTAKE_TARGETS = ("patient_id", "intake_date", "referral_source", "patient_first_name", "patient_last_name",
                  "patient_dob", "patient_phone", "patient_email")
INTAKE_REQUIRED = ("patient_id", "referral_source")
TIME_COLUMNS = ("start", "end", "created_at", "cancelled_at", "updated_at", "intake_date")
_DATE_DIRECTIVES = ("%d", "%m", "%y", "%Y", "%b", "%B", "%j", "%x", "%c", "%F", "%D", "%G")
Text = Annotated[str, StringConstraints(min_length=1)]


class ProfileError(ValueError):
    """A profile cannot be used; the message names the profile file and the key."""


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Derive(_Table):
    derive: list[Text] = Field(min_length=1)


class ProfileTable(_Table):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    match: Text
    kind: Literal["bookings", "intake"] = "bookings"  # which inbox folder's files it maps
    delimiter: Annotated[str, StringConstraints(min_length=1, max_length=1)] = ","
    skip_rows_after_header: int = Field(0, ge=0)
    datetime_formats: list[Text] = []
    date_only: list[str] = []
    description: str = ""

    @field_validator("datetime_formats")
    @classmethod
    def _formats(cls, value: list[str]) -> list[str]:
        for fmt in value:
            if "%" not in fmt:
                raise ValueError(f"{fmt!r} is not a strptime format (e.g. '%m/%d/%Y %I:%M %p')")
        return value

    @field_validator("date_only")
    @classmethod
    def _date_only(cls, value: list[str]) -> list[str]:
        for column in value:
            if column not in TIME_COLUMNS:
                raise ValueError(f"{column!r} is not a time column ({', '.join(TIME_COLUMNS)})")
        return value


def _column_spec(value: object) -> tuple[str, ...] | Derive:
    """'Column' / ['Date', 'Time'] / { derive = [...] } -> the export columns (or a derived key)."""
    if isinstance(value, str) and value.strip():
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(value)
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"derive"})
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a known key (only derive = [columns])")
        return Derive.model_validate(value)
    raise ValueError("must be an export column name, a list of them (joined with a space), "
                     "or { derive = [columns] }")


ColumnSpec = Annotated[object, BeforeValidator(_column_spec)]


class ProfileFile(_Table):
    profile: ProfileTable
    columns: dict[str, ColumnSpec] = {}
    values: dict[str, dict[str, str]] = {}
    constants: dict[str, str | int] = {}

    @field_validator("columns", "values", "constants")
    @classmethod
    def _targets(cls, value: dict) -> dict:
        for column in value:
            if column not in TARGETS:
                raise ValueError(f"{column!r} is not a canonical booking column ({', '.join(TARGETS)})")
        return value


@dataclass(frozen=True)
class Profile:
    name: str
    match: str
    path: str  # where it came from (shown in messages)
    kind: str  # bookings or intake
    delimiter: str
    skip_rows_after_header: int
    datetime_formats: tuple[str, ...]
    date_only: tuple[str, ...]
    columns: dict[str, tuple[str, ...] | Derive]  # canonical -> source column keys (folded) or a derived key
    values: dict[str, dict[str, str]]
    constants: dict[str, str]

    @property
    def is_canonical(self) -> bool:
        """The canonical bookings layout (read by the canonical reader itself)."""
        return self.name == CANONICAL

    @property
    def is_fallback(self) -> bool:
        """A layout of clinicops' own (canonical, canonical-intake): tried after every other profile."""
        return self.name.startswith(CANONICAL)

    def matches(self, file_name: str) -> bool:
        return fnmatch.fnmatch(file_name.lower(), self.match.lower())

    def source_columns(self) -> list[str]:
        """Every export column the profile reads (folded as header_key folds them)."""
        out: list[str] = []
        for spec in self.columns.values():
            for c in (spec.derive if isinstance(spec, Derive) else spec):
                key = header_key(c)
                if key not in out:
                    out.append(key)
        return out

    def required_source_columns(self) -> list[str]:
        out: list[str] = []
        for target in (*(INTAKE_REQUIRED if self.kind == "intake" else REQUIRED), "duration_minutes", "end"):
            spec = self.columns.get(target)
            if spec is None:
                continue
            for c in (spec.derive if isinstance(spec, Derive) else spec):
                if header_key(c) not in out:
                    out.append(header_key(c))
        return out


_TABLES: dict[str, type[BaseModel]] = {"profile": ProfileTable}


def _table_at(loc: tuple) -> type[BaseModel] | None:
    """The profile table holding a key at `loc` (the file itself, or [profile])."""
    return ProfileFile if not loc else _TABLES.get(str(loc[0])) if len(loc) == 1 else None


def parse_profile(data: dict, where: str) -> Profile:
    try:
        file = ProfileFile.model_validate(data)
    except ValidationError as e:
        key, problem = describe_error(e.errors()[0], _table_at)
        raise ProfileError(f"{where}: {key}: {problem}") from None
    given = set(file.columns) | set(file.constants)
    if file.profile.kind == "intake":
        wrong = sorted(given - set(INTAKE_TARGETS))
        if wrong:
            raise ProfileError(f"{where}: columns.{wrong[0]}: an intake profile maps only "
                               f"{', '.join(INTAKE_TARGETS)}")
        missing = [c for c in INTAKE_REQUIRED if c not in given]
        if missing:
            raise ProfileError(f"{where}: columns: no column or constant for {', '.join(missing)}")
    elif file.profile.name != CANONICAL:
        missing = [c for c in REQUIRED if c not in given]
        if missing:
            raise ProfileError(f"{where}: columns: no column or constant for {', '.join(missing)}")
        if not {"duration_minutes", "end"} & given:
            raise ProfileError(f"{where}: columns: no column or constant for duration_minutes (or end)")
    for column in file.values:
        if column not in file.columns:
            raise ProfileError(f"{where}: values.{column}: {column!r} is not mapped under [columns]")
    columns: dict[str, tuple[str, ...] | Derive] = dict(file.columns)  # type: ignore[arg-type]
    return Profile(
        name=file.profile.name, match=file.profile.match, path=where, kind=file.profile.kind,
        delimiter=file.profile.delimiter,
        skip_rows_after_header=file.profile.skip_rows_after_header,
        datetime_formats=tuple(file.profile.datetime_formats), date_only=tuple(file.profile.date_only),
        columns=columns, values={c: dict(m) for c, m in file.values.items()},
        constants={c: str(v) for c, v in file.constants.items()},
    )


def load_profile(path: Path | object, where: str) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")  # type: ignore[union-attr]
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{where}: not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise ProfileError(f"{where}: not UTF-8 text") from None
    return parse_profile(data, where)


def shipped_profiles() -> list[Profile]:
    folder = files("clinicops").joinpath("profiles")
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".toml")), key=lambda e: e.name)
    return [load_profile(e, f"clinicops/profiles/{e.name}") for e in entries]


def home_profiles(folder: Path | None) -> list[Profile]:
    if folder is None or not folder.is_dir():
        return []
    return [load_profile(p, str(p)) for p in sorted(folder.glob("*.toml")) if p.is_file()]


def all_profiles(folder: Path | None, kind: str = "bookings") -> list[Profile]:
    """The home's profiles, then the shipped ones it does not replace (by name); clinicops' own layouts last."""
    own = home_profiles(folder)
    names = {p.name for p in own}
    shipped = [p for p in shipped_profiles() if p.name not in names]
    ordered = [p for p in (*own, *shipped) if p.kind == kind]
    return [p for p in ordered if not p.is_fallback] + [p for p in ordered if p.is_fallback]


def profile_for(file_name: str, folder: Path | None, kind: str = "bookings") -> Profile | None:
    """The profile (of that kind) whose glob fits the file name first; None when none does."""
    for profile in all_profiles(folder, kind):
        if profile.matches(file_name):
            return profile
    return None


# ---- mapping a batch of export columns to canonical text columns ---------------------------------------------

def _joined(columns: list[pa.Array], separator: str) -> pa.Array:
    filled = [pc.utf8_trim_whitespace(pc.fill_null(c, "")) for c in columns]
    joined = pc.binary_join_element_wise(*filled, separator) if len(filled) > 1 else filled[0]
    return pc.utf8_trim_whitespace(joined)


def _derived(columns: list[pa.Array], profile: Profile) -> pa.Array:
    """A stable key from the named columns: the same values give the same id in every export."""
    joined = _joined(columns, "\x1f")
    empty = pc.equal(pc.replace_substring(joined, "\x1f", ""), "")

    def key(text: str | None) -> str | None:
        if text is None:
            return None
        return profile.name[:12] + "-" + hashlib.sha256(f"{profile.name}\x1f{text}".encode()).hexdigest()[:16]

    from clinicops.sources.columns import mapped

    return pc.if_else(empty, pa.scalar(None, pa.string()), mapped(joined, key))


def _value_map(column: pa.Array, mapping: dict[str, str]) -> pa.Array:
    folded = {" ".join(k.split()).lower(): v for k, v in mapping.items()}

    def look(text: str | None) -> str | None:
        if text is None:
            return None
        return mapping.get(text, folded.get(" ".join(text.split()).lower(), text))

    from clinicops.sources.columns import mapped

    return mapped(column, look)


def _is_time_only(fmt: str) -> bool:
    return not any(d in fmt for d in _DATE_DIRECTIVES)


def _reformat(value: str, formats: tuple[str, ...], date_only: bool) -> str:
    """One export date/time text -> ISO 8601 text (naive = practice-local; with an offset only where the
    format has %z). A text no format reads is left as it is (ISO 8601, or a bad value for the suite)."""
    for fmt in formats:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if _is_time_only(fmt):
            return "T" + parsed.strftime("%H:%M:%S")  # a time alone: the caller gives it the start's date
        if date_only:
            return parsed.date().isoformat()
        return parsed.isoformat()
    if date_only and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        return value[:10]
    return value


_TIME_ALONE = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p")


def map_columns(source: dict[str, pa.Array], length: int, profile: Profile) -> dict[str, pa.Array]:
    """Export text columns (keys folded by header_key) -> canonical text columns, a column at a time."""
    from clinicops.sources.columns import mapped

    def col(name: str) -> pa.Array:
        found = source.get(header_key(name))
        return found if found is not None else pa.nulls(length, pa.string())

    out: dict[str, pa.Array] = {}
    for target, spec in profile.columns.items():
        if isinstance(spec, Derive):
            out[target] = _derived([col(c) for c in spec.derive], profile)
        else:
            out[target] = _joined([col(c) for c in spec], "|" if target == "status" else " ")
    for target, mapping in profile.values.items():
        out[target] = _value_map(out[target], mapping)
    for target, value in profile.constants.items():
        given = out.get(target)
        constant = pa.array([value] * length, pa.string())
        out[target] = constant if given is None else pc.if_else(
            pc.fill_null(pc.equal(given, ""), True), constant, given)
    for target in TIME_COLUMNS:
        if target not in out:
            continue
        formats = profile.datetime_formats + (_TIME_ALONE if target == "end" else ())
        date_only = target in profile.date_only or target == "intake_date"
        if formats or date_only:
            out[target] = mapped(out[target], lambda v, f=formats, d=date_only:
                                 _reformat(v, f, d) if v else v)
    if "end" in out and "start" in out:  # an end given as a time alone takes the start's date
        end = out["end"]
        alone = pc.fill_null(pc.starts_with(end, "T"), False)
        if pc.any(alone).as_py():
            start_date = pc.utf8_slice_codeunits(pc.fill_null(out["start"], ""), 0, 10)
            out["end"] = pc.if_else(alone, pc.binary_join_element_wise(start_date, end, ""), end)
    return out
