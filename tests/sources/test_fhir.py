"""FHIR R4 Appointments and Bundles as HL7's examples and the EHR vendors' documented responses write them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clinicops.config import parse_config
from clinicops.sources.common import FileRejected, ReadContext
from clinicops.sources.fhir import read_fhir
from tests.practice import SMALL_PRACTICE

INGESTED = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
DISPLAYS = ["Peter James Chalmers", "Amy V. Shaw", "Quackenbush, Margarethe"]
SNOMED = "http://snomed.info/sct"


def config():
    data = json.loads(json.dumps(SMALL_PRACTICE))
    data["appointment_types"] = {f"{SNOMED}|394913002": "consultation", "KETIV": "ketamine_infusion",
                                 "Spravato treatment": "esketamine_session"}
    return parse_config(data)


def context(name: str) -> ReadContext:
    return ReadContext(config=config(), source="bookings", file_name=name, sha256="d" * 64, file_seq=5,
                       ingested_at=INGESTED, patient_key=lambda pid: f"pk_{pid}")


def read(tmp_path: Path, document: object, name: str = "appointments.json") -> list[dict]:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return [row for batch in read_fhir(path, context(name)) for row in batch.data.to_pylist()]


def appointment(appointment_id: str, **extra) -> dict:
    """An Appointment in the shape of HL7's example (references by type/id, typed participants)."""
    resource = {
        "resourceType": "Appointment", "id": appointment_id,
        "meta": {"versionId": "2", "lastUpdated": "2026-11-10T14:00:00.000Z"},
        "status": "booked",
        "serviceType": [{"coding": [{"system": SNOMED, "code": "394913002", "display": "Psychotherapy"}]}],
        "start": "2026-11-16T10:00:00-05:00", "end": "2026-11-16T11:00:00-05:00",
        "created": "2026-11-01",
        "participant": [
            {"actor": {"reference": "Patient/example", "display": "Peter James Chalmers"}, "required": "required",
             "status": "accepted"},
            {"type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                   "code": "ATND"}]}],
             "actor": {"reference": "Practitioner/P-OKAFOR", "display": "Dr Adam Careful"}, "status": "accepted"},
            {"actor": {"reference": "Location/COL", "display": "South Wing, second floor"}, "status": "accepted"},
        ],
    }
    resource.update(extra)
    return resource


def bundle(kind: str, *resources: dict, transaction: bool = False) -> dict:
    entries = []
    for r in resources:
        entry = {"fullUrl": f"https://fhir.example.org/api/FHIR/R4/Appointment/{r.get('id', 'x')}", "resource": r}
        if transaction:
            entry = {"fullUrl": "urn:uuid:" + r.get("id", "x"), "resource": r,
                     "request": {"method": "PUT", "url": f"Appointment/{r.get('id')}"}}
        elif kind == "searchset":
            entry["search"] = {"mode": "match"}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": kind, "total": len(entries), "entry": entries}


def test_one_appointment_as_hl7_writes_it(tmp_path: Path) -> None:
    [row] = read(tmp_path, appointment("example"))
    assert (row["appointment_id"], row["patient_key"], row["provider_id"], row["location_id"]) == \
        ("example", "pk_example", "P-OKAFOR", "COL")
    assert row["appointment_type"] == "consultation"  # by system|code
    assert row["start_at"] == datetime(2026, 11, 16, 15, 0, tzinfo=UTC) and row["duration_minutes"] == 60
    assert row["created_at"] == datetime(2026, 11, 1, 4, 0, tzinfo=UTC) and row["created_is_date_only"]
    assert row["updated_at"] == datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
    assert row["status"] == "booked" and row["source_format"] == "fhir" and row["_row_number"] == 1
    everything = json.dumps(row, default=str)
    for display in DISPLAYS:
        assert display not in everything


def test_a_searchset_as_epic_returns_it_with_an_outcome_entry(tmp_path: Path) -> None:
    # Epic-style: absolute references, minutesDuration, a warning OperationOutcome among the entries
    epic = appointment(
        "eXbT1", start="2026-11-17T15:00:00Z", end=None, minutesDuration=90, status="fulfilled",
        serviceType=[{"coding": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.10.698084.30", "code": "KETIV",
                                  "display": "IV KETAMINE INFUSION"}], "text": "IV KETAMINE INFUSION"}],
        participant=[
            {"actor": {"reference": "https://fhir.epic.example/api/FHIR/R4/Patient/eQ9z2", "display": "Amy V. Shaw"}},
            {"actor": {"reference": "https://fhir.epic.example/api/FHIR/R4/Practitioner/P-LEE/_history/3"}},
            {"actor": {"reference": "https://fhir.epic.example/api/FHIR/R4/Location/ELSEWHERE"}},
            {"actor": {"reference": "https://fhir.epic.example/api/FHIR/R4/Location/COL"}},
            {"actor": {"reference": "Device/CHAIR-2"}},
        ])
    doc = bundle("searchset", epic)
    doc["entry"].append({"resource": {"resourceType": "OperationOutcome", "issue": [
        {"severity": "warning", "code": "informational", "diagnostics": "Some results may be hidden"}]},
        "search": {"mode": "outcome"}})
    [row] = read(tmp_path, doc)
    assert (row["patient_key"], row["provider_id"], row["location_id"], row["resource_id"]) == \
        ("pk_eQ9z2", "P-LEE", "COL", "CHAIR-2")  # the first configured Location, the Device as the chair
    assert row["appointment_type"] == "ketamine_infusion" and row["duration_minutes"] == 90  # by code
    assert row["start_at"] == datetime(2026, 11, 17, 15, 0, tzinfo=UTC) and row["created_at"] is not None


