"""FHIR R4 Appointments: one Appointment, or a Bundle (searchset, collection, transaction) of them.

Each Appointment becomes canonical booking text columns, handed to `booking_batch` (sources.md, "FHIR R4"):
- status, `start`, `end`, `minutesDuration` (else end - start), `created` -> created_at, `meta.lastUpdated`
  -> updated_at, R5's `cancellationDate` -> cancelled_at (the R4 cancel-time rule is the warehouse's:
  `stg_bookings.sql`), `cancelationReason` codes pat* -> patient, prov* -> clinic;
- participants by reference (`Practitioner/12`, an absolute URL, or `#id` of a contained resource), the
  provider typed PPRF or ATND first, the first Location the config knows, a Device as the chair, the
  Patient's id as patient_id — its `display` (a name) is never read into anything;
- the type from the `serviceType` codings, then `appointmentType`, looked up in `[appointment_types]` by
  `system|code`, by code, then by display text.
A document that is not JSON, nested deeper than 64 levels (judged before it is parsed), an
OperationOutcome, or neither a Bundle nor an Appointment is rejected by name. The row number of an
Appointment is its 1-based position among the Bundle's entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from clinicops.sources.bookings import booking_batch
from clinicops.sources.common import Batch, FileRejected, ReadContext
from clinicops.sources.delimited import MAX_FIELD_BYTES, TOO_LARGE, TextRows, check_utf8
from clinicops.sources.sessions import MAX_DEPTH, _depth
from clinicops.sources.vocabulary import AppointmentTypes

BUNDLE_TYPES = ("searchset", "collection", "transaction")
PROVIDER_TYPES = ("PPRF", "ATND", "SPRF", "PPRF")
COLUMNS = ("appointment_id", "patient_id", "location_id", "provider_id", "resource_id", "appointment_type", "start",
           "duration_minutes", "end", "status", "created_at", "cancelled_at", "cancelled_by", "updated_at")


def _text(value: object) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _reference(participant: dict, contained: dict[str, dict]) -> tuple[str | None, str | None]:
    """(resource type, id) of a participant's actor: `Type/id`, `https://.../Type/id[/_history/n]`, `#local`."""
    actor = participant.get("actor")
    if not isinstance(actor, dict):
        return None, None
    reference = actor.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        kind = actor.get("type")  # a logical reference: {type, identifier{value}}
        identifier = actor.get("identifier")
        if isinstance(kind, str) and isinstance(identifier, dict) and identifier.get("value") is not None:
            return kind, _text(identifier.get("value"))
        return None, None
    reference = reference.strip()
    if reference.startswith("#"):
        resource = contained.get(reference[1:])
        if resource is None:
            return None, None
        identifiers = resource.get("identifier")
        if isinstance(identifiers, list):
            for identifier in identifiers:
                if isinstance(identifier, dict) and identifier.get("value") not in (None, ""):
                    return _text(resource.get("resourceType")), _text(identifier["value"])
        return _text(resource.get("resourceType")), reference[1:]
    parts = reference.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return None, None


def _participant_types(participant: dict) -> set[str]:
    codes: set[str] = set()
    for concept in participant.get("type") or []:
        if isinstance(concept, dict):
            for coding in concept.get("coding") or []:
                if isinstance(coding, dict) and coding.get("code"):
                    codes.add(_text(coding["code"]).upper())
    return codes


def _concepts(resource: dict) -> list[dict]:
    """serviceType codeable concepts (R4 CodeableConcept, R5 CodeableReference.concept), then appointmentType."""
    out: list[dict] = []
    for item in resource.get("serviceType") or []:
        if isinstance(item, dict):
            out.append(item.get("concept") if isinstance(item.get("concept"), dict) else item)
    if isinstance(resource.get("appointmentType"), dict):
        out.append(resource["appointmentType"])
    return out


def _appointment_type(resource: dict, types: AppointmentTypes) -> str:
    fallback = ""
    for concept in _concepts(resource):
        for coding in concept.get("coding") or []:
            if not isinstance(coding, dict):
                continue
            system, code, display = _text(coding.get("system")), _text(coding.get("code")), _text(coding.get("display"))
            for word in (f"{system}|{code}" if system and code else "", code, display):
                if word and types(word):
                    return types(word) or ""
            fallback = fallback or display or code
        text = _text(concept.get("text"))
        if text and types(text):
            return types(text) or ""
        fallback = fallback or text
    return fallback


def _cancelled_by(resource: dict) -> str:
    reason = resource.get("cancelationReason") or resource.get("cancellationReason")
    if not isinstance(reason, dict):
        return ""
    for coding in reason.get("coding") or []:
        code = _text(coding.get("code") if isinstance(coding, dict) else None).lower()
        if code.startswith("pat"):
            return "patient"
        if code.startswith(("prov", "maint", "meds")):
            return "clinic"
    return ""


