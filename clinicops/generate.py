"""A synthetic psychiatry and ketamine-infusion practice, written as the files its staff would drop in the inbox.

`generate_practice(home, seed=..., end_date=..., size=...)` writes `<home>/clinicops.toml` and:

- `inbox/bookings/`: monthly exports `bookings_export_YYYY-MM.csv` (the bookings created that month, as they
  stood at the month's end) and weekly delta files `bookings_changes_YYYY-MM-DD.csv` (later versions of older
  bookings: rescheduled, cancelled, marked no-show or completed), in the canonical CSV of `sources.md`;
- `inbox/sessions/`: one row per infusion in the chair, `sessions_YYYY-MM.csv`, and JSON Lines for the
  last month (`sessions_YYYY-MM.jsonl`);
- `inbox/reviews/`: saved Yelp, Google Places (legacy and New) and Business Profile responses, named
  `<prefix>__<id>__<details|reviews>__<YYYY-MM-DD>.json`, and a generic review CSV.

Everything is a function of (seed, end_date, size): the same arguments give byte-identical files. The figures
land near the published ones of `spec/README.md` (no-shows rising with lead time and after a prior no-show,
chairs 60-80 % scheduled, half of IV series unfinished, PHQ-9 response and remission). The inputs carry fake
PHI (names, phones, e-mails, dates of birth, free-text notes) that the pipeline must drop, and, unless
`bad_rows=False`, a counted handful of deliberately bad rows and one unreadable file.

Design notes:
- Locations are simulated one after another, each with its own `random.Random` (seeded from the seed and the
  location id), on a 15-minute slot calendar per chair, room and provider (bit masks), so no chair, room
  or provider is double-booked and chair utilization follows demand and capacity.
- Every appointment is a list of versions (booked, maybe rescheduled, then its outcome). A version is written
  to the creation month's export when it existed by that month's end, else to the weekly delta file whose
  week it falls in; a few older versions are sent again in a later delta file, as real feeds do.
- Rows are appended per location to their files, so memory holds one location's history at a time.
"""

from __future__ import annotations

import bisect
import calendar
import csv
import json
import math
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from clinicops.home import Home

PRACTICE_NAME = "Midlands Psychiatry & Ketamine Clinic"
TIMEZONE = "America/New_York"
ZONE = ZoneInfo(TIMEZONE)
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
FUTURE_DAYS = 42  # future bookings reach this far past end_date
SLOT = 15  # calendar granularity, minutes
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
INFUSIONS = ("ketamine_infusion", "booster_infusion", "esketamine_session")
IV_LADDER = (0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1.0)  # mg/kg by infusion number: most clinics titrate up

BOOKING_COLUMNS = (
    "appointment_id", "patient_id", "location_id", "provider_id", "resource_id", "appointment_type", "start",
    "duration_minutes", "end", "status", "created_at", "cancelled_at", "cancelled_by", "referral_source",
    "updated_at", "patient_first_name", "patient_last_name", "patient_dob", "patient_phone", "patient_email",
)
# the delta feed: another column order and an extra column, as a second export job would write it
CHANGE_COLUMNS = (
    "appointment_id", "updated_at", "status", "change_type", "start", "end", "duration_minutes", "location_id",
    "provider_id", "resource_id", "appointment_type", "patient_id", "created_at", "cancelled_at", "cancelled_by",
    "referral_source", "patient_last_name", "patient_first_name", "patient_dob", "patient_phone", "patient_email",
)
SESSION_COLUMNS = (
    "session_id", "appointment_id", "patient_id", "location_id", "chair_id", "provider_id", "chair_in",
    "infusion_start", "infusion_end", "chair_out", "medication", "route", "dose_mg", "weight_kg", "infusion_number",
    "bp_systolic_pre", "bp_diastolic_pre", "bp_systolic_max", "heart_rate_max", "spo2_min", "phq9_pre", "phq9_post",
    "gad7_pre", "adverse_events", "aborted", "notes", "updated_at",
)
REVIEW_CSV_COLUMNS = ("site", "review_id", "location_id", "rating", "published_at", "text")

# the bad values planted when bad_rows=True (tests read them from here)
BAD_START = "31/02/2026 25:00"
BAD_PROVIDER = "P-SMITHJ"  # a provider who left; not in the config
BAD_DURATION = "-30"
BAD_STATUS = "Bumped"
CORRUPT_SESSIONS_FILE = "sessions_corrupt.csv"
REVIEW_CSV_FILE = "reviews_healthgrades.csv"


@dataclass(frozen=True)
class PracticeSize:
    locations: int = 2
    months: int = 12  # history length ending at end_date
    patients_per_month: int = 60  # new patients per location per month (roughly)


@dataclass
class GenerateSummary:
    home: Path
    as_of: datetime  # tz-aware UTC: end_date 02:00 practice-local, the "now" of the demo
    files: dict[str, list[Path]]  # source -> files written (sorted), the unreadable one included
    bookings: int  # distinct appointments written (planted bad rows not included)
    sessions: int  # distinct sessions written to readable files
    reviews: int  # distinct reviews the pipeline can use (site, id), bad CSV rows not included
    bad_rows: dict[str, int]  # source -> rows planted to be quarantined
    unreadable_files: list[Path]
    rows: dict[str, int] = field(default_factory=dict)  # source -> data rows written to readable files
    patients: int = 0


# ---------------------------------------------------------------------------------------------------------
# the practice: locations, providers, closures (the config and the simulation read the same layout)


@dataclass(frozen=True)
class _Loc:
    id: str
    name: str
    area: str  # telephone area code
    hours: dict[str, str]
    chairs: tuple[str, ...]
    rooms: tuple[str, ...]
    intake: float  # share of size.patients_per_month
    note: str = ""


@dataclass(frozen=True)
class _Prov:
    id: str
    name: str
    location_id: str
    availability: dict[str, str]
    types: tuple[str, ...]
    note: str


_WEEK = {d: "08:00-17:00" for d in WEEKDAYS[:5]}
_MED = ("consultation", "med_management", "follow_up")
_TOWNS = (
    ("Charleston", "843"), ("Spartanburg", "864"), ("Rock Hill", "803"), ("Florence", "843"), ("Aiken", "803"),
    ("Myrtle Beach", "843"), ("Sumter", "803"), ("Anderson", "864"), ("Beaufort", "843"), ("Orangeburg", "803"),
    ("Lexington", "803"), ("Summerville", "843"), ("Greenwood", "864"), ("Hilton Head", "843"), ("Camden", "803"),
    ("Clemson", "864"), ("Conway", "843"), ("Newberry", "803"),
)
_STAFF = (
    "Adeyemi", "Bauer", "Chandra", "Delgado", "Eriksen", "Farrow", "Gallagher", "Haddad", "Iverson", "Jaramillo",
    "Kowalski", "Lindgren", "Mbeki", "Novak", "Oyelaran", "Pryor", "Quintero", "Rasmussen", "Sandoval", "Thornton",
    "Ueda", "Vance", "Wojcik", "Yamamoto", "Zeller", "Abernathy", "Bhatt", "Castellano", "Dunmore", "Esposito",
    "Fairbanks", "Gutierrez", "Halvorsen", "Ikeda", "Jablonski", "Kingsley", "Lowell", "Marchetti", "Nwosu",
    "Ostrowski", "Pemberton", "Rahman", "Saldana", "Tillman", "Underwood", "Villanueva", "Whitaker", "Xiong",
    "Yoder", "Zamora",
)


