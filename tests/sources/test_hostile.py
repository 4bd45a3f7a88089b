"""Broken and hostile input (sources.md, "the rules every reader follows"): one outcome per case, named.

Each test plants one case and asserts its outcome: the file rejected by name (the message never quotes
the file), or the row set aside under a named rule; never a traceback, never a silent change of meaning.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clinicops.expectations.runner import Validator
from clinicops.sources.bookings import read_bookings_csv
from clinicops.sources.common import FileRejected, ReadContext
from clinicops.sources.landing import scan_inbox
from clinicops.sources.sessions import read_sessions
from clinicops.steps import accept_source, plan_run, run_history, stage_source
from clinicops.vault import Vault
from tests.practice import booking, make_practice, small_config, write_csv

INGESTED = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
HEADER = ("appointment_id,patient_id,location_id,provider_id,resource_id,appointment_type,start,duration_minutes,"
          "status,created_at,cancelled_at,cancelled_by,referral_source,updated_at")


def context(name: str, source: str = "bookings") -> ReadContext:
    keys: dict[str, str] = {}
    return ReadContext(config=small_config(), source=source, file_name=name, sha256="f" * 64, file_seq=1,
                       ingested_at=INGESTED, patient_key=lambda pid: keys.setdefault(pid, f"pk_{len(keys):04d}"))


def bookings(path: Path, name: str = "export.csv") -> list[dict]:
    return [row for batch in read_bookings_csv(path, context(name)) for row in batch.data.to_pylist()]


def line(appointment_id: str, referral: str = "Google", start: str = "2026-11-16 10:00") -> str:
    return (f"{appointment_id},MRN-1,COL,P-OKAFOR,CHAIR-1,ketamine_infusion,{start},90,Completed,2026-11-01 09:00,,,"
            f"{referral},")


# ---- files judged before their rows ---------------------------------------------------------------------------

def test_a_headerless_export_is_rejected_naming_the_columns_it_lacks_and_quoting_nothing(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("A1,MRN-77231,Margarethe Quackenbush,1984-02-29,(803) 555-0142\n")
    with pytest.raises(FileRejected) as e:
        bookings(path)
    message = str(e.value)
    assert "export.csv: the first line is not a header" in message and "appointment_id" in message
    for planted in ("MRN-77231", "Margarethe", "1984-02-29", "555-0142"):
        assert planted not in message


def test_a_password_file_is_not_a_header(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    with pytest.raises(FileRejected) as e:
        bookings(path)
    assert "root" not in str(e.value) and "not a header" in str(e.value)


def test_a_missing_column_names_only_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER.replace("start,", "Margarethe Quackenbush,") + "\n")
    with pytest.raises(FileRejected) as e:
        bookings(path)
    assert "'start' missing" in str(e.value) and "Margarethe" not in str(e.value)


def test_a_column_twice_is_rejected_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + ",Status \n" + line("A1") + ",Scheduled\n")
    with pytest.raises(FileRejected, match="'status' appears twice"):
        bookings(path)


@pytest.mark.parametrize("reader", ["bookings", "sessions_csv", "sessions_jsonl"])
def test_an_empty_file_is_rejected_and_a_header_only_file_has_no_rows(tmp_path: Path, reader: str) -> None:
    name = {"bookings": "b.csv", "sessions_csv": "s.csv", "sessions_jsonl": "s.jsonl"}[reader]
    path = tmp_path / name
    path.write_bytes(b"")
    read = (lambda p: bookings(p, name)) if reader == "bookings" else \
        (lambda p: [r for b in read_sessions(p, context(name, "sessions")) for r in b.data.to_pylist()])
    with pytest.raises(FileRejected, match=f"{name}: empty file"):
        read(path)
    if reader == "bookings":
        path.write_text(HEADER + "\r\n")
        assert read(path) == []


def test_an_inbox_symlink_device_or_folder_is_refused_by_name_and_never_read(tmp_path: Path) -> None:
    home = make_practice(tmp_path / "home")
    secret = tmp_path / "secret.csv"
    secret.write_text(HEADER + "\n" + line("SECRET-ROW") + "\n")
    os.symlink(secret, home.inbox("bookings") / "linked.csv")
    os.symlink("/etc/passwd", home.inbox("bookings") / "passwd.csv")
    (home.inbox("bookings") / "folder.csv").mkdir()
    os.mkfifo(home.inbox("bookings") / "pipe.csv")
    files, refused = scan_inbox(home, "bookings")
    assert [f.name for f in files] == ["bookings_2026-11.csv"]
    assert {r.name: r.reason.split(": ")[1].split(",")[0] for r in refused} == {
        "linked.csv": "a symbolic link", "passwd.csv": "a symbolic link", "folder.csv": "a folder",
        "pipe.csv": "a device or pipe"}
    config = small_config()
    staged = stage_source(home, config, Vault.open(home.vault, ""), plan_run(home)["bookings"], "run-1")
    assert sorted(r.file for r in staged.rejected) == ["folder.csv", "linked.csv", "passwd.csv", "pipe.csv"]
    landed = b"".join(p.read_bytes() for p in home.landing.rglob("*") if p.is_file())
    assert b"SECRET-ROW" not in landed and b"root:" not in landed


# ---- rows judged before they land ---------------------------------------------------------------------------

def quarantined(home_root: Path, name: str, text: str | bytes, source: str = "bookings") -> tuple[dict, list, list]:
    """Plant one file in a practice and run plan -> stage -> accept: (outcome, quarantine, accepted rows)."""
    home = make_practice(home_root)
    for other in home.inbox(source).iterdir():
        other.unlink()
    target = home.inbox(source) / name
    target.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    config = small_config()
    staged = stage_source(home, config, Vault.open(home.vault, ""), plan_run(home)[source], "run-1")
    outcome = accept_source(home, config, Validator(config), staged, "run-1")
    import pyarrow.parquet as pq

    table = "bookings" if source == "bookings" else "sessions"
    accepted = [r for p in (home.lake / table).rglob("*.parquet") for r in pq.read_table(p).to_pylist()]
    return outcome, run_history(home, "quarantine", "run-1"), accepted


def test_an_unbalanced_quote_never_merges_rows_into_one_accepted_row(tmp_path: Path) -> None:
    text = "\n".join([HEADER, line("A1"), line("A2", referral='"dr smith referral'), line("A3"), line("A4"),
                      line("A5", referral='"friend, family"'), line("A6")]) + "\n"
    outcome, quarantine, accepted = quarantined(tmp_path, "export.csv", text)
    malformed = [q for q in quarantine if q["rule"] == "malformed_row"]
    assert len(malformed) == 1 and malformed[0]["row_number"] == 3
    assert "lines 3-6" in malformed[0]["message"]
    assert sorted(r["appointment_id"] for r in accepted) == ["A1", "A6"]
    assert not any("\n" in (r["referral_source_raw"] or "") for r in accepted)
    assert outcome.rows_read == outcome.rows_accepted + outcome.rows_quarantined


def test_a_quoted_line_break_in_free_text_is_allowed(tmp_path: Path) -> None:
    text = "\n".join([HEADER, line("A1", referral='"my therapist,\nDr. Ames"'), line("A2")]) + "\n"
    _, quarantine, accepted = quarantined(tmp_path, "export.csv", text)
    assert quarantine == [] and sorted(r["appointment_id"] for r in accepted) == ["A1", "A2"]
    assert {r["appointment_id"]: r["_row_number"] for r in accepted} == {"A1": 2, "A2": 4}


def test_a_line_break_in_an_id_is_malformed(tmp_path: Path) -> None:
    text = "\n".join([HEADER, line('"A\n1"'), line("A2")]) + "\n"
    _, quarantine, accepted = quarantined(tmp_path, "export.csv", text)
    assert [(q["rule"], q["column_name"], q["row_number"]) for q in quarantine] == [
        ("malformed_row", "appointment_id", 2)]
    assert [r["appointment_id"] for r in accepted] == ["A2"]


def test_a_huge_id_a_control_character_and_an_impossible_year_are_named(tmp_path: Path) -> None:
    text = "\n".join([
        HEADER,
        line("A" * 70_000),
        line("A\x002"),
        line("A\x1b[2J3"),
        line("A4", start="99999-01-01 10:00"),
        line("A5", start="0001-01-01T00:00:00+05:00"),
        line("A6"),
    ]) + "\n"
    outcome, quarantine, accepted = quarantined(tmp_path, "export.csv", text)
    got = sorted((q["row_number"], q["rule"], q["column_name"]) for q in quarantine)
    assert got[:4] == [(2, "field_too_large", "appointment_id"), (3, "control_characters", "appointment_id"),
                       (4, "control_characters", "appointment_id"), (5, "timestamp_out_of_range", "start")]
    assert got[4][0] == 6 and got[4][2] == "start"  # year 1 reads, but lies outside any plausible span
    assert [r["appointment_id"] for r in accepted] == ["A6"]
    for q in quarantine:
        assert "OverflowError" not in q["message"] and len(q["raw_values"]) < 2_000
    assert outcome.rows_read == 6 == outcome.rows_accepted + outcome.rows_quarantined


def test_a_json_line_nested_too_deep_is_one_bad_row(tmp_path: Path) -> None:
    good = {"session_id": "S1", "patient_id": "MRN-1", "location_id": "COL", "chair_id": "CHAIR-1",
            "provider_id": "P-OKAFOR", "chair_in": "2026-11-16 10:00", "infusion_start": "2026-11-16 10:10",
            "infusion_end": "2026-11-16 10:50", "chair_out": "2026-11-16 11:30",
            "medication": "ketamine", "route": "IV", "dose_mg": 40, "weight_kg": 80}
    deep = "[" * 5000 + "]" * 5000
    text = json.dumps(good) + "\n" + '{"session_id": "S2", "x": ' + deep + "}\n" + "[1, 2]\n"
    outcome, quarantine, accepted = quarantined(tmp_path, "s.jsonl", text, source="sessions")
    assert sorted((q["row_number"], q["rule"]) for q in quarantine) == [(2, "nested_too_deep"), (3, "not_an_object")]
    assert [r["session_id"] for r in accepted] == ["S1"]
    assert "RecursionError" not in json.dumps(quarantine)


def test_a_number_too_large_for_its_column_is_named(tmp_path: Path) -> None:
    row = booking("A1", "2026-11-16 10:00", duration_minutes="1e30")
    home_text = write_csv(tmp_path / "x.csv", [row]).read_text()
    _, quarantine, accepted = quarantined(tmp_path / "h", "export.csv", home_text)
    assert [(q["rule"], q["column_name"]) for q in quarantine] == [("number_out_of_range", "duration_minutes")]
    assert accepted == []


def test_a_file_name_with_a_line_break_or_a_phone_is_shown_escaped_and_masked(tmp_path: Path) -> None:
    name = "bookings 803-555-0142\nSUMMARY all clean.csv"
    row = booking("A1", "2026-11-16 10:00", status="Bumped")
    text = write_csv(tmp_path / "x.csv", [row]).read_text()
    _, quarantine, _ = quarantined(tmp_path / "h", name, text)
    [q] = quarantine
    assert "\n" not in q["file"] and "\\n" in q["file"] and "555-0142" not in q["file"]
