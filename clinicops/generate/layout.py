"""The demo practice's layout: locations, providers, the history's period and closures (the config and the
simulation read the same layout)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

PRACTICE_NAME = "Midlands Psychiatry & Ketamine Clinic"
TIMEZONE = "America/New_York"
ZONE = ZoneInfo(TIMEZONE)
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
FUTURE_DAYS = 42  # future bookings reach this far past end_date
SLOT = 15  # calendar granularity, minutes
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
INFUSIONS = ("ketamine_infusion", "booster_infusion", "esketamine_session")
IV_LADDER = (0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1.0)  # mg/kg by infusion number: most clinics titrate up


@dataclass(frozen=True)
class PracticeSize:
    locations: int = 2
    months: int = 12  # history length ending at end_date
    patients_per_month: int = 60  # new patients per location per month (roughly)



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



DEFAULT_SIZE = PracticeSize()  # the demo: a year of two locations
