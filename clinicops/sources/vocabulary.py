"""The words exports use for a booking's status and type, mapped to the canonical ones of sources.md."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinicops.config import ADVERSE_EVENTS, APPOINTMENT_TYPES, Config

FHIR_STATUSES = (
    "proposed", "pending", "booked", "arrived", "checked-in", "fulfilled", "cancelled", "noshow",
    "entered-in-error", "waitlist",
)


@dataclass(frozen=True)
class Status:
    code: str | None  # FHIR Appointment status; None = a word we do not know
    says_late: bool = False  # "Late Cancel": a late cancellation whatever the timestamps
    by_clinic: bool = False  # "Clinician Canceled": cancelled by the clinic


def _key(word: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", word.lower()).strip()


_SYNONYMS: dict[str, Status] = {
    **{_key(code): Status(code) for code in FHIR_STATUSES},
    "checked in": Status("checked-in"),
    "checkedin": Status("checked-in"),
    "scheduled": Status("booked"),
    "confirmed": Status("booked"),
    "completed": Status("fulfilled"),
    "complete": Status("fulfilled"),
    "attended": Status("fulfilled"),
    "show": Status("fulfilled"),
    "showed": Status("fulfilled"),
    "no show": Status("noshow"),
    "noshow": Status("noshow"),
    "no showed": Status("noshow"),
    "dna": Status("noshow"),
    "did not attend": Status("noshow"),
    "canceled": Status("cancelled"),
    "cancelled": Status("cancelled"),
    "late cancel": Status("cancelled", says_late=True),
    "late canceled": Status("cancelled", says_late=True),
    "late cancelled": Status("cancelled", says_late=True),
    "late cancellation": Status("cancelled", says_late=True),
    "clinician canceled": Status("cancelled", by_clinic=True),
    "clinician cancelled": Status("cancelled", by_clinic=True),
    "provider canceled": Status("cancelled", by_clinic=True),
    "provider cancelled": Status("cancelled", by_clinic=True),
    "clinic canceled": Status("cancelled", by_clinic=True),
    "clinic cancelled": Status("cancelled", by_clinic=True),
    "entered in error": Status("entered-in-error"),
    "wait list": Status("waitlist"),
}


def status_of(word: str | None) -> Status:
    """A status word (case-insensitive, FHIR code or common synonym) -> Status; unknown -> Status(None)."""
    if word is None or not word.strip():
        return Status(None)
    return _SYNONYMS.get(_key(word), Status(None))


_TYPE_SYNONYMS = {
    "consult": "consultation",
    "new patient consultation": "consultation",
    "ketamine": "ketamine_infusion",
    "iv ketamine": "ketamine_infusion",
    "ketamine infusion": "ketamine_infusion",
    "booster": "booster_infusion",
    "ketamine booster": "booster_infusion",
    "spravato": "esketamine_session",
    "esketamine": "esketamine_session",
    "medication management": "med_management",
    "med check": "med_management",
    "psychotherapy": "therapy",
    "adhd evaluation": "adhd_evaluation",
    "adhd eval": "adhd_evaluation",
    "child psychiatry": "child_psychiatry",
    "follow up": "follow_up",
    "followup": "follow_up",
}


class AppointmentTypes:
    """Canonical type of a word: the config's [appointment_types] first, then the canonical names, then
    built-in synonyms; case-, space- and punctuation-insensitive."""

    def __init__(self, config: Config):
        self._map = {_key(t): t for t in APPOINTMENT_TYPES}
        self._map.update({_key(w): t for w, t in _TYPE_SYNONYMS.items()})
        self._exact = dict(config.appointment_types)
        self._map.update({_key(w): t for w, t in config.appointment_types.items()})

    def __call__(self, word: str | None) -> str | None:
        if word is None or not word.strip():
            return None
        return self._exact.get(word.strip()) or self._map.get(_key(word))


def cancelled_by_of(text: str | None, status: Status) -> str | None:
    """'patient' (also when empty) or 'clinic'; a status word that says clinic wins; other text -> None."""
    if status.by_clinic:
        return "clinic"
    key = _key(text or "")
    if key in ("", "patient", "pt", "client", "self"):
        return "patient"
    if key in ("clinic", "practice", "provider", "clinician", "office", "staff", "doctor"):
        return "clinic"
    return None


_EVENT_SYNONYMS = {
    "nauseous": "nausea", "nauseated": "nausea", "queasy": "nausea",
    "vomit": "vomiting", "vomited": "vomiting", "emesis": "vomiting", "threw up": "vomiting",
    "migraine": "headache", "head ache": "headache",
    "dizzy": "dizziness", "lightheaded": "dizziness", "light headed": "dizziness", "vertigo": "dizziness",
    "dissociative": "dissociation", "dissociated": "dissociation", "out of body": "dissociation",
    "sedated": "sedation", "drowsy": "sedation", "drowsiness": "sedation", "sleepy": "sedation",
    "anxious": "anxiety", "panic": "anxiety", "panic attack": "anxiety", "agitation": "anxiety",
    "hypertensive": "hypertension", "high bp": "hypertension", "elevated bp": "hypertension",
    "high blood pressure": "hypertension", "elevated blood pressure": "hypertension",
    "tachy": "tachycardia", "high heart rate": "tachycardia", "elevated heart rate": "tachycardia",
    "desat": "desaturation", "low spo2": "desaturation", "low o2": "desaturation", "hypoxia": "desaturation",
}


class AdverseEvents:
    """A session's adverse-event list (`;`-separated text) -> the fixed codes of operations.md ("Privacy"),
    sorted and `;`-joined: the config's [adverse_events] words first, then the codes themselves, then
    built-in synonyms; any other entry is `other`. The text itself never travels further."""

    def __init__(self, config: Config):
        self._map = {_key(code): code for code in ADVERSE_EVENTS}
        self._map.update({_key(w): c for w, c in _EVENT_SYNONYMS.items()})
        self._map.update({_key(w): c for w, c in config.adverse_events.items()})

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        codes = {self._map.get(_key(entry), "other") for entry in re.split(r"[;\n]", text) if _key(entry)}
        return ";".join(sorted(codes)) or None
