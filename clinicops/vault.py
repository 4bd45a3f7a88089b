"""The vault: the only place where a source system's patient id meets its `patient_key`.

A `patient_key` is random (`pk_` + 16 hex digits from `secrets`), never derived from the id, assigned the
first time a (source system, patient id) pair is seen and kept for good, so the same patient keeps the
same key across runs, sources and full rebuilds while the warehouse alone cannot be traced back.

The vault is its own file under the home, owner-only (0600 in a 0700 folder). With a vault key
(`CLINICOPS_VAULT_KEY`: 64 hex digits, or any passphrase, which is stretched with scrypt) it is encrypted
at rest with AES-256-GCM; a wrong or missing key is a clear `VaultError`, never a silent new vault.

File layout: `CLINICOPS-VAULT/1\n` then one mode line (`plain\n` or `aes-gcm <salt hex>\n`), then the
payload: JSON `{"keys": {"<system>\x1f<patient id>": "<patient_key>"}, "phrase_secret": "<hex>"}`, for
aes-gcm as 12-byte nonce + ciphertext (with the header lines as associated data). The phrase secret keys
the one-way names of free-text phrases (`phrase_key`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"CLINICOPS-VAULT/1\n"
KEY_ENV = "CLINICOPS_VAULT_KEY"
_SEP = "\x1f"


class VaultError(RuntimeError):
    """The vault cannot be opened or written (wrong or missing key, damaged file)."""


def _derive(secret: str, salt: bytes) -> bytes:
    text = secret.strip()
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text)
    return Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(text.encode("utf-8"))


class Vault:
    """source patient id -> patient_key, thread-safe; call `save()` before anything keyed by it is written."""

    def __init__(self, path: Path, secret: str | None, keys: dict[str, str], salt: bytes,
                 phrase_secret: str | None = None):
        self.path = path
        self._secret = secret or None
        self._keys = keys
        self._salt = salt
        self._dirty = False
        self._lock = threading.Lock()
        self._issued = set(keys.values())
        self._phrase_secret = phrase_secret
        self._phrases: dict[str, tuple[str, set[str]]] = {}  # phrase key -> (normalised text, patient keys)
        self.needs_encrypting = False  # opened plain with a key: `encrypt_in_place()` rewrites it encrypted

    @classmethod
    def open(cls, path: Path, secret: str | None = None) -> Vault:
        """Open (or start) the vault at `path`. `secret` defaults to $CLINICOPS_VAULT_KEY."""
        secret = secret if secret is not None else os.environ.get(KEY_ENV) or None
        if not path.exists():
            return cls(path, secret, {}, secrets.token_bytes(16))
        blob = path.read_bytes()
        if not blob.startswith(MAGIC):
            raise VaultError(f"{path}: not a clinicops vault file")
        rest = blob[len(MAGIC):]
        mode_line, _, payload = rest.partition(b"\n")
        header = MAGIC + mode_line + b"\n"
        mode = mode_line.decode("ascii", "replace").split()
        migrate = False
        if mode == ["plain"]:
            salt = secrets.token_bytes(16)
            data = payload
            migrate = bool(secret)  # a key set on a plain vault: the next save() writes it encrypted
        elif len(mode) == 2 and mode[0] == "aes-gcm":
            if not secret:
                raise VaultError(f"{path}: the vault is encrypted; set {KEY_ENV} to its key")
            salt = bytes.fromhex(mode[1])
            try:
                data = AESGCM(_derive(secret, salt)).decrypt(payload[:12], payload[12:], header)
            except InvalidTag:
                raise VaultError(f"{path}: wrong vault key ({KEY_ENV}): the vault cannot be decrypted") from None
        else:
            raise VaultError(f"{path}: unknown vault mode {mode_line!r}")
        try:
            payload = json.loads(data.decode("utf-8"))
            keys = payload["keys"]
        except (ValueError, KeyError):
            raise VaultError(f"{path}: the vault file is damaged") from None
        vault = cls(path, secret, keys, salt, payload.get("phrase_secret"))
        vault._phrases = {k: (text, set(patients)) for k, (text, patients) in payload.get("phrases", {}).items()}
        vault.needs_encrypting = migrate
        return vault

    def encrypt_in_place(self) -> bool:
        """A plain vault opened with a key is rewritten encrypted (atomically, same keys); True if it was."""
        if not self.needs_encrypting:
            return False
        with self._lock:
            self._dirty = True
        self.save()
        self.needs_encrypting = False
        return True

    @property
    def encrypted(self) -> bool:
        return self._secret is not None

    def __len__(self) -> int:
        return len(self._keys)

    def key_for(self, system: str, patient_id: str) -> str:
        """The patient's key, assigned now if this (system, id) pair is new."""
        pair = f"{system}{_SEP}{patient_id.strip()}"
        with self._lock:
            key = self._keys.get(pair)
            if key is None:
                key = "pk_" + secrets.token_hex(8)
                while key in self._issued:
                    key = "pk_" + secrets.token_hex(8)
                self._keys[pair] = key
                self._issued.add(key)
                self._dirty = True
            return key

    def phrase_key(self, normalised: str) -> str:
        """A keyed, one-way name for a free-text phrase (an unmatched referral answer): the same phrase gets the
        same key in every run, and nobody without the vault can tell which phrase a key stands for."""
        with self._lock:
            if self._phrase_secret is None:
                self._phrase_secret = secrets.token_hex(32)
                self._dirty = True
            secret = bytes.fromhex(self._phrase_secret)
        return "ph_" + hmac.new(secret, normalised.encode("utf-8"), hashlib.sha256).hexdigest()[:20]

    def note_phrases(self, seen: list[tuple[str, str, str]]) -> None:
        """Remember which patients gave which free-text phrase: (phrase key, normalised text, patient key)."""
        with self._lock:
            for key, text, patient in seen:
                _, patients = self._phrases.setdefault(key, (text, set()))
                if patient not in patients:
                    patients.add(patient)
                    self._dirty = True

    def phrases(self) -> list[tuple[str, int]]:
        """(normalised text, distinct patients) of every phrase seen, most patients first."""
        with self._lock:
            return sorted(((text, len(p)) for text, p in self._phrases.values()), key=lambda t: (-t[1], t[0]))

    def save(self) -> None:
        """Write the vault atomically (temp file, fsync, rename), owner-only; a no-op when nothing is new."""
        with self._lock:
            if not self._dirty and self.path.exists():
                return
            payload: dict = {"keys": self._keys}
            if self._phrase_secret is not None:
                payload["phrase_secret"] = self._phrase_secret
            if self._phrases:
                payload["phrases"] = {k: [text, sorted(p)] for k, (text, p) in self._phrases.items()}
            data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
            if self._secret:
                header = MAGIC + b"aes-gcm " + self._salt.hex().encode("ascii") + b"\n"
                nonce = secrets.token_bytes(12)
                blob = header + nonce + AESGCM(_derive(self._secret, self._salt)).encrypt(nonce, data, header)
            else:
                blob = MAGIC + b"plain\n" + data
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self.path.parent, 0o700)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, blob)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            self._dirty = False
