import os
import stat
from pathlib import Path

import pytest

from clinicops.vault import Vault, VaultError


def test_keys_are_random_stable_and_per_system(tmp_path: Path) -> None:
    path = tmp_path / "vault" / "patient_keys.bin"
    vault = Vault.open(path, secret="")
    a = vault.key_for("pm", "MRN-1001")
    assert a.startswith("pk_") and "1001" not in a
    assert vault.key_for("pm", " MRN-1001 ") == a
    assert vault.key_for("other-system", "MRN-1001") != a
    vault.save()
    again = Vault.open(path, secret="")
    assert again.key_for("pm", "MRN-1001") == a
    # a second vault started from nothing gives a different key: the key is not derived from the id
    assert Vault.open(tmp_path / "other.bin", secret="").key_for("pm", "MRN-1001") != a


def test_the_vault_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "vault" / "patient_keys.bin"
    vault = Vault.open(path, secret="")
    vault.key_for("pm", "1")
    vault.save()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_encrypted_at_rest_and_a_wrong_or_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "patient_keys.bin"
    vault = Vault.open(path, secret="correct horse battery staple")
    key = vault.key_for("pm", "MRN-SECRET-77")
    vault.save()
    blob = path.read_bytes()
    assert b"MRN-SECRET-77" not in blob and key.encode() not in blob and b"aes-gcm" in blob
    assert Vault.open(path, secret="correct horse battery staple").key_for("pm", "MRN-SECRET-77") == key
    with pytest.raises(VaultError, match="wrong vault key"):
        Vault.open(path, secret="wrong")
    with pytest.raises(VaultError, match="encrypted"):
        Vault.open(path, secret="")


def test_a_hex_key_is_used_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "v.bin"
    hex_key = "ab" * 32
    v = Vault.open(path, secret=hex_key)
    k = v.key_for("pm", "x")
    v.save()
    assert Vault.open(path, secret=hex_key).key_for("pm", "x") == k
