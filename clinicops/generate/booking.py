"""Appointments and their versions: booking into the slot calendar, then rescheduling, cancelling, no-shows."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

from clinicops.generate.config_file import _TYPE_WORDS
from clinicops.generate.layout import INFUSIONS, SLOT, _Loc, _Prov
from clinicops.generate.people import _Patient
from clinicops.generate.slots import _Calendar


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



class _Booker:
    """One location's bookings: placing appointments and deciding what became of them."""

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
