"""The plain functions behind the flow's steps: small files judged together, each file accounted alone."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from clinicops.config import load_config
from clinicops.expectations.runner import Validator
from clinicops.home import Home
from clinicops.sources.landing import Manifest
from clinicops.steps import accept_source, clear_leftovers, plan_run, run_history, stage_source
from clinicops.vault import Vault
from tests.practice import booking, make_practice, write_csv


def ingest_bookings(root: Path, chunk_rows: int) -> tuple[Home, dict]:
    home = make_practice(root)
    write_csv(home.inbox("bookings") / "b_more.csv", [booking(f"M{i}", "2026-11-23 10:00") for i in range(5)])
    write_csv(home.inbox("bookings") / "c_bad.csv", [booking("X1", "2026-11-23 10:00", status="Bumped"),
                                                     booking("X2", "2026-11-24 10:00")])
    config = load_config(home.config_file)
    plan = plan_run(home)["bookings"]
    staged = stage_source(home, config, Vault.open(home.vault, ""), plan, "run-1")
    outcome = accept_source(home, config, Validator(config), staged, "run-1", chunk_rows=chunk_rows)
    lake = {p.name: sorted(pq.read_table(p).column("appointment_id").to_pylist())
            for p in home.lake.rglob("*.parquet")}
    return home, {"outcome": outcome, "lake": lake}


@pytest.mark.parametrize("chunk_rows", [1, 4, 50_000])
def test_files_judged_together_are_accounted_one_by_one(tmp_path: Path, chunk_rows: int) -> None:
    home, got = ingest_bookings(tmp_path, chunk_rows)
    outcome = got["outcome"]
    assert (outcome.files_read, outcome.rows_read, outcome.rows_accepted, outcome.rows_quarantined) == (3, 13, 10, 3)
    results = run_history(home, "validation_results", "run-1")
    per_file = {}
    for r in results:
        if r["rule"] == "status_valid":
            per_file[r["file"]] = (r["element_count"], r["unexpected_count"])
    assert per_file == {"bookings_2026-11.csv": (6, 0), "b_more.csv": (5, 0), "c_bad.csv": (2, 1)}
    quarantine = run_history(home, "quarantine", "run-1")
    assert sorted((q["file"], q["row_number"]) for q in quarantine) == [
        ("bookings_2026-11.csv", 6), ("bookings_2026-11.csv", 7), ("c_bad.csv", 2)]
    versions = {e.name: e.version_id or e.sha256 for e in Manifest(home).entries.values()}
    assert set(versions) == {"bookings_2026-11.csv", "b_more.csv", "c_bad.csv"}
    # a judged chunk is one lake file per month, named by the run, the source and the chunk
    assert sorted(id_ for ids in got["lake"].values() for id_ in ids) == sorted(
        ["A1", "A2", "A3", "A4", "X2", *[f"M{i}" for i in range(5)]])
    assert sorted(got["lake"]) == [f"run-1-bookings-{n:04d}.parquet" for n in range(1 if chunk_rows > 13 else 3)]


def lake_ids(home: Home) -> list[str]:
    return sorted(i for path in home.lake.rglob("*.parquet")
                  for i in pq.read_table(path).column("appointment_id").to_pylist())


@pytest.mark.parametrize("chunk_rows", [1, 50_000])
def test_the_next_run_takes_out_rows_of_versions_a_stopped_run_never_recorded(tmp_path: Path,
                                                                               chunk_rows: int) -> None:
    """A run stopped between writing the lake and its manifest lines: the versions it did not record are read
    again by the next run, so their rows (alone in a file, or beside recorded ones) leave the lake first."""
    home, _ = ingest_bookings(tmp_path, chunk_rows)
    lines = home.manifest.read_text().splitlines(keepends=True)
    home.manifest.write_text("".join(line for line in lines if "c_bad.csv" not in line))
    assert len(home.manifest.read_text().splitlines()) == len(lines) - 1

    recorded = ["A1", "A2", "A3", "A4", *[f"M{i}" for i in range(5)]]
    assert all(home.lake not in p.parents for p in clear_leftovers(home, "another-run"))  # its scratch only
    assert lake_ids(home) == sorted([*recorded, "X2"])  # only the stopped run's own lake files are looked at
    changed = clear_leftovers(home, "run-1")
    assert lake_ids(home) == sorted(recorded)
    assert len(changed) == 1 and (changed[0].exists() == (chunk_rows > 13))  # rewritten, or removed
    assert plan_run(home)["bookings"].new[0].name == "c_bad.csv"  # ... and c_bad.csv is read again
    assert clear_leftovers(home, "run-1") == []


def test_an_unreadable_inbox_fails_its_source_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import clinicops.steps as steps

    home = make_practice(tmp_path)
    real_scan = steps.scan_inbox

    def scan(home: Home, source: str):
        if source == "sessions":
            raise PermissionError(13, "Permission denied")
        return real_scan(home, source)

    monkeypatch.setattr(steps, "scan_inbox", scan)
    plans = plan_run(home)
    assert plans["sessions"].failure and "Permission denied" in plans["sessions"].failure
    assert len(plans["bookings"].new) == 1 and plans["bookings"].failure is None
    config = load_config(home.config_file)
    staged = stage_source(home, config, Vault.open(home.vault, ""), plans["sessions"], "run-1")
    outcome = accept_source(home, config, Validator(config), staged, "run-1")
    assert outcome.failure == plans["sessions"].failure and outcome.ops_row("run-1")["status"] == "failed"


def test_unmatched_referral_phrases_are_shown_only_when_eleven_patients_typed_them(tmp_path: Path) -> None:
    home = make_practice(tmp_path)
    rows = [booking(f"B{i}", "2026-11-23 10:00", patient_id=f"MRN-{i}", referral_source="Saw a Billboard!")
            for i in range(11)]
    rows += [booking("R1", "2026-11-23 11:00", patient_id="MRN-99", referral_source="Margarethe's husband Otto"),
             booking("R2", "2026-11-23 12:00", patient_id="MRN-98", referral_source="radio ad")]
    write_csv(home.inbox("bookings") / "more.csv", rows)
    config = load_config(home.config_file)
    vault = Vault.open(home.vault, "")
    stage_source(home, config, vault, plan_run(home)["bookings"], "run-1")
    shown = sorted(run_history(home, "referral_phrases", "run-1"), key=lambda r: r["phrase"] or "")
    assert [(r["phrase"], r["phrases"], r["patients"]) for r in shown] == [(None, 2, 2), ("saw a billboard", 1, 11)]
    assert "Otto" not in str([pq.read_table(p).to_pylist() for p in home.ops.rglob("*.parquet")])
    assert Vault.open(home.vault, "").phrases()[0] == ("saw a billboard", 11)  # counted in the vault