def appointment_values(resource: dict, types: AppointmentTypes, known_locations: set[str]) -> dict[str, str]:
    """One Appointment -> canonical text values (the Patient's display never read)."""
    contained = {_text(c.get("id")): c for c in resource.get("contained") or [] if isinstance(c, dict)}
    practitioners: list[tuple[str, set[str]]] = []
    locations: list[str] = []
    devices: list[str] = []
    patient = ""
    for participant in resource.get("participant") or []:
        if not isinstance(participant, dict):
            continue
        kind, ident = _reference(participant, contained)
        if not kind or not ident:
            continue
        if kind == "Practitioner" or kind == "PractitionerRole":
            practitioners.append((ident, _participant_types(participant)))
        elif kind == "Location":
            locations.append(ident)
        elif kind == "Device":
            devices.append(ident)
        elif kind == "Patient" and not patient:
            patient = ident
    provider = next((i for i, t in practitioners if t & {"PPRF", "ATND"}), practitioners[0][0] if practitioners
                    else "")
    location = next((loc for loc in locations if loc in known_locations), locations[0] if locations else "")
    meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    appointment_id = _text(resource.get("id"))
    if not appointment_id:
        for identifier in resource.get("identifier") or []:
            if isinstance(identifier, dict) and identifier.get("value"):
                appointment_id = _text(identifier["value"])
                break
    return {
        "appointment_id": appointment_id,
        "patient_id": patient,
        "location_id": location,
        "provider_id": provider,
        "resource_id": devices[0] if devices else "",
        "appointment_type": _appointment_type(resource, types),
        "start": _text(resource.get("start")),
        "duration_minutes": _text(resource.get("minutesDuration")),
        "end": _text(resource.get("end")),
        "status": _text(resource.get("status")),
        "created_at": _text(resource.get("created")),
        "cancelled_at": _text(resource.get("cancellationDate")),
        "cancelled_by": _cancelled_by(resource),
        "updated_at": _text(meta.get("lastUpdated")),
    }


def read_document(path: Path, name: str) -> object:
    """The parsed JSON document, or FileRejected naming the file and the problem."""
    check_utf8(path, name)
    text = path.read_text(encoding="utf-8-sig")
    if _depth(text) > MAX_DEPTH:
        raise FileRejected(f"{name}: the JSON is nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise FileRejected(f"{name}: not JSON") from None


def appointments_of(document: object, name: str) -> list[tuple[int, dict]]:
    """(row number, Appointment) of a document; FileRejected when it is no Appointment or Bundle of them."""
    if not isinstance(document, dict):
        raise FileRejected(f"{name}: not a FHIR resource (the document is not a JSON object)")
    kind = document.get("resourceType")
    if kind == "Appointment":
        return [(1, document)]
    if kind == "OperationOutcome":
        raise FileRejected(f"{name}: the FHIR server answered with an OperationOutcome (an error), not Appointments")
    if kind != "Bundle":
        shown = kind if isinstance(kind, str) and kind.isalnum() and len(kind) < 40 else "unknown"
        raise FileRejected(f"{name}: not a FHIR Appointment or Bundle (resourceType {shown})")
    if document.get("type") not in BUNDLE_TYPES:
        raise FileRejected(f"{name}: a FHIR Bundle of a type clinicops does not read (expected "
                           f"{', '.join(BUNDLE_TYPES)})")
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        raise FileRejected(f"{name}: the Bundle's entry is not a list")
    found = []
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Appointment":
            if document.get("type") == "transaction":
                request = entry.get("request") if isinstance(entry.get("request"), dict) else {}
                if _text(request.get("method")).upper() == "DELETE":
                    continue
            found.append((number, resource))
    return found


def read_fhir(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    """A FHIR document in inbox/bookings -> booking batches."""
    document = read_document(path, ctx.file_name)
    found = appointments_of(document, ctx.file_name)
    types = AppointmentTypes(ctx.config)
    known = ctx.config.location_ids
    for start in range(0, len(found), max(1, ctx.batch_rows)):
        part = found[start:start + ctx.batch_rows]
        values = [appointment_values(resource, types, known) for _, resource in part]
        problems: list[str | None] = []
        where: list[str | None] = []
        for row in values:
            large = next((c for c in COLUMNS if len(row[c].encode()) > MAX_FIELD_BYTES), None)
            problems.append(TOO_LARGE if large else None)
            where.append(large)
        lines = pa.array([n for n, _ in part], pa.int64())
        rows = TextRows(columns={c: pa.array([v[c] for v in values], pa.string()) for c in COLUMNS},
                        lines=lines, last_lines=lines, problem=pa.array(problems, pa.string()),
                        problem_column=pa.array(where, pa.string()))
        yield Batch("bookings", booking_batch(rows, ctx, types, "fhir"))
