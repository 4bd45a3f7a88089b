"""Mapping profiles: vendor exports written the way each system writes them, read to canonical bookings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import pytest

from clinicops.sources.common import FileRejected, ReadContext
from clinicops.sources.profiled import read_bookings
from clinicops.sources.profiles import ProfileError, load_profile, profile_for, shipped_profiles
from tests.practice import JANE_VALUES, small_config

INGESTED = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
CLIENTS = ["Margarethe Quackenbush", "Hildegard Pfefferkorn", "Pfefferkorn, Hildegard"]


def context(name: str, profiles: Path | None) -> ReadContext:
    keys: dict[str, str] = {}
    return ReadContext(config=small_config(), source="bookings", file_name=name, sha256="e" * 64, file_seq=4,
                       ingested_at=INGESTED, patient_key=lambda pid: keys.setdefault(pid, f"pk_{pid}"),
                       profiles_dir=profiles)


def read(path: Path, profiles: Path | None) -> list[dict]:
    return [row for batch in read_bookings(path, context(path.name, profiles)) for row in batch.data.to_pylist()]


def home_profile(folder: Path, shipped: str, extra: str) -> Path:
    """A practice's own copy of a shipped profile with its own value maps (its staff and location names)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = files("clinicops").joinpath(f"profiles/{shipped}.toml").read_text(encoding="utf-8")
    path = folder / f"{shipped}.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


SIMPLEPRACTICE_VALUES = '''
[values.provider_id]
"Dr. Ada Okafor" = "P-OKAFOR"
[values.location_id]
"Columbia Office" = "COL"
'''

# SimplePractice's attendance report as Excel re-saves it: BOM, CRLF, the summary row under the header,
# a client name with a comma (quoted), an id turned into 5.91486E+12, MM/DD/YYYY and hh:mm AM/PM.
SIMPLEPRACTICE = (
    "\ufeffDate of Service,Time,Client,Client ID,Clinician,Service,Location,Duration,Status\r\n"
    "Total,,,,,,,,4 appointments\r\n"
    "11/16/2026,10:00 AM,Margarethe Quackenbush,5.91486E+12,Dr. Ada Okafor,"
    "\"90837 Psychotherapy, 60 min\",Columbia Office,60,Show\r\n"
    "11/16/2026,01:30 PM,\"Pfefferkorn, Hildegard\",1042,Dr. Ada Okafor,"
    "\"90837 Psychotherapy, 60 min\",Columbia Office,60,Late Cancelled\r\n"
    "11/17/2026,09:00 AM,Hildegard Pfefferkorn,1042,Dr. Ada Okafor,"
    "\"99214 Office/outpatient visit, est\",Columbia Office,30,Clinician Canceled\r\n"
    "11/18/2026,09:00 AM,Hildegard Pfefferkorn,1042,Dr. Ada Okafor,Ketamine Infusion,Columbia Office,90,"
    "Maybe\r\n"
)


