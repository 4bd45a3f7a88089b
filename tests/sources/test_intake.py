"""Intake exports: the answer to "how did you hear about us" leaves the reader only in coded form."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from clinicops.sources.common import FileRejected, ReadContext
from clinicops.sources.intake import read_intake
from tests.practice import small_config

INGESTED = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
PLANTED = ["Bartholomew", "Fairweather", "803-555-0177", "bf@example.com", "Margarethe", "Quackenbush"]


def read(path: Path, profiles: Path | None = None) -> list[dict]:
    ctx = ReadContext(config=small_config(), source="intake", file_name=path.name, sha256="c" * 64, file_seq=6,
                      ingested_at=INGESTED, patient_key=lambda pid: f"pk_{pid}", profiles_dir=profiles)
    return [row for batch in read_intake(path, ctx) for row in batch.data.to_pylist()]


def test_the_canonical_intake_layout_is_coded(tmp_path: Path) -> None:
    path = tmp_path / "intake_2026-11.csv"
    path.write_text("patient_id,intake_date,referral_source\n"
                    "P-1,2026-11-02,Google  Search!\n"
                    "P-2,2026-11-03,\"my cousin Bartholomew Fairweather, 803-555-0177, bf@example.com\"\n"
                    "P-3,2026-11-04T09:30:00,\n"
                    ",2026-11-05,Yelp\n")
    matched, unmatched, blank, nobody = read(path)
    assert (matched["patient_key"], matched["intake_date"], matched["referral_given"],
            matched["referral_matched_text"]) == ("pk_P-1", date(2026, 11, 2), True, "google search")
    assert (unmatched["referral_given"], unmatched["referral_matched_text"]) == (True, None)
    assert (blank["referral_given"], blank["referral_matched_text"], blank["intake_date"]) == \
        (False, None, date(2026, 11, 4))
    assert nobody["patient_key"] is None  # the suite sets it aside (patient_present)
    assert matched["source_format"] == "csv"
    everything = json.dumps([matched, unmatched, blank, nobody], default=str)
    for planted in PLANTED:
        assert planted not in everything
    assert json.loads(unmatched["_raw_values"])["referral_source"] == "[removed]"


def test_an_intake_form_export_through_its_profile(tmp_path: Path) -> None:
    path = tmp_path / "Intake Form Responses.csv"
    path.write_bytes(("\ufeffClient ID,Client Name,Submitted,How did you hear about us?\r\n"
                      "5.91486E+12,Margarethe Quackenbush,11/02/2026 04:15 PM,Psychology Today\r\n").encode())
    [row] = read(path)
    assert (row["patient_key"], row["intake_date"], row["referral_matched_text"], row["source_format"]) == \
        ("pk_5.91486E+12", date(2026, 11, 2), "psychology today", "intake-form-export")
    assert "Quackenbush" not in json.dumps(row, default=str)


def test_an_intake_file_without_the_columns_is_rejected_by_name(tmp_path: Path) -> None:
    path = tmp_path / "intake.csv"
    path.write_text("name,notes\nBartholomew,hi\n")
    with pytest.raises(FileRejected) as rejected:
        read(path)
    assert str(rejected.value).startswith("intake.csv: ") and "Bartholomew" not in str(rejected.value)


def test_unmatched_intake_answers_are_counted_per_patient_for_the_phrase_book(tmp_path: Path) -> None:
    """As for a booking's answer: the reader hands each (phrase key, phrase, patient) once to the vault's
    phrase book, which shows a phrase only once 11 patients gave it; the matched answer is not noted."""
    path = tmp_path / "intake_2026-11.csv"
    path.write_text("patient_id,intake_date,referral_source\n"
                    "P-1,2026-11-02,Saw a Billboard!\n"
                    "P-1,2026-11-03,saw a billboard\n"
                    "P-2,2026-11-03,Saw a billboard\n"
                    "P-3,2026-11-04,Google\n")
    noted: list[tuple] = []
    ctx = ReadContext(config=small_config(), source="intake", file_name=path.name, sha256="c" * 64, file_seq=6,
                      ingested_at=INGESTED, patient_key=lambda pid: f"pk_{pid}", phrase_key=lambda t: f"ph_{t}",
                      note_phrases=noted.extend)
    rows = [row for batch in read_intake(path, ctx) for row in batch.data.to_pylist()]
    assert [r["referral_matched_text"] for r in rows] == [None, None, None, "google"]
    assert sorted(noted) == [("ph_saw a billboard", "saw a billboard", "pk_P-1"),
                             ("ph_saw a billboard", "saw a billboard", "pk_P-2")]
