"""The command as staff use it: exit codes, messages, and nothing private on the terminal."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pytest

from clinicops.cli import main
from clinicops.home import Home
from tests.practice import PHI, make_practice, write_csv


def test_init_writes_a_config_that_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--home", str(tmp_path)]) == 0
    home = Home(tmp_path)
    assert home.config_file.exists() and home.inbox("reviews").is_dir()
    assert main(["init", "--home", str(tmp_path)]) == 0
    assert "already exists" in capsys.readouterr().out


def test_a_bad_configuration_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = make_practice(tmp_path)
    home.config_file.write_text(home.config_file.read_text().replace('"America/New_York"', '"Mars/Base"'))
    assert main(["run", "--home", str(tmp_path)]) == 2
    assert "practice.timezone" in capsys.readouterr().err
    assert not home.warehouse.exists()


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["run", "--bogus"])
    assert e.value.code == 2


def test_run_prints_a_summary_and_no_phi(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        caplog: pytest.LogCaptureFixture) -> None:
    home = make_practice(tmp_path)
    row = {"appointment_id": "X", "patient_id": "MRN-77231", "patient_first_name": "Margarethe"}
    write_csv(home.inbox("bookings") / "no_start.csv", [row])
    caplog.set_level(logging.DEBUG)
    code = main(["run", "--home", str(tmp_path), "--as-of", "2026-11-25T02:00"])
    out = capsys.readouterr()
    assert code == 3
    assert "no_start.csv" in out.out and "published_with_errors (exit 3)" in out.out
    assert "quarantined" in out.out and "validation report" in out.out
    everything = out.out + out.err + caplog.text
    for value in PHI:
        assert value not in everything
    assert main(["status", "--home", str(tmp_path)]) == 0
    status = capsys.readouterr().out
    assert "published_with_errors" in status and "freshness" in status
    con = duckdb.connect(str(home.warehouse), read_only=True)
    # --as-of without an offset is practice-local: 02:00 in New York is 07:00 UTC
    assert con.execute("select strftime(as_of at time zone 'UTC', '%Y-%m-%d %H:%M') from ops.runs").fetchall() == [
        ("2026-11-25 07:00",)]
    con.close()


def test_an_encrypted_vault_and_a_wrong_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    home = make_practice(tmp_path)
    monkeypatch.setenv("CLINICOPS_VAULT_KEY", "a long practice passphrase")
    assert main(["run", "--home", str(tmp_path), "--as-of", "2026-11-25T02:00"]) == 0
    assert home.vault.read_bytes().startswith(b"CLINICOPS-VAULT/1\naes-gcm ")
    assert b"MRN-77231" not in home.vault.read_bytes()
    capsys.readouterr()
    monkeypatch.setenv("CLINICOPS_VAULT_KEY", "the wrong passphrase")
    assert main(["run", "--home", str(tmp_path), "--as-of", "2026-11-25T02:00"]) == 2
    assert "wrong vault key" in capsys.readouterr().err
    monkeypatch.delenv("CLINICOPS_VAULT_KEY")
    assert main(["run", "--home", str(tmp_path), "--as-of", "2026-11-25T02:00"]) == 2
    assert "CLINICOPS_VAULT_KEY" in capsys.readouterr().err


def test_the_generator_never_writes_over_a_real_practice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--home", str(tmp_path)]) == 0
    own = Home(tmp_path).config_file.read_text()
    assert main(["generate", "--home", str(tmp_path), "--months", "1"]) == 2
    assert "will not write over it" in capsys.readouterr().err
    assert Home(tmp_path).config_file.read_text() == own
    assert main(["generate", "--home", str(tmp_path / "demo"), "--months", "1", "--end-date", "2026-11-24"]) == 0
    assert main(["generate", "--home", str(tmp_path / "demo"), "--months", "1", "--end-date", "24/11/2026"]) == 2
