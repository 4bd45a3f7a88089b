"""Session logs, CSV and JSON Lines: typed rows, notes and patient ids gone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clinicops.sources.common import FileRejected, ReadContext
from clinicops.sources.sessions import read_sessions
from tests.practice import small_config, write_csv

NOTE = "Pt Hildegard Pfefferkorn called from 803-555-0199 re: nausea"


def context(name: str) -> ReadContext:
    return ReadContext(config=small_config(), source="sessions", file_name=name, sha256="e" * 64, file_seq=1,
                       ingested_at=datetime(2026, 11, 20, tzinfo=UTC), patient_key=lambda pid: "pk_" + "0" * 16)


def session(**values) -> dict:
    row = {
        "session_id": "S1", "appointment_id": "A1", "patient_id": "MRN-5", "location_id": "COL",
        "chair_id": "CHAIR-1", "provider_id": "P-OKAFOR", "chair_in": "2026-11-09 10:30",
        "infusion_start": "2026-11-09 10:45", "infusion_end": "2026-11-09 11:25", "chair_out": "2026-11-09 12:05",
        "medication": "Ketamine", "route": "iv", "dose_mg": "42.5", "weight_kg": "85", "infusion_number": "3",
        "phq9_pre": "14", "phq9_post": "", "adverse_events": "Nausea; Dissociation", "aborted": "", "notes": NOTE,
    }
    row.update(values)
    return row


def read(path: Path, name: str) -> list[dict]:
    return [row for batch in read_sessions(path, context(name)) for row in batch.data.to_pylist()]


def test_csv_session_is_typed_and_loses_its_notes(tmp_path: Path) -> None:
    [row] = read(write_csv(tmp_path / "s.csv", [session()]), "s.csv")
    assert row["chair_in_at"] == datetime(2026, 11, 9, 15, 30, tzinfo=UTC)
    assert row["medication"] == "ketamine" and row["route"] == "IV" and row["dose_mg"] == 42.5
    assert row["phq9_pre"] == 14 and row["phq9_post"] is None and row["aborted"] is False
    assert row["adverse_events"] == "dissociation;nausea"  # codes of the fixed vocabulary, sorted
    text = json.dumps(row, default=str)
    assert "Pfefferkorn" not in text and "803-555-0199" not in text and "MRN-5" not in text
    assert json.loads(row["_raw_values"])["notes"] == "[removed]"


def test_json_lines_with_a_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    good = session(session_id="S2", aborted=True, dose_mg=56, route="IN", medication="esketamine", weight_kg=None)
    path.write_text(json.dumps(good) + "\n\n{not json, " + NOTE + "\n")
    first, bad = read(path, "s.jsonl")
    assert first["session_id"] == "S2" and first["aborted"] is True and first["weight_kg"] is None
    assert first["_row_number"] == 1
    assert bad["session_id"] is None and bad["_row_number"] == 3
    assert "Pfefferkorn" not in json.dumps(bad, default=str)


def test_unknown_format_and_missing_column_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="s.xlsx: unknown format"):
        read(tmp_path / "s.xlsx", "s.xlsx")
    row = session()
    del row["chair_out"]
    with pytest.raises(FileRejected, match="'chair_out' missing"):
        read(write_csv(tmp_path / "s.csv", [row]), "s.csv")


@pytest.mark.parametrize(
    ("text", "codes"),
    [("Nausea; Dissociation", "dissociation;nausea"), ("emesis;  HIGH BP ;", "hypertension;vomiting"),
     ("Pt Hildegard felt odd after 803-555-0199 call", "other"), ("", None),
     ("desat; Tachy", "desaturation;tachycardia"), ("drowsy\nanxious", "anxiety;sedation")],
)
def test_adverse_events_become_codes_and_the_text_goes_no_further(tmp_path: Path, text: str, codes: str | None) -> None:
    [row] = read(write_csv(tmp_path / "s.csv", [session(adverse_events=text)]), "s.csv")
    assert row["adverse_events"] == codes
    assert "Hildegard" not in json.dumps(row, default=str)