def _layout(size: PracticeSize) -> tuple[list[_Loc], list[_Prov]]:
    if size.locations < 1 or size.months < 1 or size.patients_per_month < 1:
        raise ValueError(f"a practice needs at least one location, month and patient, not {size}")
    locs = [
        _Loc("COL", "Columbia", "803", {**_WEEK, "sat": "09:00-13:00"},
             ("COL-CHAIR-1", "COL-CHAIR-2", "COL-CHAIR-3"), ("COL-ROOM-A", "COL-ROOM-B"), 1.5,
             "the main clinic; Saturday mornings are infusion-only"),
        _Loc("GVL", "Greenville", "864", dict(_WEEK), ("GVL-CHAIR-1", "GVL-CHAIR-2"), ("GVL-ROOM-A",), 1.0,
             "closed on Saturdays"),
    ][: size.locations]
    provs = [
        _Prov("P-OKAFOR", "Dr. Okafor", "COL",
              {"mon": "08:00-17:00", "tue": "08:00-12:00", "wed": "08:00-17:00", "fri": "08:00-17:00"},
              (*_MED, *INFUSIONS), "psychiatrist, medical director"),
        _Prov("P-BRENNAN", "Dr. Brennan", "COL",
              {"mon": "13:00-17:00", "tue": "08:00-17:00", "thu": "08:00-17:00", "fri": "12:00-17:00"},
              (*_MED, *INFUSIONS, "adhd_evaluation"), "psychiatrist"),
        _Prov("P-ALVAREZ", "R. Alvarez, PMHNP", "COL", {**_WEEK, "sat": "09:00-13:00"},
              ("med_management", "follow_up", *INFUSIONS), "psychiatric nurse practitioner"),
        _Prov("P-REYES", "Dr. Reyes", "COL",
              {"mon": "08:00-17:00", "tue": "08:00-17:00", "wed": "08:00-17:00", "thu": "08:00-17:00",
               "fri": "08:00-12:00", "sat": "09:00-13:00"}, INFUSIONS, "anesthesiologist, infusions only"),
        _Prov("P-HARGROVE", "Dr. Hargrove", "COL", {d: "08:00-17:00" for d in ("tue", "wed", "thu", "fri")},
              INFUSIONS, "anesthesiologist, infusions only"),
        _Prov("P-NAKAMURA", "Dr. Nakamura", "COL",
              {"mon": "08:00-17:00", "wed": "08:00-17:00", "thu": "08:00-17:00"},
              ("consultation", "follow_up", "child_psychiatry", "adhd_evaluation"), "child & adolescent psychiatrist"),
        _Prov("P-LINDQVIST", "Dr. Lindqvist", "COL", {d: "09:00-12:00, 13:00-17:00" for d in WEEKDAYS[:4]},
              ("therapy",), "psychologist (lunch break 12-13)"),
        _Prov("P-PATEL", "Dr. Patel", "GVL", {d: "08:00-16:00" for d in WEEKDAYS[:5]},
              (*_MED, *INFUSIONS, "adhd_evaluation"), "psychiatrist"),
        _Prov("P-WHITFIELD", "Dr. Whitfield", "GVL", {d: "08:00-17:00" for d in WEEKDAYS[1:5]},
              (*_MED, "child_psychiatry", "adhd_evaluation"), "psychiatrist, children and adults"),
        _Prov("P-IBARRA", "J. Ibarra, PMHNP", "GVL", dict(_WEEK),
              ("med_management", "follow_up", *INFUSIONS), "psychiatric nurse practitioner"),
        _Prov("P-HOLLOWAY", "Dr. Holloway", "GVL", {d: "08:00-17:00" for d in ("mon", "tue", "thu", "fri")},
              INFUSIONS, "anesthesiologist, infusions only"),
        _Prov("P-GREENE", "T. Greene, LCSW", "GVL", {d: "09:00-17:00" for d in ("mon", "tue", "thu")},
              ("therapy",), "clinical social worker"),
    ]
    for i in range(3, size.locations + 1):
        town, area = _TOWNS[(i - 3) % len(_TOWNS)]
        rnd = (i - 3) // len(_TOWNS)
        name = town if rnd == 0 else f"{town} {rnd + 1}"
        lid = f"L{i:02d}"
        chairs = tuple(f"{lid}-CHAIR-{k}" for k in range(1, 2 + i % 3 + 1))
        rooms = tuple(f"{lid}-ROOM-{'AB'[k]}" for k in range(1 + i % 2))
        hours = {**_WEEK, "sat": "09:00-13:00"} if i % 3 == 0 else dict(_WEEK)
        locs.append(_Loc(lid, name, area, hours, chairs, rooms, len(chairs) / 2.5))
        staff = []  # (id, surname): 50 surnames, then again with an initial
        for j in range(4 * (i - 3), 4 * (i - 2)):
            surname, again = _STAFF[j % len(_STAFF)], j // len(_STAFF)
            staff.append((f"P-{surname.upper()}{again + 1 if again else ''}",
                          f"{'ABCDEFGHJKLMNPRSTVW'[again % 19]}. {surname}" if again else surname))
        (md_id, md), (np_id, np_), (an_id, anes), (th_id, ther) = staff
        provs += [
            _Prov(md_id, f"Dr. {md}", lid, dict(_WEEK),
                  (*_MED, *INFUSIONS, "adhd_evaluation", "child_psychiatry"), "psychiatrist"),
            _Prov(np_id, f"{np_}, PMHNP", lid, dict(hours),
                  ("med_management", "follow_up", *INFUSIONS), "psychiatric nurse practitioner"),
            _Prov(an_id, f"Dr. {anes}", lid, dict(hours), INFUSIONS, "infusions only"),
            _Prov(th_id, f"{ther}, LPC", lid, {d: "09:00-17:00" for d in WEEKDAYS[:4]}, ("therapy",), "counselor"),
        ]
    known = {loc.id for loc in locs}
    return locs, [p for p in provs if p.location_id in known]


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _period(end_date: date, months: int) -> tuple[date, date]:
    """(first day of the history, last day a future booking may fall on)."""
    return _add_months(end_date, -months), end_date + timedelta(days=FUTURE_DAYS)


def _observed(d: date) -> date:
    return d - timedelta(days=1) if d.weekday() == 5 else d + timedelta(days=1) if d.weekday() == 6 else d


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _holidays(year: int) -> list[tuple[date, str]]:
    last_may = date(year, 5, 31)
    return [
        (_observed(date(year, 1, 1)), "New Year's Day"),
        (last_may - timedelta(days=last_may.weekday()), "Memorial Day"),
        (_observed(date(year, 7, 4)), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving"),
        (_observed(date(year, 12, 25)), "Christmas"),
    ]


def _closures(loc: _Loc, first: date, last: date) -> list[date]:
    """US holidays (observed) from first to last; all but Columbia also close the day after Thanksgiving."""
    days = []
    for year in range(first.year, last.year + 1):
        for d, name in _holidays(year):
            days.append(d)
            if name == "Thanksgiving" and loc.id != "COL":
                days.append(d + timedelta(days=1))
    return sorted({d for d in days if first <= d <= last})


# ---------------------------------------------------------------------------------------------------------
# the configuration

_REFERRALS: dict[str, tuple[str, ...]] = {  # canonical source -> the variants the generator types
    "google": ("Google", "google search", " GOOGLE ", "google maps", "Google Ads", "googled you"),
    "yelp": ("yelp!", "Yelp", "yelp review"),
    "psychology_today": ("Psychology Today", "psych today", "PsychologyToday.com"),
    "physician_referral": ("dr. smith referral", "PCP", "pcp referral", "Dr referral", "primary care doctor",
                           "referred by Dr. Lee"),
    "therapist_referral": ("my therapist", "Therapist", "therapist referral", "counselor"),
    "friend_family": ("friend", "Friend", "family member", "word of mouth", "my sister"),
    "insurance_directory": ("BCBS directory", "insurance website", "Aetna"),
    "social_media": ("Instagram", "instagram ad", "Facebook", "FB", "TikTok"),
    "website": ("website", "clinic website", "online"),
    "returning_patient": ("returning patient", "existing patient"),
}
_UNMAPPED = ("saw a billboard", "radio ad", "NAMI walk", "news story")  # left out of the config: 'other'
_REFERRAL_WEIGHTS = {  # first-touch mix
    "google": 26, "yelp": 4, "psychology_today": 12, "physician_referral": 16, "therapist_referral": 10,
    "friend_family": 9, "insurance_directory": 4, "social_media": 5, "website": 4, "returning_patient": 2,
    "other": 2, "unknown": 6,
}
_TYPE_WORDS = {  # synonyms some rows use instead of the canonical type
    "ketamine_infusion": "IV Ketamine",
    "booster_infusion": "Ketamine Booster",
    "esketamine_session": "Spravato",
    "med_management": "Med Check",
    "consultation": "New Patient Consult",
}
_YELP_ID = "midlands-psychiatry__columbia"  # contains "__": the file-naming rule must cope
_GBP_ACCOUNT = "accounts/1098234756"
_GBP_LOCATION = "4729384756"


def _place_id(loc_id: str) -> str:
    rng = random.Random(f"place:{loc_id}")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"
    return "ChIJ" + "".join(rng.choice(alphabet) for _ in range(23))


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _inline(table: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{k} = {_toml_str(v)}" for k, v in table.items()) + " }"


def demo_config_toml(size: PracticeSize = PracticeSize(), *, end_date: date | None = None) -> str:
    """The commented `clinicops.toml` of the demo practice (closures cover the years of the period ending at
    end_date, default today)."""
    locs, provs = _layout(size)
    end_date = end_date or date.today()
    first, last = _period(end_date, size.months)
    out = [
        "# clinicops.toml: the configuration of one practice (written by `clinicops demo` / `clinicops generate`).",
        "# Validated on every run; a bad key is refused with a message that names it.",
        "# Review-site API keys never go here: they come from the environment (CLINICOPS_YELP_API_KEY,",
        "# CLINICOPS_GOOGLE_API_KEY, CLINICOPS_GOOGLE_BUSINESS_PROFILE_TOKEN) or a Prefect Secret block.",
        "",
        "[practice]",
        f"name = {_toml_str(PRACTICE_NAME)}",
        f'timezone = "{TIMEZONE}"      # IANA zone; naive timestamps in the exports are local to it',
        "late_cancel_hours = 24                 # a patient cancellation less than this before start is late",
        "series_size = 6                        # infusions that make a completed IV ketamine series",
        "series_window_days = 42                # ... within this many days of the first infusion (day 0)",
        "",
        "# Locations: closures are local dates the location is closed; a weekday missing from `hours` is closed.",
        "# Resources are the chairs (infusions) and rooms (visits) whose utilization is reported.",
    ]
    for loc in locs:
        closures = _closures(loc, first, last)
        out += [
            "",
            "[[locations]]",
            f'id = "{loc.id}"',
            f"name = {_toml_str(loc.name)}" + (f"   # {loc.note}" if loc.note else ""),
            "closures = [  # US holidays (observed)" + ("; also the day after Thanksgiving" if loc.id != "COL" else ""),
        ]
        for i in range(0, len(closures), 6):
            out.append("  " + ", ".join(f'"{d.isoformat()}"' for d in closures[i:i + 6]) + ",")
        out += [
            "]",
            f"hours = {_inline(loc.hours)}",
            "resources = [",
            *(f'  {{ id = "{c}", kind = "chair" }},' for c in loc.chairs),
            *(f'  {{ id = "{r}", kind = "room" }},' for r in loc.rooms),
            "]",
        ]
    out += [
        "",
        "# Providers: weekly availability (a list or comma-separated spans for a day with a break).",
        "# Staff names are not PHI.",
    ]
    for p in provs:
        out += [
            "",
            "[[providers]]",
            f'id = "{p.id}"',
            f"name = {_toml_str(p.name)}   # {p.note}",
            f'location_id = "{p.location_id}"',
            f"availability = {_inline(p.availability)}",
        ]
    out += [
        "",
        "# Referral sources: canonical source = the free-text variants typed at intake (compared case- and",
        "# space-insensitively). Anything unmapped counts as 'other', an empty value as 'unknown'.",
        "[referral_sources]",
    ]
    for source, variants in _REFERRALS.items():
        words = list(dict.fromkeys(v.strip().lower() for v in variants))
        out.append(f"{source} = [{', '.join(_toml_str(w) for w in words)}]")
    out += [
        "",
        "# More words for the canonical appointment types, as the scheduling system names them.",
        "[appointment_types]",
        *(f"{_toml_str(word)} = \"{canonical}\"" for canonical, word in _TYPE_WORDS.items()),
        "",
        "# Review sites: location id = the site's id for it. Yelp's and Google Places' terms restrict storing",
        "# review text, so it is kept only with keep_review_text = true. Where a location has a Business Profile,",
        "# that wins over its Places data. `api_base = \"http://127.0.0.1:PORT\"` points a site at a test server.",
        "[review_sites]",
        "keep_review_text = false",
        "",
        "[review_sites.yelp]                     # Yelp business id or alias",
        f'COL = "{_YELP_ID}"',
        "",
        "[review_sites.google]                   # Google place id",
        *(f'{loc.id} = "{_place_id(loc.id)}"' for loc in locs),
        "",
        "[review_sites.google_business_profile]  # the number L of accounts/A/locations/L",
        f'account = "{_GBP_ACCOUNT}"',
        f'COL = "{_GBP_LOCATION}"',
        "",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------
# fake people

_FIRST = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
    "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen", "Daniel", "Lisa",
    "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Donald", "Ashley", "Steven", "Kimberly", "Andrew",
    "Emily", "Joshua", "Donna", "Kevin", "Michelle", "Brian", "Carol", "Tyrone", "Amanda", "Jamal", "Melissa",
    "Luis", "Deborah", "Marcus", "Stephanie", "Andre", "Rebecca", "Hannah", "Keisha", "Caleb", "Olivia", "Wyatt",
    "Priya", "Mateo", "Aaliyah", "Renee", "Dwayne",
)
_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Pinckney", "Gadsden", "Middleton", "Legare",
    "Huger", "Rutledge", "Simmons", "Washington", "McCray", "Brockington",
)
_MAIL = ("example.com", "example.net", "example.org", "mail.example.com")


