"""The home after a real run: owner-only everywhere, or shared with the readers group where configured;
and the vault, plain until a key is set, then encrypted in place once."""

from __future__ import annotations

import grp
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clinicops.config import ConfigError
from clinicops.flows.nightly import run_nightly
from clinicops.home import Home
from clinicops.vault import KEY_ENV, Vault, VaultError
from tests.flows.test_crash import contents
from tests.practice import make_practice

AS_OF = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def modes(home: Home) -> dict[str, tuple[int, int]]:
    """Every path clinicops writes under the home -> (mode, gid); the inbox and profiles are the staff's."""
    found = {".": (stat.S_IMODE(home.root.stat().st_mode), home.root.stat().st_gid)}
    for folder, dirs, files in os.walk(home.root):
        for name in dirs + files:
            path = Path(folder) / name
            relative = path.relative_to(home.root)
            if relative.parts[0] in ("inbox", "profiles"):
                continue
            st = path.lstat()
            found[str(relative)] = (stat.S_IMODE(st.st_mode), st.st_gid)
    return found


def test_everything_written_under_the_home_is_owner_only_and_a_too_open_home_is_fixed(tmp_path: Path) -> None:
    home = make_practice(tmp_path / "home")
    for too_open in (home.root / "lake", home.root / "reports" / "validation"):
        too_open.mkdir(parents=True, mode=0o777)
        too_open.chmod(0o777)
    (home.root / "reports" / "validation" / "old.html").write_text("yesterday")
    (home.root / "reports" / "validation" / "old.html").chmod(0o666)
    home.root.chmod(0o755)
    home.config_file.chmod(0o644)
    assert run_nightly(home, AS_OF).exit_code == 0
    found = modes(home)
    for must in ("warehouse/clinicops.duckdb", "vault/patient_keys.bin", "landing/manifest.jsonl", "run.lock",
                 "reports/validation/latest.html", "ops/runs", "lake/bookings", "warehouse/.build"):
        assert must in found, must
    wrong = {p: oct(m) for p, (m, _) in found.items()
             if m != (0o700 if (home.root / p).is_dir() else 0o600)}
    assert wrong == {}


def test_a_readers_group_may_read_the_warehouse_and_the_reports_and_nothing_else(tmp_path: Path) -> None:
    group = grp.getgrgid(os.getgid())
    home = make_practice(tmp_path / "home")
    with home.config_file.open("a") as f:
        f.write(f'\n[home]\nreaders_group = "{group.gr_name}"\n')
    assert run_nightly(home, AS_OF).exit_code == 0
    found = modes(home)
    shared_dirs = {".", "warehouse", "reports", "reports/validation"}
    shared_files = {p for p in found if p.startswith("reports/validation/")} | {"warehouse/clinicops.duckdb"}
    assert len(shared_files) == 3  # the run's report, latest.html, the warehouse
    for path, (mode, gid) in found.items():
        if path in shared_dirs:
            assert (mode, gid) == (0o750, group.gr_gid), path
        elif path in shared_files:
            assert (mode, gid) == (0o640, group.gr_gid), path
        else:
            assert mode == (0o700 if (home.root / path).is_dir() else 0o600), (path, oct(mode))

    with home.config_file.open("a") as f:  # an unknown group: exit 2 naming the key, nothing touched
        f.write("")
    text = home.config_file.read_text().replace(f'"{group.gr_name}"', '"no-such-analysts"')
    home.config_file.write_text(text)
    before = home.warehouse.stat().st_mtime_ns
    with pytest.raises(ConfigError, match=r"home\.readers_group.*no-such-analysts"):
        run_nightly(home, AS_OF)
    assert home.warehouse.stat().st_mtime_ns == before


def test_setting_a_vault_key_encrypts_a_plain_vault_once_with_the_same_keys(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    home = make_practice(tmp_path / "home")
    assert run_nightly(home, AS_OF).exit_code == 0
    assert b"\nplain\n" in home.vault.read_bytes()[:40]
    keys = dict(Vault.open(home.vault, secret="")._keys)
    yesterday = contents(home)

    monkeypatch.setenv(KEY_ENV, "correct horse battery staple")
    summary = run_nightly(home, AS_OF)
    assert summary.exit_code == 0, summary.message
    assert any("encrypted" in note for note in summary.notes)
    blob = home.vault.read_bytes()
    assert blob.split(b"\n")[1].startswith(b"aes-gcm ") and b"MRN-77231" not in blob
    assert Vault.open(home.vault, secret="correct horse battery staple")._keys == keys
    assert contents(home) == yesterday

    monkeypatch.setenv(KEY_ENV, "a wrong key")
    with pytest.raises(VaultError, match="wrong vault key"):
        run_nightly(home, AS_OF)
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(VaultError, match="encrypted"):
        run_nightly(home, AS_OF)
    assert home.vault.read_bytes() == blob
