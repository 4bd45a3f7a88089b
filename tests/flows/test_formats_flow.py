"""One real night (Prefect, GX, DuckDB, Parquet) over a vendor export, FHIR documents and an intake export:
a malformed FHIR document is rejected by name while the rest publishes; no display name or intake text
travels past the landing copy."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from clinicops.cli import main
from tests.practice import JANE_VALUES, make_practice

# planted identifiers: FHIR display names and the intake export's free text
PLANTED = ["Peter James Chalmers", "Chalmers", "Amy V. Shaw", "Bartholomew", "Fairweather", "803-555-0177",
           "bf@example.com", "Isadora"]


def _appointment(appointment_id: str, patient: str, display: str, status: str, start: str, updated: str) -> dict:
    return {
        "resourceType": "Appointment", "id": appointment_id, "status": status,
        "meta": {"lastUpdated": updated},
        "serviceType": [{"coding": [{"code": "ketamine_infusion", "display": "IV ketamine"}]}],
        "start": start, "minutesDuration": 60, "created": "2026-11-02T14:00:00Z",
        "participant": [
            {"actor": {"reference": f"Patient/{patient}", "display": display}},
            {"type": [{"coding": [{"code": "PPRF"}]}], "actor": {"reference": "Practitioner/P-OKAFOR"}},
            {"actor": {"reference": "Location/COL"}},
            {"actor": {"reference": "Device/CHAIR-2"}},
        ],
    }


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory):
    home = make_practice(tmp_path_factory.mktemp("formats-night"))
    inbox = home.inbox("bookings")
    searchset = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": _appointment("F-1", "eQ9z2", "Peter James Chalmers", "fulfilled", "2026-11-17T15:00:00Z",
                                  "2026-11-17T17:00:00Z")},
        {"resource": _appointment("F-2", "eAm1", "Amy V. Shaw", "booked", "2026-11-19T15:00:00Z",
                                  "2026-11-10T12:00:00Z")},
    ]}
    (inbox / "epic_appointments_nov.json").write_text(json.dumps(searchset))
    (inbox / "epic_error.json").write_text(json.dumps(
        {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "security"}]}))
    text = (Path(__file__).parents[2] / "clinicops" / "profiles" / "jane-appointments.toml").read_text()
    (home.profiles / "jane-appointments.toml").write_text(text + JANE_VALUES)
    (inbox / "jane_appointments_nov.csv").write_bytes(
        b"Appointment ID;Date;Start Time;End Time;Patient;Patient Number;Staff Member;Treatment;Location;Room;State;"
        b"Booked At;Cancelled At\r\n"
        b"J-1;2026-11-18;10:00 AM;11:30 AM;Isadora Quill;eAm1;Ada Okafor;Ketamine Infusion;Columbia;Chair 1;"
        b"Arrived;2026-11-02T14:05:00Z;\r\n")
    (inbox / "intake_nov.csv").write_text(
        "patient_id,intake_date,referral_source\n"
        "eQ9z2,2026-11-01,Google\n"
        "eAm1,2026-11-01,\"my cousin Bartholomew Fairweather, 803-555-0177, bf@example.com\"\n"
        "MRN-77231,2026-11-01,yelp\n")
    return home


def test_fhir_vendor_and_intake_files_publish_and_the_bad_document_is_rejected_by_name(night, capfd) -> None:
    home = night
    code = main(["run", "--home", str(home.root), "--as-of", "2026-11-25T02:00"])
    out, err = capfd.readouterr()
    assert code == 3, out + err
    assert "epic_error.json" in out and "OperationOutcome" in out
    for planted in PLANTED:
        assert planted not in out + err
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        outcomes = dict(con.execute("select appointment_id, outcome from core.appointments").fetchall())
        assert outcomes["F-1"] == "completed" and outcomes["F-2"] == "unresolved" and outcomes["J-1"] == "completed"
        assert con.execute("select source_format from core.appointments where appointment_id = 'J-1'"
                           ).fetchall() == [("jane-appointments",)]
        assert con.execute("select file, reason like '%OperationOutcome%' from ops.rejected_files").fetchall() == [
            ("epic_error.json", True)]
        sources = dict(con.execute("select source, rows_accepted from ops.run_sources").fetchall())
        assert sources == {"bookings": 4 + 3 + 3, "sessions": 1, "reviews": 2}  # the intake rows are bookings'
        assert con.execute("select count(*) from ops.validation_results where file = 'intake_nov.csv'"
                           ).fetchall()[0][0] > 0
        # first touch: the FHIR patient has no booking text -> the intake's 'Google'; the canonical CSV
        # patient's booking says 'Google Search' and wins over the intake's 'yelp'; the free text -> other
        patients = con.execute(
            "select a.appointment_id, p.referral_source, p.referral_source_origin, p.referral_source_raw_normalised "
            "from core.patients p join core.appointments a using (patient_key) "
            "where a.appointment_id in ('F-1', 'F-2', 'A1') order by 1").fetchall()
        assert patients == [("A1", "google", "booking", "google search"), ("F-1", "google", "intake", "google"),
                            ("F-2", "other", "intake", None)]
        # the Jane booking and FHIR's F-2 are the same patient (eAm1): one patient_key across sources
        assert con.execute("select count(distinct patient_key) from core.appointments "
                           "where appointment_id in ('F-2', 'J-1')").fetchall() == [(1,)]
    finally:
        con.close()
    prefect_db = list(Path(os.environ["PREFECT_HOME"]).glob("prefect.db*"))
    places = [*home.lake.rglob("*.parquet"), *home.ops.rglob("*.parquet"), *home.reports.rglob("*.html"),
              home.warehouse, home.manifest, *prefect_db]
    assert any("intake" in str(p) for p in places)
    for path in places:
        blob = path.read_bytes()
        for planted in PLANTED:
            assert planted.encode() not in blob, f"{planted!r} found in {path}"