class _Patient:
    __slots__ = ("id", "first", "last", "dob", "phone", "email", "weight", "noshows", "referral", "phq_base",
                 "phq_final", "charted", "series_done", "gad7", "provider", "pref")

    def __init__(self, pid: str, rng: random.Random, area: str, today: date, child: bool):
        self.id = pid
        self.first = rng.choice(_FIRST)
        self.last = rng.choice(_LAST)
        age = rng.randint(6, 17) if child else min(78, max(18, int(rng.gauss(39, 13))))
        self.dob = today - timedelta(days=age * 365 + rng.randint(0, 364))
        self.phone = f"({area}) 555-01{rng.randint(0, 99):02d}"
        user = f"{self.first}.{self.last}" if rng.random() < 0.5 else f"{self.first[0]}{self.last}{rng.randint(1, 99)}"
        self.email = f"{user.lower()}@{rng.choice(_MAIL)}" if rng.random() < 0.85 else ""
        self.weight = round(min(130.0, max(50.0, rng.gauss(84, 17))), 1)
        self.noshows: list[datetime] = []  # starts of the appointments missed
        self.referral = ""
        self.phq_base = rng.randint(14, 25)
        r = rng.random()
        if r < 0.29:  # remits: < 5
            self.phq_final = rng.randint(1, 4)
        elif r < 0.54:  # responds: a drop of at least half
            self.phq_final = rng.randint(5, self.phq_base // 2)
        else:
            self.phq_final = rng.randint(math.ceil(self.phq_base * 0.55), self.phq_base)
        self.charted = 0  # sessions charted (infusion_number)
        self.series_done = 0  # completed, not aborted infusions
        self.gad7 = rng.randint(6, 18)
        self.provider = ""
        self.pref = 0


# ---------------------------------------------------------------------------------------------------------
# the slot calendar


def _span_minutes(text: str) -> list[tuple[int, int]]:
    spans = []
    for part in text.split(","):
        a, b = part.strip().split("-")
        spans.append((int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])))
    return spans


