"""Hand-worked figures for FHIR cancellation times and sessions logged without an appointment id.

America/New_York, EDT (UTC-4) from 8 March 2026; as_of 2026-03-31 16:00Z; late-cancel window 24 h.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from clinicops.config import parse_config
from clinicops.home import Home
from clinicops.warehouse.build import build_warehouse
from tests.warehouse.conftest import AS_OF, CONFIG, booking, session, ts, write_lake


def _bookings() -> list[tuple[int, dict]]:
    fhir = {"source_format": "fhir", "created_at": "2026-03-01T15:00"}
    start = "2026-03-10T14:00"  # 10:00 EDT
    return [
        # F-OBS: booked in night 1, cancelled in night 2 (lastUpdated 20:00Z the day before: 18 h notice), pulled
        # again unchanged in night 3 -> cancelled_at = the first cancelled version's lastUpdated -> late_cancel
        (1, booking("F-OBS", "pk-f", "therapy", start, 50, "booked", updated_at="2026-03-05T10:00", **fhir)),
        (2, booking("F-OBS", "pk-f", "therapy", start, 50, "cancelled", updated_at="2026-03-09T20:00", **fhir)),
        (3, booking("F-OBS", "pk-f", "therapy", start, 50, "cancelled", updated_at="2026-03-09T20:00", **fhir)),
        # F-ONLY: only ever seen cancelled (lastUpdated 2 h before start): time unknown -> early_cancel
        (2, booking("F-ONLY", "pk-f", "therapy", "2026-03-11T14:00", 50, "cancelled",
                    updated_at="2026-03-11T12:00", **fhir)),
        # F-R5: an R5 cancellationDate (9 days before) wins over the observed change -> early_cancel
        (1, booking("F-R5", "pk-f", "therapy", "2026-03-12T14:00", 50, "booked", updated_at="2026-03-01T10:00",
                    **fhir)),
        (2, booking("F-R5", "pk-f", "therapy", "2026-03-12T14:00", 50, "cancelled", updated_at="2026-03-12T10:00",
                    cancelled_at="2026-03-03T10:00", **fhir)),
        # CSV-CAN: the same history in the canonical CSV keeps its unknown time -> early_cancel (unchanged rule)
        (1, booking("CSV-CAN", "pk-f", "therapy", start, 50, "booked", updated_at="2026-03-05T10:00",
                    created_at="2026-03-01T15:00")),
        (2, booking("CSV-CAN", "pk-f", "therapy", start, 50, "cancelled", updated_at="2026-03-09T20:00",
                    created_at="2026-03-01T15:00")),
        # sessions to match, all in CHAIR-1
        (1, booking("M-1", "pk-m", "ketamine_infusion", "2026-03-12T15:00", 60, "fulfilled", resource_id="CHAIR-1",
                    created_at="2026-03-01T15:00")),
        # pk-late: 03:30Z on 13 March is 23:30 EDT on the 12th; its session starts 03:35Z -> the same local day
        (1, booking("L-1", "pk-late", "ketamine_infusion", "2026-03-13T03:30", 60, "fulfilled",
                    resource_id="CHAIR-1", created_at="2026-03-01T15:00")),
        # pk-c2: a cancelled booking and the one kept, same chair and day -> only the kept one is a candidate
        (1, booking("C2-X", "pk-c2", "ketamine_infusion", "2026-03-16T13:00", 60, "cancelled", resource_id="CHAIR-1",
                    created_at="2026-03-01T15:00", cancelled_at="2026-03-10T15:00")),
        (1, booking("C2-Y", "pk-c2", "ketamine_infusion", "2026-03-16T17:00", 60, "fulfilled", resource_id="CHAIR-1",
                    created_at="2026-03-01T15:00")),
        # pk-amb: two kept bookings on that chair that day -> ambiguous
        (1, booking("AM-1", "pk-amb", "ketamine_infusion", "2026-03-17T13:00", 60, "fulfilled",
                    resource_id="CHAIR-1", created_at="2026-03-01T15:00")),
        (1, booking("AM-2", "pk-amb", "ketamine_infusion", "2026-03-17T17:00", 60, "fulfilled",
                    resource_id="CHAIR-1", created_at="2026-03-01T15:00")),
        # pk-room: the booking is in ROOM-A, the session in CHAIR-1 -> no match
        (1, booking("R-1", "pk-room", "ketamine_infusion", "2026-03-18T13:00", 60, "fulfilled",
                    created_at="2026-03-01T15:00")),
    ]


def _sessions() -> list[tuple[int, dict]]:
    return [
        (1, session("S-M", None, "pk-m", "2026-03-12T15:05", "2026-03-12T16:30", aborted=True)),
        (1, session("S-L", None, "pk-late", "2026-03-13T03:35", "2026-03-13T04:40")),
        (1, session("S-C2", None, "pk-c2", "2026-03-16T17:02", "2026-03-16T18:10")),
        (1, session("S-AM", None, "pk-amb", "2026-03-17T13:05", "2026-03-17T14:00")),
        (1, session("S-R", None, "pk-room", "2026-03-18T13:05", "2026-03-18T14:00")),
        (1, session("S-LOG", "AM-2", "pk-amb", "2026-03-17T17:05", "2026-03-17T18:00")),
    ]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    home = Home(Path(tmp_path_factory.mktemp("formats")))
    home.make_dirs()
    write_lake(home, "bookings", _bookings())
    write_lake(home, "sessions", _sessions())
    built = build_warehouse(parse_config(CONFIG), home, run_id="r-formats", as_of=AS_OF)
    connection = duckdb.connect(str(built.path), read_only=True)
    yield connection
    connection.close()


def test_fhir_cancellation_time_is_the_first_cancelled_version_seen_after_an_open_one(con) -> None:
    rows = dict((a, (c, o)) for a, c, o in con.execute(
        "select appointment_id, cancelled_at, outcome from core.appointments where patient_key = 'pk-f'").fetchall())
    assert rows["F-OBS"] == (ts("2026-03-09T20:00").astimezone(rows["F-OBS"][0].tzinfo), "late_cancel")
    assert rows["F-ONLY"] == (None, "early_cancel")
    assert rows["F-R5"][0] == ts("2026-03-03T10:00") and rows["F-R5"][1] == "early_cancel"
    assert rows["CSV-CAN"] == (None, "early_cancel")


def test_a_session_without_an_appointment_id_is_matched_on_chair_patient_and_local_day(con) -> None:
    rows = {s: (a, m, u) for s, a, m, u in con.execute(
        "select session_id, appointment_id, appointment_match, is_unmatched from core.infusion_sessions").fetchall()}
    assert rows == {
        "S-M": ("M-1", "matched", False),
        "S-L": ("L-1", "matched", False),
        "S-C2": ("C2-Y", "matched", False),
        "S-AM": (None, "ambiguous", True),
        "S-R": (None, "none", True),
        "S-LOG": ("AM-2", "logged", False),
    }


def test_a_matched_aborted_session_makes_its_appointment_no_completed_infusion(con) -> None:
    flags = dict(con.execute("select appointment_id, is_completed_infusion from core.appointments "
                             "where appointment_id in ('M-1', 'L-1')").fetchall())
    assert flags == {"M-1": False, "L-1": True}
