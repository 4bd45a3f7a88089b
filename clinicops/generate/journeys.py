"""Patients' journeys through the practice: consultations, ketamine series, Spravato, med checks, therapy."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from clinicops.generate.booking import _KINDS, _Appt
from clinicops.generate.chair import _Chair
from clinicops.generate.config_file import _REFERRAL_WEIGHTS, _REFERRALS, _UNMAPPED
from clinicops.generate.people import _Patient


class _Sim(_Chair):
    """One location's history: patients arrive, book, come, miss, cancel, rebook, sit in chairs."""

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
