"""The whole practice: every location simulated in turn, its rows written to the inbox, then the review sites."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from clinicops.generate.bad_input import plant_bad_bookings, spoil_session, write_corrupt_sessions
from clinicops.generate.booking import _Ids, _poisson
from clinicops.generate.config_file import _GBP_LOCATION, _YELP_ID, _place_id, demo_config_toml
from clinicops.generate.files import (
    BOOKING_COLUMNS,
    CHANGE_COLUMNS,
    SESSION_COLUMNS,
    _booking_row,
    _BookingFiles,
    _month_key,
    _session_out,
    _Sinks,
)
from clinicops.generate.journeys import _Sim
from clinicops.generate.layout import DEFAULT_SIZE, ZONE, PracticeSize, _closures, _layout, _Loc, _period
from clinicops.generate.reviews import _write_reviews
from clinicops.home import Home


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
    # with next_day: the files of the last day, held back (source -> files), and the "now" before that day
    next_day: dict[str, list[Path]] = field(default_factory=dict)
    held_from: datetime | None = None


_GENERATED = {  # the names this package writes, per inbox folder
    "bookings": re.compile(r"^bookings_(export_\d{4}-\d{2}|changes_\d{4}-\d{2}-\d{2})\.csv$"),
    "sessions": re.compile(r"^sessions_(\d{4}-\d{2}\.(csv|jsonl)|corrupt\.csv)$"),
    "reviews": re.compile(r"^(reviews_healthgrades\.csv|(yelp|google|google_business_profile)__(?P<id>.+)"
                          r"__(details|reviews)__\d{4}-\d{2}-\d{2}\.json)$"),
}


def _remove_generated(h: Home) -> None:
    """Files an earlier generation left in the inbox (another end date writes other names): removed, so the inbox
    holds one practice. Only this package's own file names (and the demo's review-site ids) are touched."""
    demo_ids = {_YELP_ID, _GBP_LOCATION, *(_place_id(i) for i in ("COL", "GVL", *(f"L{k:02d}" for k in range(100))))}
    for source, pattern in _GENERATED.items():
        for path in sorted(h.inbox(source).iterdir()):
            m = pattern.match(path.name)
            if path.is_file() and m and (m.groupdict().get("id") in (None, *demo_ids)):
                path.unlink()


def _simulate(loc: _Loc, sim: _Sim, rng: random.Random, size: PracticeSize, start: date, end_date: date) -> None:
    """New patients arrive day by day (more on weekdays, intake growing over the history) and live their journeys."""
    d, span = start, max(1, (end_date - start).days)
    while d < end_date:
        growth = 0.9 + 0.2 * (d - start).days / span
        weekday = d.weekday() < 5
        lam = size.patients_per_month * loc.intake * growth * 12 / 365 * (1.3 if weekday else 0.25)
        for _ in range(_poisson(rng, lam)):
            hour = rng.randint(8, 17) if weekday and rng.random() < 0.85 else rng.randint(18, 21)
            sim.patient(datetime.combine(d, time(hour, rng.randint(0, 59), rng.randint(0, 59))))
        d += timedelta(days=1)


@dataclass
class _Run:
    """What one generation writes and counts, across locations."""

    sinks: _Sinks
    ids: _Ids
    bfiles: _BookingFiles
    sessions_dir: Path
    jsonl_month: str
    as_of: datetime
    bad_rows: bool
    bad: dict[str, int]
    held_from: datetime | None = None  # sessions charted after it go to day_sessions
    day_sessions: Path | None = None
    stale_sent: int = 0

    def write_bookings(self, sim: _Sim, first_location: bool) -> None:
        """Route versions to files, resend a few older versions late, plant bad rows."""
        bfiles = self.bfiles
        files, last_delta = bfiles.route(sim.appts)
        for i, a in last_delta:
            if self.stale_sent >= 3 or i + 1 >= len(bfiles.weeks) - 1 or len(a.versions) < 2:
                continue
            old = a.versions[0]
            files.setdefault(bfiles.change(i + 1), []).append(_booking_row(a, old, "resent"))
            self.stale_sent += 1
        if self.bad_rows and first_location:
            self.bad["bookings"] += plant_bad_bookings(files, self.ids)
        for path in sorted(files):
            export = path.name.startswith("bookings_export_")
            crlf = path == bfiles.first_export
            self.sinks.csv(path, BOOKING_COLUMNS if export else CHANGE_COLUMNS, files[path], bom=crlf, crlf=crlf)

    def write_sessions(self, sim: _Sim, rng: random.Random, first_location: bool) -> None:
        """By month of chair_in; a few re-charted later; the last month as JSON Lines."""
        by_month: dict[str, list[dict]] = {}
        recharted: list[tuple[str, dict]] = []
        spoiled = 0
        held: list[dict] = []
        for k, s in enumerate(sorted(sim.sessions, key=lambda x: (x["chair_in"], x["session_id"]))):
            row = dict(s)
            if self.held_from is not None and row["updated_at"] > self.held_from:
                held.append(row)
                continue
            if self.bad_rows and first_location and spoiled < 2 and k >= 10 and not row["aborted"]:
                spoil_session(row, spoiled, rng)
                spoiled += 1
                self.bad["sessions"] += 1
            elif k % 97 == 50:
                fixed = dict(row, updated_at=row["updated_at"] + timedelta(days=rng.randint(1, 4)),
                             phq9_post=row["phq9_post"] if row["phq9_post"] != "" else max(0, row["phq9_pre"] - 2),
                             notes=(row["notes"] + " Late entry: vitals re-charted.").strip())
                if fixed["updated_at"] < self.as_of:
                    recharted.append((min(_month_key(fixed["updated_at"]), self.jsonl_month), fixed))
            by_month.setdefault(_month_key(row["chair_in"]), []).append(row)
        for month, fixed in recharted:  # at the end of the file of the month they were charted in
            if self.held_from is not None and fixed["updated_at"] > self.held_from:
                held.append(fixed)
            else:
                by_month.setdefault(month, []).append(fixed)
        if held and self.day_sessions is not None:
            self.sinks.csv(self.day_sessions, SESSION_COLUMNS, [_session_out(r, json_values=False) for r in held])
        for month in sorted(by_month):
            rows = by_month[month]
            if month == self.jsonl_month:
                self.sinks.jsonl(self.sessions_dir / f"sessions_{month}.jsonl",
                                 [_session_out(r, json_values=True) for r in rows])
            else:
                self.sinks.csv(self.sessions_dir / f"sessions_{month}.csv", SESSION_COLUMNS,
                               [_session_out(r, json_values=False) for r in rows])


def generate_practice(home: Path, *, seed: int = 7, end_date: date | None = None, size: PracticeSize = DEFAULT_SIZE,
                      write_config: bool = True, bad_rows: bool = True,
                      next_day: Path | None = None) -> GenerateSummary:
    """Write the demo practice's config and inbox files under `home`; see the package docstring.

    With `next_day` (a folder outside the inbox), the booking versions and sessions charted in the last 24 hours
    before `as_of` are held back: written to `next_day/bookings_day_<end>.csv` and `next_day/sessions_day_<end>.csv`
    instead, so a run as of `held_from` followed by a run with those two files added is "one new night". Review
    files are not held back. Without it the output is exactly as before, byte for byte."""
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

    sessions_dir = h.inbox("sessions")
    held_from = as_of - timedelta(days=1) if next_day is not None else None
    day_bookings = day_sessions = None
    if next_day is not None:
        next_day.mkdir(parents=True, exist_ok=True)
        day_bookings = next_day / f"bookings_day_{end_date.isoformat()}.csv"
        day_sessions = next_day / f"sessions_day_{end_date.isoformat()}.csv"
    session_months = sorted({_month_key(start + timedelta(days=k)) for k in range((end_date - start).days)})
    bfiles = _BookingFiles(h.inbox("bookings"), start, end_date, as_of, held_from=held_from, day_file=day_bookings)
    run = _Run(sinks=_Sinks(), ids=_Ids(), bfiles=bfiles, sessions_dir=sessions_dir,
               jsonl_month=session_months[-1] if session_months else _month_key(start), as_of=as_of,
               bad_rows=bad_rows, bad={"bookings": 0, "sessions": 0, "reviews": 0}, held_from=held_from,
               day_sessions=day_sessions)
    appointments = sessions = patients = 0
    for li, loc in enumerate(locs):
        rng = random.Random(f"{seed}:{loc.id}")
        sim = _Sim(loc, [p for p in provs if p.location_id == loc.id], _closures(loc, start, last_day), rng, run.ids,
                   as_of, last_day, end_date)
        _simulate(loc, sim, rng, size, start, end_date)
        appointments += len(sim.appts)
        patients += sim.patients
        run.write_bookings(sim, li == 0)
        run.write_sessions(sim, rng, li == 0)
        sessions += len(sim.sessions)

    unreadable = [write_corrupt_sessions(sessions_dir, locs, provs, start)] if bad_rows else []
    review_files, seen, review_rows, run.bad["reviews"] = _write_reviews(
        h.inbox("reviews"), random.Random(f"{seed}:reviews"), locs, provs, start, end_date, bad_rows)

    sinks = run.sinks
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
        bad_rows=run.bad,
        unreadable_files=unreadable,
        rows=rows,
        patients=patients,
        next_day={source: [p] for source, p in (("bookings", day_bookings), ("sessions", day_sessions))
                  if p is not None and p in sinks.started},
        held_from=held_from.replace(tzinfo=ZONE).astimezone(UTC) if held_from else None,
    )
