"""The generated practices the bench measures: sizes, the inboxes (generated once, reused), fresh run homes."""

from __future__ import annotations

import fcntl
import json
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

from clinicops.generate import PracticeSize, generate_practice
from clinicops.home import SOURCES, Home

SEED = 7
END_DATE = date(2026, 11, 25)  # a Wednesday: the night held back for the incremental runs follows a working day
# locations x months x new patients per location and month; the largest is a 30-location group over five years
DEFAULT_SIZES = ("2x12x60", "6x24x60", "20x24x80", "30x60x85")  # ~14 k, 79 k, 256 k, 1.1 M booking rows
QUICK_SIZES = ("1x1x20", "1x2x30")
DEFAULT_HISTORIES = (1, 12, 60)  # months of history under one new night (two locations)
QUICK_HISTORIES = (1, 2)
HISTORY_LOCATIONS, QUICK_HISTORY_LOCATIONS = 2, 1
HISTORY_PATIENTS, QUICK_HISTORY_PATIENTS = 60, 20


def parse_size(text: str) -> PracticeSize:
    """'20x60x60' -> PracticeSize(locations=20, months=60, patients_per_month=60)."""
    try:
        locations, months, patients = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--sizes: {text!r} is not LOCATIONSxMONTHSxPATIENTS (e.g. 20x60x60)") from None
    if min(locations, months, patients) < 1:
        raise ValueError(f"--sizes: {text!r} needs at least one location, month and patient")
    return PracticeSize(locations, months, patients)


def label(size: PracticeSize) -> str:
    return f"{size.locations}x{size.months}x{size.patients_per_month}"


@dataclass(frozen=True)
class Generated:
    root: Path  # a home holding clinicops.toml and the inbox; never run on (runs get a copy)
    size: str
    as_of: datetime  # the run's reference time (UTC)
    rows: dict[str, int]  # source -> rows in the inbox
    seconds: float  # generation time (0 when reused)
    next_day: Path | None = None  # the held-back night's files, for incremental runs
    held_from: datetime | None = None  # the reference time of the run before that night


def generate(cache: Path, size: PracticeSize, *, next_day: bool = False) -> Generated:
    """The practice of `size` (clean files: no planted bad rows), generated under `cache` once and reused.
    Two benches sharing a cache take turns (a lock file per practice)."""
    cache.mkdir(parents=True, exist_ok=True)
    name = label(size) + ("-nights" if next_day else "")
    with open(cache / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _generate(cache, size, next_day=next_day)


def _generate(cache: Path, size: PracticeSize, *, next_day: bool) -> Generated:
    name = label(size) + ("-nights" if next_day else "")
    root, day = cache / name / "practice", cache / name / "next-day"
    stamp = cache / name / "generated.json"
    wanted = {"seed": SEED, "end_date": END_DATE.isoformat(), "size": asdict(size), "next_day": next_day}
    if stamp.exists():
        saved = json.loads(stamp.read_text())
        if saved.get("wanted") == wanted:
            return Generated(root, label(size), datetime.fromisoformat(saved["as_of"]), saved["rows"], 0.0,
                             day if next_day else None,
                             datetime.fromisoformat(saved["held_from"]) if saved.get("held_from") else None)
    shutil.rmtree(cache / name, ignore_errors=True)
    started = time.perf_counter()
    summary = generate_practice(root, seed=SEED, end_date=END_DATE, size=size, bad_rows=False,
                                next_day=day if next_day else None)
    seconds = round(time.perf_counter() - started, 1)
    held_from = summary.held_from.isoformat() if summary.held_from else None
    stamp.write_text(json.dumps({"wanted": wanted, "as_of": summary.as_of.isoformat(), "rows": summary.rows,
                                 "held_from": held_from, "seconds": seconds}, indent=2))
    return Generated(root, label(size), summary.as_of, summary.rows, seconds, day if next_day else None,
                     summary.held_from)


def fresh_home(practice: Path, root: Path) -> Home:
    """A new home at `root` holding a copy of the practice's configuration and inbox (nothing landed yet)."""
    shutil.rmtree(root, ignore_errors=True)
    source, home = Home(practice), Home(root)
    home.root.mkdir(parents=True)
    shutil.copy2(source.config_file, home.config_file)
    for name in SOURCES:
        shutil.copytree(source.inbox(name), home.inbox(name))
    return home


def empty_home(practice: Path, root: Path) -> Home:
    """A home with the practice's configuration and an empty inbox."""
    shutil.rmtree(root, ignore_errors=True)
    source, home = Home(practice), Home(root)
    home.root.mkdir(parents=True)
    shutil.copy2(source.config_file, home.config_file)
    for name in SOURCES:
        home.inbox(name).mkdir(parents=True)
    return home


def add_next_day(generated: Generated, home: Home) -> None:
    """Drop the held-back night's files into the home's inbox (bookings_day_*, sessions_day_*)."""
    assert generated.next_day is not None
    for path in sorted(generated.next_day.iterdir()):
        source = "bookings" if path.name.startswith("bookings_") else "sessions"
        shutil.copy2(path, home.inbox(source))  # into the folder, under its own name
