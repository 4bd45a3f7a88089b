"""The chair: the infusion session log of a completed infusion, with vitals, doses, scores and notes."""

from __future__ import annotations

from datetime import datetime, timedelta

from clinicops.generate.booking import _Appt, _Booker
from clinicops.generate.layout import IV_LADDER
from clinicops.generate.people import _FIRST, _Patient


class _Chair(_Booker):
    """Adds the session logs of infusions in the chair."""

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