def test_simplepractice_attendance_report(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    home_profile(profiles, "simplepractice-attendance", SIMPLEPRACTICE_VALUES)
    path = tmp_path / "inbox" / "Attendance Report 2026-11.csv"
    path.parent.mkdir()
    path.write_bytes(SIMPLEPRACTICE.encode("utf-8"))
    rows = read(path, profiles)
    assert [r["_row_number"] for r in rows] == [3, 4, 5, 6]  # the summary row (line 2) skipped, not bad
    first, late, clinic, unknown = rows
    assert first["patient_key"] == "pk_5.91486E+12"  # the mangled id kept as text
    assert first["start_at"] == datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # 10:00 AM EST
    assert (first["status"], first["appointment_type"], first["duration_minutes"]) == ("fulfilled", "therapy", 60)
    assert (first["provider_id"], first["location_id"]) == ("P-OKAFOR", "COL")
    assert first["source_format"] == "simplepractice-attendance" and first["created_at"] is None
    assert late["start_at"] == datetime(2026, 11, 16, 18, 30, tzinfo=UTC)
    assert late["status"] == "cancelled" and late["status_says_late"] is True
    assert clinic["status"] == "cancelled" and clinic["cancelled_by"] == "clinic"
    assert clinic["appointment_type"] == "med_management" and unknown["status"] is None
    # derived ids: stable, distinct, and the same in a second export of the same appointments
    ids = [r["appointment_id"] for r in rows]
    assert len(set(ids)) == 4 and all(i.startswith("simplepracti") for i in ids)
    assert [r["appointment_id"] for r in read(path, profiles)] == ids
    everything = json.dumps(rows, default=str)
    for name in CLIENTS:
        assert name not in everything
    assert json.loads(first["_raw_values"])["patient_id"] == "[removed]"



# Jane's appointments report in a ';' locale: local times written with a literal Z, the end a time alone,
# a same-day booking created after its date-only start, CRLF.
JANE = (
    "Appointment ID;Date;Start Time;End Time;Patient;Patient Number;Staff Member;Treatment;Location;Room;State;"
    "Booked At;Cancelled At\r\n"
    "88121;2026-11-16;10:00 AM;11:30 AM;Margarethe Quackenbush;P-311;Ada Okafor;Ketamine Infusion;Columbia;"
    "Chair 1;Arrived;2026-11-02T14:05:00Z;\r\n"
    "88122;2026-11-18;;;\"Pfefferkorn; Hildegard\";P-312;Ada Okafor;Consult;Columbia;;Booked;"
    "2026-11-18T16:40:00Z;\r\n"
    "88123;2026-11-19;09:00 AM;09:30 AM;Hildegard Pfefferkorn;P-312;Ada Okafor;Follow Up;Columbia;;Cancelled;"
    "2026-11-10T09:00:00Z;2026-11-18T20:15:00Z\r\n"
)


def test_jane_appointments_export(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    home_profile(profiles, "jane-appointments", JANE_VALUES)
    path = tmp_path / "jane_appointments_2026-11-20.csv"
    path.write_bytes(JANE.encode("utf-8"))
    arrived, same_day, cancelled = read(path, profiles)
    assert arrived["appointment_id"] == "88121" and arrived["resource_id"] == "CHAIR-1"
    assert arrived["start_at"] == datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
    assert arrived["duration_minutes"] == 90  # the end, a time alone, took the start's date
    assert arrived["created_at"] == datetime(2026, 11, 2, 19, 5, tzinfo=UTC)  # "14:05Z" is local time, EST
    assert arrived["status"] == "fulfilled" and arrived["appointment_type"] == "ketamine_infusion"
    # a date-only start, booked later that same day: not bad input
    assert same_day["start_is_date_only"] is True and same_day["start_at"] == datetime(2026, 11, 18, 5, tzinfo=UTC)
    assert same_day["created_at"] == datetime(2026, 11, 18, 21, 40, tzinfo=UTC)
    assert same_day["_read_problem"] is None
    assert cancelled["cancelled_at"] == datetime(2026, 11, 19, 1, 15, tzinfo=UTC)
    assert cancelled["status"] == "cancelled" and cancelled["appointment_type"] == "follow_up"


def test_a_home_profile_wins_over_the_shipped_one_and_canonical_is_last(tmp_path: Path) -> None:
    assert profile_for("Attendance Report.csv", None).name == "simplepractice-attendance"
    assert profile_for("bookings.csv", None).name == "canonical"
    assert profile_for("intake_nov.csv", None, kind="intake").name == "canonical-intake"
    assert profile_for("Intake Form Responses.csv", None, kind="intake").name == "intake-form-export"
    assert {p.name for p in shipped_profiles()} >= {"canonical", "simplepractice-attendance", "jane-appointments"}
    profiles = tmp_path / "profiles"
    home_profile(profiles, "simplepractice-attendance", '[values.provider_id]\n"X" = "P-LEE"\n')
    chosen = profile_for("my_attendance.csv", profiles)
    assert chosen.path == str(profiles / "simplepractice-attendance.toml")
    assert chosen.values["provider_id"] == {"X": "P-LEE"}


def test_a_csv_no_profile_matches_and_not_canonical_is_rejected_by_name(tmp_path: Path) -> None:
    path = tmp_path / "export_from_somewhere.csv"
    path.write_text("Client,When,What\nMargarethe Quackenbush,11/16/2026,Show\n")
    with pytest.raises(FileRejected) as rejected:
        read(path, tmp_path / "profiles")
    message = str(rejected.value)
    assert message.startswith("export_from_somewhere.csv: no mapping profile matches")
    assert "Margarethe" not in message


@pytest.mark.parametrize(("text", "expected"), [
    ('[profile]\nname = "x"\nmatch = "*.csv"\nmatc = 1\n', "profile.matc: is not a known key; did you mean 'match'"),
    ('[profile]\nname = "x"\nmatch = "*.csv"\n[columns]\npatient = "Client"\n', "columns: 'patient' is not a "
     "canonical booking column"),
    ('[profile]\nname = "x"\nmatch = "*.csv"\n[columns]\nappointment_id = "Id"\n', "no column or constant for "
     "patient_id"),
    ('[profile]\nname = "x"\nmatch = "*.csv"\ndelimiter = ";;"\n', "profile.delimiter"),
    ('[profile]\nname = "x"\nmatch = "*.csv"\ndate_only = ["Date"]\n', "profile.date_only"),
    ('[profile]\nname = "x"\nmatch = "*.csv"\n[columns]\nappointment_id = { derive = ["A"], salt = 1 }\n',
     "columns.appointment_id"),
    ('[profile\n', "not valid TOML"),
])
def test_a_bad_profile_is_refused_naming_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as refused:
        load_profile(path, str(path))
    assert str(refused.value).startswith(f"{path}: ") and expected in str(refused.value), str(refused.value)


def test_a_bad_home_profile_rejects_the_file_by_name(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "broken.toml").write_text('[profile]\nname = "x"\n')
    path = tmp_path / "bookings.csv"
    path.write_text("appointment_id\n")
    with pytest.raises(FileRejected) as rejected:
        read(path, profiles)
    assert "broken.toml" in str(rejected.value) and "profile.match: is required" in str(rejected.value)