def _week_masks(week: dict[str, str]) -> list[int]:
    masks = [0] * 7
    for i, day in enumerate(WEEKDAYS):
        for s, e in _span_minutes(week[day]) if day in week else []:
            for slot in range(-(-s // SLOT), e // SLOT):
                masks[i] |= 1 << slot
    return masks


class _Calendar:
    """Busy 15-minute slots per (chair, room or provider, date), as integer bit masks."""

    def __init__(self, loc: _Loc, provs: list[_Prov], closures: list[date]):
        self.loc = loc
        self.hours = _week_masks(loc.hours)
        self.closed = frozenset(closures)
        self.avail = {p.id: _week_masks(p.availability) for p in provs}
        self.busy: dict[tuple[str, date], int] = {}
        self._orders: dict[tuple[int, int], list[int]] = {}

    def open_mask(self, d: date) -> int:
        return 0 if d in self.closed else self.hours[d.weekday()]

    def _order(self, pref: int, step: int) -> list[int]:
        """Slots by distance from the preferred one, on a grid of `step` slots."""
        key = (pref, step)
        if key not in self._orders:
            self._orders[key] = sorted(range(0, 96, step), key=lambda s: (abs(s - pref), s))
        return self._orders[key]

    def free(self, key: str, d: date, mask: int) -> bool:
        return not self.busy.get((key, d), 0) & mask

    def hold(self, key: str, d: date, mask: int) -> None:
        self.busy[(key, d)] = self.busy.get((key, d), 0) | mask

    def release(self, key: str, d: date, mask: int) -> None:
        self.busy[(key, d)] = self.busy.get((key, d), 0) & ~mask

    def place(self, *, duration: int, target: date, earliest: datetime, last_day: date, pref: int,
              providers: list[str], chairs: tuple[str, ...], rooms: tuple[str, ...],
              step: int) -> tuple[datetime, str, str] | None:
        """The first free (start, provider, resource) from `target` on, nearest the preferred slot; None when
        nothing is free within three weeks. Chairs are required when given; a room is taken when one is free."""
        need = (1 << -(-duration // SLOT)) - 1
        for offset in range(21):
            d = target + timedelta(days=offset)
            if d > last_day:
                return None
            open_ = self.open_mask(d)
            if not open_ or d < earliest.date():
                continue
            min_slot = -(-(earliest.hour * 60 + earliest.minute + 30) // SLOT) if d == earliest.date() else 0
            wd = d.weekday()
            # free slots per provider and chair that day; `usable` is a quick necessary condition
            pfree = [(p, open_ & self.avail[p][wd] & ~self.busy.get((p, d), 0)) for p in providers]
            usable = 0
            for _, f in pfree:
                usable |= f
            cfree = [(c, open_ & ~self.busy.get((c, d), 0)) for c in chairs]
            if chairs:
                any_chair = 0
                for _, f in cfree:
                    any_chair |= f
                usable &= any_chair
            for s in self._order(pref, step):
                m = need << s
                if s < min_slot or usable & m != m:
                    continue
                prov = next((p for p, f in pfree if f & m == m), None)
                if prov is None:
                    continue
                res = next((c for c, f in cfree if f & m == m), None)
                if chairs and res is None:
                    continue
                if not chairs:
                    res = next((r for r in rooms if self.free(r, d, m)), "")
                self.hold(prov, d, m)
                if res:
                    self.hold(res, d, m)
                start = datetime.combine(d, time()) + timedelta(minutes=s * SLOT)
                return start, prov, res
        return None


# ---------------------------------------------------------------------------------------------------------
# appointments and their versions


class _Version:
    __slots__ = ("updated", "start", "word", "cancelled_at", "cancelled_by", "offset", "change")

    def __init__(self, updated: datetime, start: datetime, word: str, change: str, *,
                 cancelled_at: datetime | None = None, cancelled_by: str = "", offset: bool = False):
        self.updated, self.start, self.word, self.change = updated, start, word, change
        self.cancelled_at, self.cancelled_by, self.offset = cancelled_at, cancelled_by, offset


class _Appt:
    __slots__ = ("id", "patient", "location", "atype", "type_word", "provider", "resource", "start", "duration",
                 "created", "referral", "use_end", "versions", "outcome", "event_time")

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration)


class _Ids:
    def __init__(self):
        self.appointment = 4_100_000
        self.patient = 100_000
        self.session = 0

    def next(self, kind: str) -> int:
        value = getattr(self, kind) + 1
        setattr(self, kind, value)
        return value


def _waking(t: datetime, rng: random.Random, *, later: bool = False) -> datetime:
    """A night-time moment (22:00-06:59) moved into waking hours, so no event falls in a DST-ambiguous hour:
    back to the evening before (17:00-21:59), or with `later` on to the next morning (07:00-10:59)."""
    if 7 <= t.hour < 22:
        return t
    day = t.date() if t.hour >= 22 else t.date() - timedelta(days=1)
    if later:
        return datetime.combine(day + timedelta(days=1), time(rng.randint(7, 10), rng.randint(0, 59)))
    return datetime.combine(day, time(rng.randint(17, 21), rng.randint(0, 59)))


def _between(rng: random.Random, a: datetime, b: datetime) -> datetime:
    return a + timedelta(seconds=rng.randint(0, max(0, int((b - a).total_seconds()))))


_DURATION = {
    "consultation": 60, "ketamine_infusion": 105, "booster_infusion": 105, "esketamine_session": 150,
    "med_management": 20, "therapy": 50, "adhd_evaluation": 120, "child_psychiatry": 30, "follow_up": 30,
}
_ROOM_SHARE = {  # visits held in a room (the rest are telehealth, no resource)
    "consultation": 0.8, "med_management": 0.5, "follow_up": 0.5, "therapy": 0.7, "adhd_evaluation": 0.9,
    "child_psychiatry": 0.8,
}
_NOSHOW_TYPE = {
    "consultation": 1.25, "ketamine_infusion": 0.6, "booster_infusion": 0.9, "esketamine_session": 0.5,
    "med_management": 1.1, "therapy": 1.2, "adhd_evaluation": 1.0, "child_psychiatry": 0.9, "follow_up": 1.25,
}
_REBOOK = {t: 0.9 if t in INFUSIONS else 0.6 for t in _DURATION}
_KINDS = (("ketamine", 46), ("esketamine", 12), ("med", 24), ("therapy", 8), ("adhd", 5), ("child", 5))


def _p_noshow(lead_days: int, prior: bool, atype: str) -> float:
    """No-show chance rising with lead time (31+ days vs same day: odds ratio about 5.5) and after a prior
    no-show (odds x 4)."""
    base = 0.015 if lead_days <= 0 else 0.032 if lead_days <= 7 else 0.05 if lead_days <= 14 else (
        0.065 if lead_days <= 30 else 0.08)
    p = min(0.6, base * _NOSHOW_TYPE[atype])
    if prior:
        odds = 4 * p / (1 - p)
        p = odds / (1 + odds)
    return p


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class _Sim:
    """One location's history: patients arrive, book, come, miss, cancel, rebook, sit in chairs."""

    def __init__(self, loc: _Loc, provs: list[_Prov], closures: list[date], rng: random.Random, ids: _Ids,
                 as_of: datetime, last_day: date, today: date):
        self.loc, self.rng, self.ids, self.as_of, self.last_day, self.today = loc, rng, ids, as_of, last_day, today
        self.cal = _Calendar(loc, provs, closures)
        self.by_type = {t: [p.id for p in provs if t in p.types] for t in _DURATION}
        self.appts: list[_Appt] = []
        self.sessions: list[dict] = []
        self.patients = 0

    # -- words
    def _word(self, outcome: str) -> str:
        r = self.rng.random()
        if outcome == "booked":
            return "Scheduled" if r < 0.55 else "Confirmed" if r < 0.85 else "booked"
        if outcome == "fulfilled":
            return "Completed" if r < 0.7 else "fulfilled"
        if outcome == "noshow":
            return "No Show" if r < 0.7 else "noshow"
        return "Canceled" if r < 0.55 else "cancelled" if r < 0.8 else "Cancelled"

    def _later_referral(self, p: _Patient) -> str:
        r = self.rng.random()
        return p.referral if r < 0.1 else "existing patient" if r < 0.13 else ""

    # -- booking
    def book(self, p: _Patient, atype: str, created: datetime, target: date, *, duration: int | None = None,
             referral: str | None = None) -> _Appt | None:
        if created >= self.as_of:
            return None
        rng = self.rng
        duration = duration or _DURATION[atype]
        providers = self.by_type[atype]
        if not providers:
            return None
        if p.provider in providers:
            providers = [p.provider] + [x for x in providers if x != p.provider]
        infusion = atype in INFUSIONS
        rooms = self.loc.rooms if not infusion and rng.random() < _ROOM_SHARE[atype] else ()
        placed = self.cal.place(duration=duration, target=max(target, created.date()), earliest=created,
                                last_day=self.last_day, pref=p.pref if infusion else rng.randint(32, 64),
                                providers=providers, chairs=self.loc.chairs if infusion else (), rooms=rooms,
                                step=1)
        if placed is None:
            return None
        a = _Appt()
        a.id = str(self.ids.next("appointment"))
        a.patient, a.location, a.atype = p, self.loc.id, atype
        a.type_word = _TYPE_WORDS[atype] if atype in _TYPE_WORDS and rng.random() < 0.15 else atype
        a.start, a.provider, a.resource = placed
        a.duration, a.created = duration, created
        a.referral = self._later_referral(p) if referral is None else referral
        a.use_end = rng.random() < 0.04
        if not p.provider and not infusion:
            p.provider = a.provider
        self._decide(a, p)
        self.appts.append(a)
        return a

    def _decide(self, a: _Appt, p: _Patient) -> None:
        """The appointment's versions and its outcome as known at as_of."""
        rng, start, created = self.rng, a.start, a.created
        off = rng.random() < 0.08
        versions = [_Version(created, start, self._word("booked"), "created", offset=off)]
        lead_days = (start.date() - created.date()).days
        if lead_days >= 4 and rng.random() < 0.07:  # rescheduled once: the first booking was on another day
            orig = start + timedelta(days=rng.choice((-7, -3, -2, -1, 1, 2, 3, 7, 14)))
            t_latest = min(orig, start) - timedelta(hours=24)
            if orig.date() > created.date() + timedelta(days=1) and self.cal.open_mask(orig.date()) \
                    and t_latest > created + timedelta(hours=2):
                t = _waking(_between(rng, created + timedelta(hours=1), t_latest), rng)
                if created < t < self.as_of:  # (a move not yet made would leave the old slot visible)
                    versions[0].start = orig
                    versions.append(_Version(t, start, self._word("booked"), "rescheduled", offset=off))
        last = versions[-1].updated
        slot_mask = (1 << -(-a.duration // SLOT)) - 1
        slot_mask <<= (start.hour * 60 + start.minute) // SLOT

        def release() -> None:  # a cancellation frees the slot, once it has happened
            if event > self.as_of:
                return
            self.cal.release(a.provider, start.date(), slot_mask)
            if a.resource:
                self.cal.release(a.resource, start.date(), slot_mask)

        outcome, event, r = "", None, rng.random()
        hours_ahead = (start - last).total_seconds() / 3600
        if r < 0.004:
            event = last + timedelta(minutes=rng.randint(2, 240))
            if not 7 <= event.hour < 22:
                event = last + timedelta(minutes=rng.randint(2, 20))
            versions.append(_Version(event, start, "entered-in-error", "status_change", offset=off))
            outcome = "excluded"
            release()
        elif r < 0.016 and hours_ahead > 3:
            event = _waking(_between(rng, last + timedelta(hours=1), start - timedelta(hours=2)), rng)
            event = max(event, last + timedelta(minutes=5))
            versions.append(_Version(event, start, "Clinician Canceled", "status_change", offset=off,
                                     cancelled_at=event, cancelled_by="clinic" if rng.random() < 0.8 else ""))
            outcome = "clinic_cancel"
            release()
        elif r < 0.091 and hours_ahead > 26:
            event = _waking(_between(rng, last + timedelta(hours=1), start - timedelta(hours=25)), rng)
            event = max(event, last + timedelta(minutes=30))
            known = rng.random() < 0.88
            versions.append(_Version(event, start, self._word("cancelled"), "status_change", offset=off,
                                     cancelled_at=event if known else None,
                                     cancelled_by="patient" if rng.random() < 0.5 else ""))
            outcome = "early_cancel"
            release()
        elif r < 0.129 and hours_ahead > 1:
            if rng.random() < 0.06:  # called after the start
                event = start + timedelta(minutes=rng.randint(10, 50))
            else:
                event = _waking(start - timedelta(minutes=rng.randint(60, 23 * 60)), rng)
                if event >= start or event <= last:
                    event = last + timedelta(minutes=5)
            says_late = rng.random() < 0.55
            versions.append(_Version(event, start, "Late Cancel" if says_late else self._word("cancelled"),
                                     "status_change", offset=off,
                                     cancelled_at=None if says_late and rng.random() < 0.3 else event,
                                     cancelled_by="patient" if rng.random() < 0.5 else ""))
            outcome = "late_cancel"
        elif rng.random() < _p_noshow(lead_days, any(t < start for t in p.noshows), a.atype):
            event = start + timedelta(minutes=rng.randint(15, 120))
            versions.append(_Version(event, start, self._word("noshow"), "status_change", offset=off))
            outcome = "no_show"
        elif start < self.as_of and rng.random() < 0.005:
            outcome = "unresolved"  # nobody closed it
        else:
            event = a.end + timedelta(minutes=rng.randint(5, 180))
            versions.append(_Version(event, start, self._word("fulfilled"), "status_change", offset=off))
            outcome = "completed"
        a.versions = [v for v in versions if v.updated <= self.as_of]
        a.event_time = event
        if a.versions[-1].change == "status_change":
            a.outcome = outcome
            if outcome == "no_show":
                p.noshows.append(start)
        else:
            a.outcome = "upcoming" if start >= self.as_of else "unresolved"

    def attend(self, p: _Patient, atype: str, created: datetime, target: date, *, duration: int | None = None,
               referral: str | None = None) -> _Appt | None:
        """Book until the patient comes (then return that appointment) or gives up / the history ends (None)."""
        rng = self.rng
        for _ in range(4):
            a = self.book(p, atype, created, target, duration=duration, referral=referral)
            if a is None or a.outcome in ("upcoming",):
                return None
            if a.outcome in ("completed", "unresolved"):
                return a
            if a.outcome == "excluded":  # entered in error: re-entered at once, intake referral and all
                created = a.versions[-1].updated + timedelta(minutes=1)
                target = a.start.date()
                continue
            if rng.random() > _REBOOK[atype] or a.event_time is None:
                return None
            referral = None
            created = _waking(a.event_time + timedelta(hours=rng.uniform(0.2, 48)), rng, later=True)
            target = max(created.date(), a.start.date()) + timedelta(days=rng.randint(1, 7))
        return None

    def _after(self, a: _Appt, days: tuple[int, int]) -> tuple[datetime, date]:
        """A booking made at checkout of `a`, for a day `days` later."""
        created = a.end + timedelta(minutes=self.rng.randint(3, 25))
        return created, a.start.date() + timedelta(days=self.rng.randint(*days))

    # -- journeys
    def patient(self, contact: datetime) -> None:
        rng = self.rng
        kind = rng.choices([k for k, _ in _KINDS], [w for _, w in _KINDS])[0]
        self.patients += 1
        p = _Patient(str(self.ids.next("patient")), rng, self.loc.area, self.today, kind == "child")
        p.pref = rng.choice((32, 34, 36, 38, 40, 42, 44, 48, 50, 52, 54, 56, 58))
        source = rng.choices(list(_REFERRAL_WEIGHTS), list(_REFERRAL_WEIGHTS.values()))[0]
        p.referral = ("" if source == "unknown" else rng.choice(_UNMAPPED) if source == "other"
                      else rng.choice(_REFERRALS[source]))
        lead = 0 if rng.random() < 0.12 else rng.randint(1, 21)
        first_day = contact.date() + timedelta(days=lead)
        if kind == "adhd":
            a = self.attend(p, "adhd_evaluation", contact, contact.date() + timedelta(days=rng.randint(7, 45)),
                            referral=p.referral)
            if a and rng.random() < 0.75:
                self._med_track(p, a, first=(14, 35))
            return
        if kind == "child":
            a = self.attend(p, "child_psychiatry", contact, contact.date() + timedelta(days=rng.randint(5, 30)),
                            duration=60, referral=p.referral)
            while a and rng.random() < 0.88:
                a = self.attend(p, "child_psychiatry", *self._after(a, (28, 56)))
            return
        if kind == "therapy" and rng.random() < 0.6:
            a = self.attend(p, "therapy", contact, first_day, duration=60, referral=p.referral)
        else:
            a = self.attend(p, "consultation", contact, first_day, referral=p.referral)
        if a is None:
            return
        if kind == "ketamine" and rng.random() < 0.85:
            self._ketamine(p, a)
        elif kind == "ketamine":
            self._med_track(p, a, first=(14, 28))
        elif kind == "esketamine":
            self._esketamine(p, a)
        elif kind == "med":
            if rng.random() < 0.3:
                self.attend(p, "follow_up", *self._after(a, (7, 14)))
            self._med_track(p, a, first=(21, 35))
        else:
            interval = rng.choice((7, 7, 14))
            for _ in range(rng.randint(4, 20)):
                a = self.attend(p, "therapy", *self._after(a, (interval, interval)))
                if a is None:
                    break

    def _med_track(self, p: _Patient, a: _Appt, first: tuple[int, int]) -> None:
        a = self.attend(p, "med_management", *self._after(a, first), duration=30)
        while a and self.rng.random() < 0.88:
            a = self.attend(p, "med_management", *self._after(a, (28, 56)),
                            duration=20 if self.rng.random() < 0.75 else 30)

    def _infusion(self, p: _Patient, atype: str, created: datetime, target: date, *,
                  duration: int | None = None) -> _Appt | None:
        a = self.attend(p, atype, created, target, duration=duration)
        if a is not None and a.outcome == "completed":
            self._session(a, p)
        return a

    def _ketamine(self, p: _Patient, consult: _Appt) -> None:
        rng = self.rng
        r = rng.random()
        goal = 1 if r < 0.2 else rng.randint(2, 5) if r < 0.45 else 6  # one in five stop after the first
        a: _Appt | None = consult
        created, target = self._after(consult, (3, 14))
        last = None
        while a is not None and p.series_done < goal and p.charted < goal + 3:
            a = self._infusion(p, "ketamine_infusion", created, target, duration=120 if p.charted == 0 else 105)
            if a is not None:
                last = a
                created, target = self._after(a, (2, 4))
        if last is None or p.series_done < 6:
            return
        if rng.random() < 0.5:
            self.attend(p, "follow_up", *self._after(last, (7, 21)))
        if rng.random() < 0.55:  # boosters every 4-6 weeks
            a = last
            while a is not None:
                a = self._infusion(p, "booster_infusion", *self._after(a, (28, 42)))
                if rng.random() < 0.18:
                    break

    def _esketamine(self, p: _Patient, consult: _Appt) -> None:
        """Spravato: twice weekly for 4 weeks, weekly for 4, then weekly or every other week."""
        rng = self.rng
        maintenance = rng.choice((7, 14, 14))
        a = consult
        created, target = self._after(consult, (5, 14))
        a = self._infusion(p, "esketamine_session", created, target)
        n = 1
        while a is not None and rng.random() > (0.03 if n < 12 else 0.08):
            gap = (3, 4) if n < 8 else (7, 7) if n < 12 else (maintenance, maintenance)
            a = self._infusion(p, "esketamine_session", *self._after(a, gap))
            n += 1
            if n == 3 and a is not None:
                self._med_track(p, a, first=(21, 35))

    # -- the chair
    def _session(self, a: _Appt, p: _Patient) -> None:
        rng = self.rng
        iv = a.atype != "esketamine_session"
        p.charted += 1
        aborted = rng.random() < 0.03
        settle = rng.randint(0, 5)  # in the chair within the booked slot: logs of one chair never overlap
        chair_in = a.start + timedelta(minutes=settle)
        if iv:  # 40-minute infusion; chair time 75-110 minutes
            total = rng.randint(75, min(110, a.duration - settle))
            lead, length = rng.randint(8, 18), rng.randint(38, 42)
        else:  # REMS: monitored for at least two hours after the dose
            total, lead, length = rng.randint(135, a.duration - settle), rng.randint(8, 12), rng.randint(8, 12)
        inf_start = chair_in + timedelta(minutes=lead)
        inf_end: datetime | None = inf_start + timedelta(minutes=length)
        chair_out = chair_in + timedelta(minutes=total)
        if aborted:
            inf_end = inf_start + timedelta(minutes=rng.randint(5, 25)) if rng.random() < 0.6 else None
            chair_out = (inf_end or inf_start) + timedelta(minutes=rng.randint(15, 40))
        else:
            p.series_done += 1
        k = p.series_done if not aborted else p.series_done + 1
        if iv:
            progress = min(1.0, (k - 1) / 5)
        else:
            progress = min(1.0, (k - 1) / 8)
        exact = progress >= 1.0
        phq = round(p.phq_base + (p.phq_final - p.phq_base) * progress) + (0 if exact else rng.randint(-2, 2))
        phq = max(0, min(27, phq))
        sys_pre, dia_pre = rng.randint(108, 142), rng.randint(66, 92)
        sys_max = sys_pre + rng.randint(5, 30)
        events = [e for e, chance in (("nausea", 0.12), ("dissociation", 0.25), ("dizziness", 0.08),
                                      ("headache", 0.06), ("anxiety", 0.04)) if rng.random() < chance]
        if sys_max >= 160:
            events.append("hypertension")
        if aborted and not events:
            events.append(rng.choice(("vomiting", "anxiety", "hypertension")))
        if iv:
            level = IV_LADDER[min(p.charted - 1, len(IV_LADDER) - 1)]
            weight = round(min(130.0, max(50.0, p.weight + rng.gauss(0, 0.6))), 1)
            dose, weight_text = round(weight * level, 1), weight
        else:
            dose = 56 if p.charted <= 2 or rng.random() < 0.2 else 84
            weight_text = p.weight if rng.random() < 0.3 else ""
        notes = self._note(p, events, sys_max, dia_pre)
        sid = self.ids.next("session")
        self.sessions.append({
            "session_id": f"SES-{sid:07d}",
            "appointment_id": a.id if rng.random() > 0.02 else "",
            "patient_id": p.id,
            "location_id": a.location,
            "chair_id": a.resource,
            "provider_id": a.provider,
            "chair_in": chair_in,
            "infusion_start": inf_start,
            "infusion_end": inf_end,
            "chair_out": chair_out,
            "medication": "ketamine" if iv else "esketamine",
            "route": "IV" if iv else "IN",
            "dose_mg": dose,
            "weight_kg": weight_text,
            "infusion_number": p.charted,
            "bp_systolic_pre": sys_pre,
            "bp_diastolic_pre": dia_pre,
            "bp_systolic_max": sys_max,
            "heart_rate_max": rng.randint(72, 112),
            "spo2_min": rng.randint(93, 99),
            "phq9_pre": phq,
            "phq9_post": max(0, phq - rng.randint(0, 5)) if rng.random() < 0.6 else "",
            "gad7_pre": max(0, p.gad7 - round(progress * rng.randint(0, 6))),
            "adverse_events": ";".join(events),
            "aborted": aborted,
            "notes": notes,
            "updated_at": chair_out + timedelta(minutes=rng.randint(5, 90)),
        })

    def _note(self, p: _Patient, events: list[str], sys_max: int, dia: int) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.08:
            return f"Pt {p.first} {p.last} called from {p.phone.replace('(', '').replace(') ', '-')} re: nausea"
        if r < 0.12:
            return f"Ride home: {rng.choice(_FIRST)} {p.last} ({rng.choice(('spouse', 'mother', 'son'))}), {p.phone}"
        if r < 0.14 and p.email:
            return f"Sent after-visit summary to {p.email}"
        if "hypertension" in events:
            return f"BP {sys_max}/{dia + rng.randint(4, 12)} at 20 min, rechecked WNL before discharge."
        if "nausea" in events:
            return "Mild nausea, ondansetron 4 mg given. Tolerated well otherwise."
        if r < 0.45:
            return rng.choice(("Tolerated well.", "Reports better sleep since last session.",
                               "Dissociation moderate, resolved by chair out.", "Music and eye mask, calm throughout.",
                               "Pt asked about boosters; discussed schedule.", "Driver confirmed at check-in."))
        return ""


# ---------------------------------------------------------------------------------------------------------
# writing


class _Sinks:
    """Files written by this run: the first write truncates and writes the header, later writes append."""

    def __init__(self):
        self.started: set[Path] = set()
        self.rows: dict[Path, int] = {}

    def csv(self, path: Path, columns: tuple[str, ...], rows: list[dict], *, bom: bool = False,
            crlf: bool = False) -> None:
        first = path not in self.started
        with open(path, "w" if first else "a", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=columns, lineterminator="\r\n" if crlf else "\n", extrasaction="ignore")
            if first:
                if bom:
                    f.write("\ufeff")
                w.writeheader()
            w.writerows(rows)
        self.started.add(path)
        self.rows[path] = self.rows.get(path, 0) + len(rows)

    def jsonl(self, path: Path, rows: list[dict]) -> None:
        first = path not in self.started
        with open(path, "w" if first else "a", encoding="utf-8", newline="") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.started.add(path)
        self.rows[path] = self.rows.get(path, 0) + len(rows)


def _fmt(t: datetime | None, offset: bool, *, minutes: bool = False) -> str:
    if t is None:
        return ""
    if offset:
        return t.replace(tzinfo=ZONE).isoformat(timespec="seconds")
    return t.strftime("%Y-%m-%d %H:%M" if minutes else "%Y-%m-%d %H:%M:%S")


def _booking_row(a: _Appt, v: _Version, change: str = "") -> dict:
    p = a.patient
    end = v.start + timedelta(minutes=a.duration)
    return {
        "appointment_id": a.id,
        "patient_id": p.id,
        "location_id": a.location,
        "provider_id": a.provider,
        "resource_id": a.resource,
        "appointment_type": a.type_word,
        "start": _fmt(v.start, v.offset, minutes=True),
        "duration_minutes": "" if a.use_end else str(a.duration),
        "end": _fmt(end, v.offset, minutes=True) if a.use_end else "",
        "status": v.word,
        "created_at": _fmt(a.created, v.offset),
        "cancelled_at": _fmt(v.cancelled_at, v.offset),
        "cancelled_by": v.cancelled_by,
        "referral_source": a.referral,
        "updated_at": _fmt(v.updated, v.offset),
        "patient_first_name": p.first,
        "patient_last_name": p.last,
        "patient_dob": p.dob.isoformat(),
        "patient_phone": p.phone,
        "patient_email": p.email,
        "change_type": change or v.change,
    }


def _month_key(t: datetime | date) -> str:
    return f"{t.year:04d}-{t.month:02d}"


class _BookingFiles:
    """Where each version of an appointment is written: the export of its creation month (the latest version
    by that month's end), else the weekly delta file of the week the change happened in."""

    def __init__(self, inbox: Path, start: date, end_date: date, as_of: datetime):
        self.inbox, self.as_of = inbox, as_of
        self.cutoff: dict[str, datetime] = {}
        d = start.replace(day=1)
        while d <= end_date:
            nxt = _add_months(d, 1)
            self.cutoff[_month_key(d)] = min(datetime.combine(nxt, time()), as_of)
            d = nxt
        monday = start + timedelta(days=(7 - start.weekday()) % 7 or 7)
        self.weeks: list[date] = []
        while monday < end_date:
            self.weeks.append(monday)
            monday += timedelta(days=7)
        self.weeks.append(end_date)
        self.week_ends = [datetime.combine(d, time()) for d in self.weeks[:-1]]
        self.first_export = self.export(_month_key(start))

    def export(self, month: str) -> Path:
        return self.inbox / f"bookings_export_{month}.csv"

    def change(self, i: int) -> Path:
        return self.inbox / f"bookings_changes_{self.weeks[i].isoformat()}.csv"

    def route(self, appts: list[_Appt]) -> tuple[dict[Path, list[dict]], list[tuple[int, _Appt]]]:
        """Rows per file, and (delta file index, appointment) of each appointment's last delta row."""
        files: dict[Path, list[dict]] = {}
        last_delta: list[tuple[int, _Appt]] = []
        for a in sorted(appts, key=lambda x: (x.created, x.id)):
            month = _month_key(a.created)
            cutoff = self.cutoff[month]
            before = [v for v in a.versions if v.updated <= cutoff]
            files.setdefault(self.export(month), []).append(_booking_row(a, before[-1]))
            weekly: dict[int, _Version] = {}
            for v in a.versions[len(before):]:
                weekly[min(bisect.bisect_right(self.week_ends, v.updated), len(self.weeks) - 1)] = v
            for i, v in weekly.items():
                files.setdefault(self.change(i), []).append(_booking_row(a, v))
            if weekly:
                last_delta.append((max(weekly), a))
        return files, last_delta


def _bad_booking_rows(template: dict, ids: _Ids) -> list[dict]:
    rows = []
    for column, value in (("start", BAD_START), ("provider_id", BAD_PROVIDER), ("duration_minutes", BAD_DURATION),
                          ("status", BAD_STATUS)):
        row = dict(template, appointment_id=str(ids.next("appointment") + 5_000_000))
        row[column] = value
        if column == "duration_minutes":
            row["end"] = ""
        rows.append(row)
    return rows


def _session_out(row: dict, *, json_values: bool) -> dict:
    out = {}
    for key in SESSION_COLUMNS:
        value = row[key]
        if isinstance(value, datetime):
            value = value.isoformat(timespec="seconds")
        if json_values:
            out[key] = None if value == "" else value
        else:
            out[key] = "true" if value is True else "false" if value is False else "" if value is None else value
    return out


# ---------------------------------------------------------------------------------------------------------
# reviews

_REVIEWER_FIRST = ("Jen", "Marcus", "Alicia", "Tom", "Brittany", "Kevin", "Shanice", "Greg", "Laura", "Devon",
                   "Megan", "Carlos", "Tasha", "Brandon", "Heather", "Omar", "Whitney", "Ray", "Courtney", "Eli")
_REVIEWER_LAST = ("K.", "B.", "Moreno", "Whitley", "Fraser", "P.", "Odom", "Lyles", "Chen", "Sato", "R.", "Barnes",
                  "Dukes", "Hampton", "V.", "Oakley", "Gibbs", "T.", "Summers", "Lowery")
_TEXT = {
    5: ("After years of trying medications, the infusions at {loc} finally lifted the fog. {staff} and the nurses "
        "explained every step and I felt safe the whole time.",
        "Kind, professional, on time. {staff} actually listened. The infusion room is calm and private.",
        "Spravato sessions here have changed my life. Staff keep you comfortable for the whole two hours.",
        "Best psychiatric practice in {loc}. Easy scheduling, clear billing, caring people.",
        "My teenager finally has a psychiatrist who explains things. Thank you {staff}!"),
    4: ("Good experience overall. Front desk was a little slow returning calls but {staff} is excellent.",
        "Helpful team and a clean office. Parking at {loc} can be tight.",
        "The infusion series helped a lot. Wish there were more evening appointments."),
    3: ("Care was fine but I waited 40 minutes past my appointment time.",
        "Mixed feelings. The doctor is good, insurance paperwork was confusing."),
    2: ("Hard to reach anyone by phone and my appointment was moved twice.",
        "Felt rushed in my medication check."),
    1: ("Billing surprised me with a charge I was not told about. Will not return.",
        "Cancelled on me the morning of my appointment with no explanation."),
}
_STARS = ("", "ONE", "TWO", "THREE", "FOUR", "FIVE")
_RATINGS = (5, 4, 3, 2, 1)
_RATING_WEIGHTS = (71, 17, 5, 3, 4)


@dataclass
class _Review:
    rid: str
    when: datetime  # aware UTC
    rating: int
    text: str
    author: str
    uid: str
    nanos: int
    edit: tuple[datetime, int, str] | None = None  # (when, new rating, new text)
    reply: datetime | None = None

    def as_of(self, fetched: datetime) -> tuple[int, str, datetime]:
        """(rating, text, update time) as the site showed it at `fetched`."""
        if self.edit and self.edit[0] < fetched:
            return self.edit[1], self.edit[2], self.edit[0]
        return self.rating, self.text, self.when


def _rid(rng: random.Random, n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return "".join(rng.choice(alphabet) for _ in range(n))


def _stream(rng: random.Random, first: date, last: date, per_month: float, loc: _Loc, staff: list[str],
            *, id_len: int = 22, text_share: float = 0.92) -> list[_Review]:
    """Reviews arriving on the days first..last, oldest first."""
    out = []
    d = first
    while d < last:
        for _ in range(_poisson(rng, per_month * 12 / 365)):
            rating = rng.choices(_RATINGS, _RATING_WEIGHTS)[0]
            local = datetime.combine(d, time(rng.randint(7, 22), rng.randint(0, 59), rng.randint(0, 59)))
            text = rng.choice(_TEXT[rating]).format(loc=loc.name, staff=rng.choice(staff))
            out.append(_Review(
                rid=_rid(rng, id_len), when=local.replace(tzinfo=ZONE).astimezone(UTC), rating=rating,
                text=text if rng.random() < text_share else "",
                author=f"{rng.choice(_REVIEWER_FIRST)} {rng.choice(_REVIEWER_LAST)}",
                uid=str(rng.randint(10**20, 10**21 - 1)), nanos=rng.randint(0, 999_999_999),
                reply=local.replace(tzinfo=ZONE).astimezone(UTC) + timedelta(days=rng.randint(1, 4))
                if rng.random() < 0.6 else None,
            ))
        d += timedelta(days=1)
    return out


def _relative(then: datetime, now: datetime) -> str:
    days = (now - then).days
    if days <= 1:
        return "a day ago"
    if days < 7:
        return f"{days} days ago"
    if days < 14:
        return "a week ago"
    if days < 30:
        return f"{days // 7} weeks ago"
    if days < 60:
        return "a month ago"
    if days < 365:
        return f"{days // 30} months ago"
    return "a year ago" if days < 730 else f"{days // 365} years ago"


def _z(t: datetime, fraction: str = "") -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _write_reviews(inbox: Path, rng: random.Random, locs: list[_Loc], provs: list[_Prov], start: date,
                   end_date: date, bad_rows: bool) -> tuple[list[Path], set[tuple[str, str]], int, int]:
    """The saved responses and the review CSV: (files, distinct usable reviews, CSV rows, bad CSV rows)."""
    files: list[Path] = []
    seen: set[tuple[str, str]] = set()
    fetch_days = sorted({_add_months(start.replace(day=1), k) for k in range(1, 240)
                         if _add_months(start.replace(day=1), k) <= end_date} | {end_date})
    staff = {loc.id: [p.name for p in provs if p.location_id == loc.id and p.name.startswith("Dr.")] for loc in locs}
    by_id = {loc.id: loc for loc in locs}

    def save(name: str, body: dict) -> None:
        path = inbox / name
        path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        files.append(path)

    def fetched_at(d: date) -> datetime:
        return datetime.combine(d, time(3, 10)).replace(tzinfo=ZONE).astimezone(UTC)

    col = by_id["COL"]
    # Yelp, Columbia: details (overall figures) and the three newest excerpts, monthly
    yelp = _stream(rng, start, end_date, 1.6, col, staff["COL"])
    base_n, base_sum = 31, 31 * 4.35
    for d in fetch_days:
        now = fetched_at(d)
        held = [r for r in yelp if r.when < now]
        n = base_n + len(held)
        save(f"yelp__{_YELP_ID}__details__{d.isoformat()}.json", {
            "id": _YELP_ID, "alias": "midlands-psychiatry-and-ketamine-clinic-columbia", "name": PRACTICE_NAME,
            "image_url": "https://s3-media0.fl.yelpcdn.com/bphoto/x9Q3cW1-k2Lp/o.jpg", "is_claimed": True,
            "is_closed": False, "url": "https://www.yelp.com/biz/midlands-psychiatry-and-ketamine-clinic-columbia",
            "phone": "+18035550100", "display_phone": "(803) 555-0100", "review_count": n,
            "categories": [{"alias": "psychiatrists", "title": "Psychiatrists"},
                           {"alias": "counseling", "title": "Counseling & Mental Health"}],
            "rating": round((base_sum + sum(r.rating for r in held)) / n * 2) / 2,
            "location": {"address1": "1420 Gervais St", "city": "Columbia", "state": "SC", "zip_code": "29201",
                         "country": "US", "display_address": ["1420 Gervais St", "Columbia, SC 29201"]},
            "coordinates": {"latitude": 34.0007, "longitude": -81.0348}, "price": "$$$",
        })
        newest = sorted(held, key=lambda r: r.when, reverse=True)[:3]
        for r in newest:
            seen.add(("yelp", r.rid))
        save(f"yelp__{_YELP_ID}__reviews__{d.isoformat()}.json", {
            "reviews": [{
                "id": r.rid, "url": f"https://www.yelp.com/biz/midlands-psychiatry-columbia?hrid={r.rid}",
                "text": (r.text or "Great experience.")[:160], "rating": r.rating,
                "time_created": r.when.astimezone(LOS_ANGELES).strftime("%Y-%m-%d %H:%M:%S"),
                "user": {"id": r.uid[:22], "profile_url": f"https://www.yelp.com/user_details?userid={r.uid[:22]}",
                         "image_url": None if r.nanos % 3 == 0 else f"https://s3-media2.fl.yelpcdn.com/photo/{r.uid[:8]}.jpg",
                         "name": f"{r.author.split()[0]} {r.author.split()[1][0]}."},
            } for r in newest],
            "total": n, "possible_languages": ["en"],
        })

    # Business Profile, Columbia: the full history, newest first, 50 a page; one review edited later
    gbp = _stream(rng, start - timedelta(days=240), end_date, 5.0, col, staff["COL"], id_len=36)
    in_period = [r for r in gbp if r.when.date() >= start and r.rating <= 3]
    if in_period:
        r = in_period[0]
        r.edit = (r.when + timedelta(days=20), 4, (r.text + " Update: they called me back and sorted it out.").strip())
    for d in fetch_days:
        now = fetched_at(d)
        held = sorted((r for r in gbp if r.when < now), key=lambda r: r.when, reverse=True)
        shown = [(r, *r.as_of(now)) for r in held]
        page = []
        for r, rating, text, updated in shown[:50]:
            item = {
                "name": f"{_GBP_ACCOUNT}/locations/{_GBP_LOCATION}/reviews/{r.rid}", "reviewId": r.rid,
                "reviewer": {"displayName": r.author,
                             "profilePhotoUrl": f"https://lh3.googleusercontent.com/a-/{r.uid[:12]}=s120-c"},
                "starRating": _STARS[rating], "createTime": _z(r.when, f".{r.nanos // 1_000_000:03d}"),
                "updateTime": _z(updated, f".{r.nanos // 1_000_000:03d}"),
            }
            if text:
                item["comment"] = text
            if r.reply and r.reply < now:
                item["reviewReply"] = {"comment": "Thank you for sharing this. We are glad to be part of your care.",
                                       "updateTime": _z(r.reply)}
            page.append(item)
            seen.add(("google", r.rid))
        body: dict = {"reviews": page, "averageRating": round(sum(s[1] for s in shown) / max(1, len(shown)), 1),
                      "totalReviewCount": len(shown)}
        if len(shown) > 50:
            body["nextPageToken"] = _rid(random.Random(f"{d}:page"), 24)
        save(f"google_business_profile__{_GBP_LOCATION}__reviews__{d.isoformat()}.json", body)

    def legacy(place: str, loc: _Loc, stream: list[_Review], d: date, base: tuple[int, float], count: bool) -> None:
        now = fetched_at(d)
        held = [r for r in stream if r.when < now]
        n = base[0] + len(held)
        newest = sorted(held, key=lambda r: r.when, reverse=True)[:5]
        if count:
            seen.update(("google", f"{place}|{r.uid}|{int(r.when.timestamp())}") for r in newest)
        save(f"google__{place}__details__{d.isoformat()}.json", {
            "html_attributions": [],
            "result": {
                "place_id": place, "name": f"{PRACTICE_NAME} - {loc.name}",
                "rating": round((base[1] + sum(r.as_of(now)[0] for r in held)) / n, 1), "user_ratings_total": n,
                "reviews": [{
                    "author_name": r.author, "author_url": f"https://www.google.com/maps/contrib/{r.uid}/reviews",
                    "language": "en", "original_language": "en",
                    "profile_photo_url": f"https://lh3.googleusercontent.com/a-/{r.uid[:12]}=s128-c0x00000000-cc-rp-mo",
                    "rating": r.as_of(now)[0], "relative_time_description": _relative(r.when, now),
                    "text": r.as_of(now)[1], "time": int(r.when.timestamp()), "translated": False,
                } for r in newest],
            },
            "status": "OK",
        })

    def places_new(place: str, loc: _Loc, stream: list[_Review], d: date, base: tuple[int, float]) -> None:
        now = fetched_at(d)
        held = [r for r in stream if r.when < now]
        n = base[0] + len(held)
        newest = sorted(held, key=lambda r: r.when, reverse=True)[:5]
        reviews = []
        for r in newest:
            seen.add(("google", r.rid))
            item: dict = {
                "name": f"places/{place}/reviews/{r.rid}", "relativePublishTimeDescription": _relative(r.when, now),
                "rating": r.rating,
            }
            if r.text:
                item["text"] = {"text": r.text, "languageCode": "en"}
                item["originalText"] = {"text": r.text, "languageCode": "en"}
            item["authorAttribution"] = {
                "displayName": r.author, "uri": f"https://www.google.com/maps/contrib/{r.uid}/reviews",
                "photoUri": f"https://lh3.googleusercontent.com/a-/{r.uid[:12]}=s128-c0x00000000-cc-rp-mo"}
            item["publishTime"] = _z(r.when, f".{r.nanos:09d}")
            item["flagContentUri"] = f"https://www.google.com/local/review/rap/report?postId={r.rid[:16]}"
            reviews.append(item)
        save(f"google__{place}__details__{d.isoformat()}.json", {
            "id": place, "displayName": {"text": f"{PRACTICE_NAME} - {loc.name}", "languageCode": "en"},
            "rating": round((base[1] + sum(r.rating for r in held)) / n, 1), "userRatingCount": n,
            "reviews": reviews, "googleMapsUri": f"https://maps.google.com/?q=place_id:{place}",
        })

    # Places (legacy) for Columbia on the first two fetches: superseded by its Business Profile
    for d in fetch_days[:2]:
        legacy(_place_id("COL"), col, gbp, d, (0, 0.0), count=False)
    # Greenville and the rest on Places: legacy until the pull moved to Places API (New) half way through
    for loc in locs[1:]:
        stream = _stream(rng, start - timedelta(days=30), end_date, 3.5 if loc.id == "GVL" else 2.5, loc,
                         staff[loc.id])
        base = (rng.randint(20, 45), 0.0)
        base = (base[0], base[0] * rng.uniform(4.3, 4.6))
        half = len(fetch_days) // 2 if loc.id == "GVL" else 0
        for d in fetch_days[:half]:
            legacy(_place_id(loc.id), loc, stream, d, base, count=True)
        for d in fetch_days[half:]:
            places_new(_place_id(loc.id), loc, stream, d, base)

    # the generic CSV: Healthgrades and Zocdoc, hand-entered
    rows = []
    for loc in locs:
        for site, per_month, prefix in (("healthgrades", 1.2, "HG"), ("zocdoc", 1.8, "ZD")):
            for r in _stream(rng, start, end_date, per_month, loc, staff[loc.id]):
                local = r.when.astimezone(ZONE)
                rows.append({"site": site, "review_id": f"{prefix}-{r.rid[:10]}", "location_id": loc.id,
                             "rating": str(r.rating),
                             "published_at": local.date().isoformat() if site == "healthgrades"
                             else local.strftime("%Y-%m-%dT%H:%M:%S"), "text": r.text})
                seen.add((site, rows[-1]["review_id"]))
    rows.sort(key=lambda x: (x["published_at"][:10], x["site"], x["review_id"]))
    bad = 0
    if bad_rows:
        for i, rating in enumerate(("4.5", "7")):
            rows.insert(min(len(rows), 3 + 7 * i), {
                "site": "healthgrades", "review_id": f"HG-BAD{i + 1:04d}", "location_id": locs[0].id,
                "rating": rating, "published_at": start.isoformat(), "text": "Entered by hand from a paper card."})
            bad += 1
    path = inbox / REVIEW_CSV_FILE
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=REVIEW_CSV_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    files.append(path)
    return files, seen, len(rows), bad


# ---------------------------------------------------------------------------------------------------------
# the whole practice

_GENERATED = {  # the names this module writes, per inbox folder
    "bookings": re.compile(r"^bookings_(export_\d{4}-\d{2}|changes_\d{4}-\d{2}-\d{2})\.csv$"),
    "sessions": re.compile(r"^sessions_(\d{4}-\d{2}\.(csv|jsonl)|corrupt\.csv)$"),
    "reviews": re.compile(r"^(reviews_healthgrades\.csv|(yelp|google|google_business_profile)__(?P<id>.+)"
                          r"__(details|reviews)__\d{4}-\d{2}-\d{2}\.json)$"),
}


def _remove_generated(h: Home) -> None:
    """Files an earlier generation left in the inbox (another end date writes other names): removed, so the inbox
    holds one practice. Only this module's own file names (and the demo's review-site ids) are touched."""
    demo_ids = {_YELP_ID, _GBP_LOCATION, *(_place_id(i) for i in ("COL", "GVL", *(f"L{k:02d}" for k in range(100))))}
    for source, pattern in _GENERATED.items():
        for path in sorted(h.inbox(source).iterdir()):
            m = pattern.match(path.name)
            if path.is_file() and m and (m.groupdict().get("id") in (None, *demo_ids)):
                path.unlink()


def generate_practice(home: Path, *, seed: int = 7, end_date: date | None = None, size: PracticeSize = PracticeSize(),
                      write_config: bool = True, bad_rows: bool = True) -> GenerateSummary:
    """Write the demo practice's config and inbox files under `home`; see the module docstring."""
    end_date = end_date or date.today()
    locs, provs = _layout(size)
    start, last_day = _period(end_date, size.months)
    as_of = datetime.combine(end_date, time(2))
    h = Home(Path(home))
    for source in ("bookings", "sessions", "reviews"):
        h.inbox(source).mkdir(parents=True, exist_ok=True)
    _remove_generated(h)
    if write_config:
        h.config_file.write_text(demo_config_toml(size, end_date=end_date), encoding="utf-8")

    sinks = _Sinks()
    ids = _Ids()
    bfiles = _BookingFiles(h.inbox("bookings"), start, end_date, as_of)
    sessions_dir = h.inbox("sessions")
    session_months = sorted({_month_key(start + timedelta(days=k)) for k in range((end_date - start).days)})
    jsonl_month = session_months[-1] if session_months else _month_key(start)
    bad = {"bookings": 0, "sessions": 0, "reviews": 0}
    appointments = sessions = patients = 0
    stale_sent = 0

    for li, loc in enumerate(locs):
        rng = random.Random(f"{seed}:{loc.id}")
        sim = _Sim(loc, [p for p in provs if p.location_id == loc.id], _closures(loc, start, last_day), rng, ids,
                   as_of, last_day, end_date)
        d, span = start, max(1, (end_date - start).days)
        while d < end_date:
            growth = 0.9 + 0.2 * (d - start).days / span
            weekday = d.weekday() < 5
            lam = size.patients_per_month * loc.intake * growth * 12 / 365 * (1.3 if weekday else 0.25)
            for _ in range(_poisson(rng, lam)):
                hour = rng.randint(8, 17) if weekday and rng.random() < 0.85 else rng.randint(18, 21)
                sim.patient(datetime.combine(d, time(hour, rng.randint(0, 59), rng.randint(0, 59))))
            d += timedelta(days=1)
        appointments += len(sim.appts)
        patients += sim.patients

        # bookings: route versions to files, resend a few older versions late, plant bad rows
        files, last_delta = bfiles.route(sim.appts)
        for i, a in last_delta:
            if stale_sent >= 3 or i + 1 >= len(bfiles.weeks) - 1 or len(a.versions) < 2:
                continue
            old = a.versions[0]
            files.setdefault(bfiles.change(i + 1), []).append(_booking_row(a, old, "resent"))
            stale_sent += 1
        if bad_rows and li == 0 and files:
            names = sorted(files)
            exports = [n for n in names if n.name.startswith("bookings_export_")]
            changes = [n for n in names if n.name.startswith("bookings_changes_")]
            targets = [exports[min(1, len(exports) - 1)] if exports else names[0],
                       changes[-1] if changes else names[-1]]
            for target in targets:
                rows = files[target]
                for k, row in enumerate(_bad_booking_rows(rows[len(rows) // 2], ids)):
                    rows.insert(len(rows) // 2 + 1 + 3 * k, row)
                    bad["bookings"] += 1
        for path in sorted(files):
            export = path.name.startswith("bookings_export_")
            crlf = path == bfiles.first_export
            sinks.csv(path, BOOKING_COLUMNS if export else CHANGE_COLUMNS, files[path], bom=crlf, crlf=crlf)

        # sessions: by month of chair_in; a few re-charted later; the last month as JSON Lines
        by_month: dict[str, list[dict]] = {}
        recharted: list[tuple[str, dict]] = []
        spoiled = 0
        for k, s in enumerate(sorted(sim.sessions, key=lambda x: (x["chair_in"], x["session_id"]))):
            row = dict(s)
            if bad_rows and li == 0 and spoiled < 2 and k >= 10 and not row["aborted"]:
                if spoiled == 0:
                    row["chair_out"] = row["chair_in"] - timedelta(minutes=rng.randint(20, 60))
                else:
                    row["dose_mg"] = 0
                spoiled += 1
                bad["sessions"] += 1
            elif k % 97 == 50:
                fixed = dict(row, updated_at=row["updated_at"] + timedelta(days=rng.randint(1, 4)),
                             phq9_post=row["phq9_post"] if row["phq9_post"] != "" else max(0, row["phq9_pre"] - 2),
                             notes=(row["notes"] + " Late entry: vitals re-charted.").strip())
                if fixed["updated_at"] < as_of:
                    recharted.append((min(_month_key(fixed["updated_at"]), jsonl_month), fixed))
            by_month.setdefault(_month_key(row["chair_in"]), []).append(row)
        for month, fixed in recharted:  # at the end of the file of the month they were charted in
            by_month.setdefault(month, []).append(fixed)
        for month in sorted(by_month):
            rows = by_month[month]
            if month == jsonl_month:
                sinks.jsonl(sessions_dir / f"sessions_{month}.jsonl", [_session_out(r, json_values=True) for r in rows])
            else:
                sinks.csv(sessions_dir / f"sessions_{month}.csv", SESSION_COLUMNS,
                          [_session_out(r, json_values=False) for r in rows])
        sessions += len(sim.sessions)

    unreadable: list[Path] = []
    if bad_rows:
        corrupt = sessions_dir / CORRUPT_SESSIONS_FILE
        lines = [",".join(SESSION_COLUMNS),
                 f"SES-X000001,,100001,{locs[0].id},{locs[0].chairs[0]},{provs[0].id},{start}T09:05:00,"
                 f"{start}T09:20:00,{start}T10:00:00,{start}T10:40:00,ketamine,IV,42.0,84.0,1,120,80,142,88,97,"
                 "18,15,12,,false,Pt Ren\u00e9e Dupr\u00e9 tolerated well,"]
        corrupt.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
        unreadable.append(corrupt)

    review_files, seen, review_rows, bad["reviews"] = _write_reviews(
        h.inbox("reviews"), random.Random(f"{seed}:reviews"), locs, provs, start, end_date, bad_rows)

    written: dict[str, list[Path]] = {
        "bookings": sorted(p for p in sinks.started if p.parent == h.inbox("bookings")),
        "sessions": sorted([p for p in sinks.started if p.parent == sessions_dir] + unreadable),
        "reviews": sorted(review_files),
    }
    rows = {
        "bookings": sum(n for p, n in sinks.rows.items() if p.parent == h.inbox("bookings")),
        "sessions": sum(n for p, n in sinks.rows.items() if p.parent == sessions_dir),
        "reviews": review_rows,
    }
    return GenerateSummary(
        home=Path(home),
        as_of=as_of.replace(tzinfo=ZONE).astimezone(UTC),
        files=written,
        bookings=appointments,
        sessions=sessions,
        reviews=len(seen),
        bad_rows=bad,
        unreadable_files=unreadable,
        rows=rows,
        patients=patients,
    )
