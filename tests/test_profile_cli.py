"""`clinicops profile check FILE`: the matching profile and the first rows, never a patient's details."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicops.cli import main
from clinicops.home import Home
from tests.practice import TOML
from tests.sources.test_profiles import SIMPLEPRACTICE, SIMPLEPRACTICE_VALUES, home_profile

SECRETS = ["Margarethe", "Quackenbush", "Pfefferkorn", "5.91486E+12", "1042"]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.make_dirs()
    home.config_file.write_text(TOML)
    return home


def test_it_names_the_profile_and_shows_mapped_rows_without_phi(home: Home, tmp_path: Path, capsys,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    home_profile(home.profiles, "simplepractice-attendance", SIMPLEPRACTICE_VALUES)
    export = tmp_path / "attendance_nov.csv"
    export.write_bytes(SIMPLEPRACTICE.encode())
    assert main(["profile", "check", str(export), "--home", str(home.root)]) == 0
    out = capsys.readouterr().out
    assert "profile 'simplepractice-attendance'" in out and str(home.profiles) in out
    assert "2026-11-16 10:00" in out and "2026-11-16 13:30" in out and "fulfilled" in out and "P-OKAFOR" in out
    assert "[removed]" in out
    for secret in SECRETS:
        assert secret not in out
    assert not any(home.landing.iterdir()) and not home.vault.exists()  # nothing ingested


def test_a_file_no_profile_reads_is_reported_by_name(home: Home, tmp_path: Path, capsys) -> None:
    export = tmp_path / "export.csv"
    export.write_text("Client,When\nMargarethe Quackenbush,11/16/2026\n")
    assert main(["profile", "check", str(export), "--home", str(home.root)]) == 3
    out = capsys.readouterr().out
    assert "canonical bookings layout" in out and "rejected: export.csv" in out and "Margarethe" not in out
