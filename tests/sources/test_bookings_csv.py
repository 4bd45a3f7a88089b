"""The canonical bookings CSV reader: real-export quirks, time zones, status words, PHI dropped here."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clinicops.sources.bookings import read_bookings_csv
from clinicops.sources.common import FileRejected, ReadContext
from tests.practice import small_config, write_csv

INGESTED = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
PHI = ["Margarethe", "Quackenbush", "(803) 555-0142", "mq@example.org", "1984-02-29", "MRN-77231"]


def context(name: str, batch_rows: int = 50_000) -> ReadContext:
    keys: dict[str, str] = {}
    phrases: dict[str, str] = {}
    return ReadContext(config=small_config(), source="bookings", file_name=name, sha256="f" * 64, file_seq=3,
                       ingested_at=INGESTED, patient_key=lambda pid: keys.setdefault(pid, f"pk_{len(keys):04d}"),
                       phrase_key=lambda text: phrases.setdefault(text, f"ph_{len(phrases):04d}"),
                       batch_rows=batch_rows)


def booking(**values) -> dict:
    row = {
        "appointment_id": "A1", "patient_id": "MRN-77231", "location_id": "COL", "provider_id": "P-OKAFOR",
        "resource_id": "CHAIR-1", "appointment_type": "IV Ketamine", "start": "2026-11-09 10:30",
        "duration_minutes": "90", "status": "Completed", "created_at": "2026-11-01 09:00", "cancelled_at": "",
        "cancelled_by": "", "referral_source": " Google ", "updated_at": "",
        "patient_first_name": "Margarethe", "patient_last_name": "Quackenbush", "patient_dob": "1984-02-29",
        "patient_phone": "(803) 555-0142", "patient_email": "mq@example.org",
    }
    row.update(values)
    return row


def read(path: Path, name: str = "export.csv", **kw) -> list[dict]:
    return [row for batch in read_bookings_csv(path, context(name, **kw)) for row in batch.data.to_pylist()]


def test_one_row_becomes_a_typed_canonical_row_without_phi(tmp_path: Path) -> None:
    [row] = read(write_csv(tmp_path / "export.csv", [booking()]))
    assert row["appointment_id"] == "A1" and row["patient_key"] == "pk_0000"
    assert row["appointment_type"] == "ketamine_infusion"
    assert row["start_at"] == datetime(2026, 11, 9, 15, 30, tzinfo=UTC)  # 10:30 EST
    assert row["status"] == "fulfilled" and row["duration_minutes"] == 90
    assert row["cancelled_by"] == "patient" and row["referral_source_raw"] == "google"  # matched: kept, normalised
    assert row["updated_at"] == INGESTED  # empty updated_at = when the file was first ingested
    assert row["age_band"] == "35-44"  # born 1984-02-29, 42 on 2026-11-09
    assert row["_row_number"] == 2 and row["_file"] == "export.csv" and row["_file_seq"] == 3
    everything = json.dumps(row, default=str)
    for value in PHI:
        assert value not in everything
    raw = json.loads(row["_raw_values"])
    assert raw["patient_id"] == "[removed]" and raw["patient_dob"] == "[removed]" and raw["status"] == "Completed"


def test_real_export_quirks_are_not_bad_input(tmp_path: Path) -> None:
    rows = [
        booking(appointment_id="5.91486E+12", appointment_type="consultation", referral_source="dr. smith, referral"),
        booking(appointment_id="A2", appointment_type="Ketamine Infusion", start="2026-11-10",
                created_at="2026-11-10 15:00", extra_column="ignored"),
    ]
    path = write_csv(tmp_path / "export.csv", rows, bom=True, crlf=True)
    first, second = read(path)
    assert first["appointment_id"] == "5.91486E+12" and first["referral_source_raw"] is None  # matched nothing
    assert first["referral_phrase_key"].startswith("ph_")
    assert first["appointment_type"] == "consultation"
    assert second["appointment_type"] == "ketamine_infusion"
    assert second["start_is_date_only"] is True
    assert second["start_at"] == datetime(2026, 11, 10, 5, 0, tzinfo=UTC)  # local midnight, EST
    assert second["_row_number"] == 3


@pytest.mark.parametrize(
    ("word", "code", "late", "by"),
    [("Scheduled", "booked", False, "patient"), ("Confirmed", "booked", False, "patient"),
     ("No Show", "noshow", False, "patient"), ("DNA", "noshow", False, "patient"),
     ("no-show", "noshow", False, "patient"), ("Canceled", "cancelled", False, "patient"),
     ("Late Cancel", "cancelled", True, "patient"), ("Late Canceled", "cancelled", True, "patient"),
     ("Clinician Canceled", "cancelled", False, "clinic"), ("Provider Canceled", "cancelled", False, "clinic"),
     ("entered-in-error", "entered-in-error", False, "patient"), ("Attended", "fulfilled", False, "patient"),
     ("CHECKED-IN", "checked-in", False, "patient"), ("Rescheduled?", None, False, "patient")],
)
def test_status_words(tmp_path: Path, word: str, code: str | None, late: bool, by: str) -> None:
    [row] = read(write_csv(tmp_path / "export.csv", [booking(status=word)]))
    assert (row["status"], row["status_says_late"], row["cancelled_by"]) == (code, late, by)


def test_times_offsets_and_durations(tmp_path: Path) -> None:
    rows = [
        booking(appointment_id="OFFSET", start="2026-11-09T10:30:00-05:00", duration_minutes="",
                end="2026-11-09T12:00:00-05:00"),
        booking(appointment_id="UTC", start="2026-11-09T04:30:00Z"),  # 23:30 on the 8th, local
        booking(appointment_id="DST", start="2026-03-08 01:30", duration_minutes="", end="2026-03-08 03:30"),
        booking(appointment_id="BAD", start="31/02/2026 25:00", duration_minutes="-5"),
        booking(appointment_id="HALF", duration_minutes="50.5", cancelled_by="the dog", appointment_type="Reiki"),
    ]
    got = {r["appointment_id"]: r for r in read(write_csv(tmp_path / "x.csv", rows))}
    assert got["OFFSET"]["duration_minutes"] == 90 and got["OFFSET"]["start_at"].hour == 15
    assert got["UTC"]["start_at"] == datetime(2026, 11, 9, 4, 30, tzinfo=UTC)
    assert got["DST"]["duration_minutes"] == 60  # the clocks sprang forward: one real hour
    assert got["BAD"]["start_at"] is None and got["BAD"]["duration_minutes"] == -5
    assert got["HALF"]["duration_minutes"] is None and got["HALF"]["cancelled_by"] is None
    assert got["HALF"]["appointment_type"] is None  # an unknown word: the suite sets the row aside


def test_a_missing_required_column_rejects_the_file_by_name(tmp_path: Path) -> None:
    row = booking()
    del row["start"]
    path = write_csv(tmp_path / "appointments.csv", [row])
    with pytest.raises(FileRejected, match=r"appointments\.csv: required column 'start' missing"):
        read(path, "appointments.csv")


def test_not_utf8_is_rejected_by_name(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    write_csv(path, [booking(referral_source="café")])
    path.write_bytes(path.read_bytes().replace("é".encode(), b"\xe9"))
    with pytest.raises(FileRejected, match=r"latin\.csv: not UTF-8"):
        read(path, "latin.csv")


def test_batches_stream(tmp_path: Path) -> None:
    rows = [booking(appointment_id=f"A{i}") for i in range(7)]
    batches = list(read_bookings_csv(write_csv(tmp_path / "x.csv", rows), context("x.csv", batch_rows=3)))
    assert [b.data.num_rows for b in batches] == [3, 3, 1]
    assert batches[2].data.column("_row_number").to_pylist() == [8]


def test_referral_free_text_travels_only_in_coded_form(tmp_path: Path) -> None:
    rows = [booking(appointment_id="M", referral_source="  GOOGLE   search!! "),
            booking(appointment_id="U", referral_source="my neighbour Margarethe Quackenbush (803) 555-0142"),
            booking(appointment_id="U2", referral_source="My neighbour margarethe quackenbush 803 555 0142"),
            booking(appointment_id="E", referral_source=" -- ")]
    got = {r["appointment_id"]: r for r in read(write_csv(tmp_path / "x.csv", rows))}
    assert got["M"]["referral_source_raw"] == "google search"  # a configured word: its normalised text
    assert got["U"]["referral_source_raw"] is None and got["U"]["referral_phrase_key"]
    assert got["U"]["referral_phrase_key"] == got["U2"]["referral_phrase_key"]  # the same phrase, the same key
    assert got["E"]["referral_source_raw"] is None and got["E"]["referral_phrase_key"] is None  # no answer
    everything = json.dumps(list(got.values()), default=str)
    for planted in ("Quackenbush", "quackenbush", "555-0142", "555 0142", "neighbour"):
        assert planted not in everything
