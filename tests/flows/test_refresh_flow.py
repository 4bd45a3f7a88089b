"""Refreshed nights and backfills through the real flow: what the new files touch is re-derived, the rest
kept, and the result is the warehouse a full rebuild gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from clinicops.cli import main
from clinicops.flows.nightly import run_nightly
from tests.flows.test_nightly import table_contents
from tests.practice import booking, make_practice, write_csv

AS_OF = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 02:00 in New York


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory):
    """Night 1 builds whole; night 2 brings a new export (one new booking, one changed) a day later."""
    home = make_practice(tmp_path_factory.mktemp("practice"))
    first = run_nightly(home, AS_OF)
    write_csv(home.inbox("bookings") / "bookings_2026-11-25.csv",
              [booking("A5", "2026-11-26 10:00"),
               booking("A4", "2026-11-27 11:00", status="Cancelled", updated_at="2026-11-25 09:00")])
    second = run_nightly(home, AS_OF + timedelta(days=1))
    return home, first, second


def test_the_second_night_refreshes_and_equals_a_full_rebuild(nights) -> None:
    home, first, second = nights
    assert first.exit_code == second.exit_code == 0, (first.message, second.message)
    assert first.build == "full build (no live warehouse yet)"
    assert second.build == "refresh of the live warehouse: 1 new lake file(s)"
    refreshed = table_contents(home.warehouse)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from core.appointments").fetchall()[0][0] == 5
        recorded = con.execute("select count(*) filter (where file like 'lake/%'), "
                               "count(*) filter (where file like 'ops/%') from ops.source_files").fetchall()[0]
    assert recorded == (len(list(home.lake.rglob("*.parquet"))), len(list(home.ops.rglob("*.parquet"))))
    rebuilt = run_nightly(home, AS_OF + timedelta(days=1), full_rebuild=True)
    assert rebuilt.exit_code == 0 and rebuilt.build == "full build (asked for (--full-rebuild))"
    assert table_contents(home.warehouse) == refreshed


def test_a_backfill_ingests_nothing_and_keeps_the_figures(nights) -> None:
    home, _, _ = nights
    before = table_contents(home.warehouse)
    (home.inbox("bookings") / "bookings_2026-11-30.csv").write_text("not read by a backfill\n")
    summary = run_nightly(home, AS_OF + timedelta(days=1), backfill=(date(2026, 11, 1), date(2026, 11, 30)))
    assert summary.exit_code == 0 and summary.status == "published", summary.message
    assert summary.sources == {} and summary.report is None
    assert summary.build == "refresh of the live warehouse: 0 new lake file(s), backfill 2026-11-01 to 2026-11-30"
    assert table_contents(home.warehouse) == before
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        status, message = con.execute("select status, message from ops.runs where run_id = ?",
                                      [summary.run_id]).fetchall()[0]
    assert status == "published" and "backfill of 2026-11-01 to 2026-11-30" in message


def test_backfill_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = make_practice(tmp_path / "home")
    assert main(["backfill", "--home", str(home.root), "--from", "2026-11-30", "--to", "2026-11-01"]) == 2
    assert "--to 2026-11-01 is before --from 2026-11-30" in capsys.readouterr().err
    assert main(["backfill", "--home", str(home.root), "--from", "2026-11-31", "--to", "2026-12-01"]) == 2
    assert "--from: '2026-11-31' is not a date (YYYY-MM-DD)" in capsys.readouterr().err
    assert main(["backfill", "--home", str(home.root), "--from", "2026-11-01", "--to", "2026-11-30"]) == 1
    assert "no warehouse in" in capsys.readouterr().err
    assert not home.warehouse.exists()