def test_a_collection_with_contained_resources(tmp_path: Path) -> None:
    # Cerner-style contained participants referenced as #id; the PPRF practitioner wins over the first one
    contained = appointment(
        "c-1", appointmentType={"coding": [{"code": "XYZ", "display": "Spravato treatment"}]}, serviceType=[],
        contained=[
            {"resourceType": "Patient", "id": "pat", "name": [{"text": "Quackenbush, Margarethe"}],
             "identifier": [{"system": "urn:mrn", "value": "MRN-77231"}]},
            {"resourceType": "Practitioner", "id": "p1", "identifier": [{"value": "P-LEE"}]},
            {"resourceType": "Practitioner", "id": "P-OKAFOR"},
            {"resourceType": "Location", "id": "loc", "identifier": [{"value": "COL"}]},
        ],
        participant=[
            {"actor": {"reference": "#pat", "display": "Quackenbush, Margarethe"}},
            {"actor": {"reference": "#p1"}, "type": [{"coding": [{"code": "SPRF"}]}]},
            {"actor": {"reference": "#P-OKAFOR"}, "type": [{"coding": [{"code": "PPRF"}]}]},
            {"actor": {"reference": "#loc"}},
        ])
    [row] = read(tmp_path, bundle("collection", contained))
    assert (row["patient_key"], row["provider_id"], row["location_id"]) == ("pk_MRN-77231", "P-OKAFOR", "COL")
    assert row["appointment_type"] == "esketamine_session"  # by display text
    assert "Quackenbush" not in json.dumps(row, default=str)


def test_a_transaction_and_the_statuses_without_a_start(tmp_path: Path) -> None:
    cancelled = appointment("t-1", status="cancelled", cancellationDate="2026-11-15T09:30:00-05:00",
                            cancelationReason={"coding": [{"code": "prov"}]})
    waitlist = appointment("t-2", status="waitlist", start=None, end=None)
    deleted = appointment("t-3")
    doc = bundle("transaction", cancelled, waitlist, deleted, transaction=True)
    doc["entry"][2]["request"] = {"method": "DELETE", "url": "Appointment/t-3"}
    rows = read(tmp_path, doc)
    assert [r["appointment_id"] for r in rows] == ["t-1", "t-2"]
    assert rows[0]["cancelled_at"] == datetime(2026, 11, 15, 14, 30, tzinfo=UTC)  # R5 cancellationDate
    assert rows[0]["cancelled_by"] == "clinic"
    assert rows[1]["status"] == "waitlist" and rows[1]["start_at"] is None and rows[1]["_row_number"] == 2


def test_an_unknown_type_reaches_validation_unmapped(tmp_path: Path) -> None:
    [row] = read(tmp_path, appointment("u", serviceType=[{"coding": [{"code": "ZZZ", "display": "Mystery"}]}]))
    assert row["appointment_type"] is None  # the suite sets it aside (appointment_type_valid)
    assert json.loads(row["_raw_values"])["appointment_type"] == "Mystery"
    assert json.loads(row["_raw_values"])["patient_id"] == "[removed]"


@pytest.mark.parametrize(("document", "reason"), [
    ("{not json", "not JSON"),
    ("[" * 70 + "]" * 70, "nested deeper than 64 levels"),
    ({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "forbidden"}]}, "OperationOutcome"),
    ({"resourceType": "Patient", "id": "x", "name": [{"text": "Peter James Chalmers"}]}, "not a FHIR Appointment"),
    ({"resourceType": "Bundle", "type": "history", "entry": []}, "a FHIR Bundle of a type"),
    ([1, 2], "not a FHIR resource"),
    ("", "empty file"),
])
def test_a_malformed_document_is_rejected_by_name(tmp_path: Path, document: object, reason: str) -> None:
    with pytest.raises(FileRejected) as rejected:
        read(tmp_path, document, name="bad.json")
    message = str(rejected.value)
    assert message.startswith("bad.json: ") and reason in message and "Chalmers" not in message


def test_deep_nesting_inside_a_string_is_not_nesting(tmp_path: Path) -> None:
    [row] = read(tmp_path, appointment("deep", comment="[" * 100))
    assert row["appointment_id"] == "deep"
