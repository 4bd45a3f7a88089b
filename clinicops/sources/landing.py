"""Landing: raw copies kept exactly as they came, and the manifest of every file version ingested.

A file is identified by its content (sha256): the same bytes under another name, or the same file on a
re-run, is not ingested twice; a file whose content changed is a new version. Each version gets a global
ingest order (`seq`): files ingested in the same run count in the order of their names. The manifest is
an append-only JSON Lines file; a line is written only after the version's lake rows are durable, so a
run killed half-way leaves the version to be ingested again by the next run.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from clinicops.errors import MachineError, is_machine_errno
from clinicops.home import Home

CHUNK = 1 << 20


@dataclass(frozen=True)
class InboxFile:
    source: str
    name: str
    path: Path
    sha256: str  # of the content: names the raw copy
    size: int

    @property
    def version_id(self) -> str:
        """What makes this file version new. Usually its content alone; but a saved review-site response
        is dated by its name (`<site>__<id>__<kind>__<YYYY-MM-DD>.json`), so two fetches that returned the
        same bytes on different days are two versions (two nightly snapshots)."""
        if self.source == "reviews" and self.name.lower().endswith(".json") and "__" in self.name:
            return hashlib.sha256(f"{self.name}\0{self.sha256}".encode()).hexdigest()
        return self.sha256

    @property
    def suffix(self) -> str:
        return "".join(self.path.suffixes[-1:]).lower()


@dataclass(frozen=True)
class ManifestEntry:
    source: str
    name: str
    sha256: str  # of the content
    size: int
    seq: int
    run_id: str
    ingested_at: str  # ISO 8601 UTC
    version_id: str = ""  # see InboxFile.version_id; empty = the sha256

    @property
    def key(self) -> str:
        return f"{self.source}:{self.version_id or self.sha256}"


class NotRegular(OSError):
    """An inbox entry that is not a regular file (a symlink, a device, a folder): never followed or read."""


def _open_regular(path: Path) -> int:
    """A read-only descriptor of `path`, refusing to follow a symlink or to open anything but a regular file
    (checked on the opened file itself, so a swap after the check cannot slip through)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise NotRegular(errno.ELOOP, "a symbolic link") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotRegular(errno.EINVAL, "not a regular file")
    return fd


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with os.fdopen(_open_regular(path), "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device or pipe"
    return "not a regular file"


@dataclass(frozen=True)
class Refused:
    """An inbox entry rejected by name before anything is read from it."""

    source: str
    name: str
    reason: str


def scan_inbox(home: Home, source: str) -> tuple[list[InboxFile], list[Refused]]:
    """The regular files in inbox/<source>/, in name order (hidden and temporary files ignored), and the
    entries refused by name: a symlink, a device or a folder where a file belongs is never followed, opened
    or copied into the landing area."""
    folder = home.inbox(source)
    if not folder.is_dir():
        return [], []
    files, refused = [], []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith((".", "~")) or path.name.endswith((".tmp", ".part")):
            continue
        mode = os.lstat(path).st_mode
        if not stat.S_ISREG(mode):
            refused.append(Refused(source, path.name, f"{path.name}: {_kind(mode)}, not a file: it is never followed "
                                                       "or read; put the export itself in the inbox"))
            continue
        try:
            digest, size = sha256_of(path), os.lstat(path).st_size
        except NotRegular as e:  # swapped for a link after the listing
            refused.append(Refused(source, path.name, f"{path.name}: {e.strerror}, not a file: it is never read"))
            continue
        files.append(InboxFile(source, path.name, path, digest, size))
    return files, refused


def land(home: Home, item: InboxFile) -> Path:
    """Keep the raw copy, owner-only, named by its content; a copy already there is left as it is."""
    target = home.landed(item.source, item.sha256, item.suffix)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(home.landing, 0o700)
    os.chmod(target.parent, 0o700)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(_open_regular(item.path), "rb") as src, \
                open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
            dst.flush()
            os.fsync(dst.fileno())
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if is_machine_errno(e) and e.filename in (None, str(tmp)):  # writing the copy: the machine's fault
            raise MachineError(target, e.errno, e.strerror) from e
        raise
    if sha256_of(tmp) != item.sha256:  # the file changed while we copied it: take it next run
        tmp.unlink()
        raise OSError(f"{item.path}: the file changed while it was being landed; it will be taken next run")
    os.replace(tmp, target)
    return target


class Manifest:
    """The landing manifest: which file versions are in the lake, in which order."""

    def __init__(self, home: Home):
        self.path = home.manifest
        self.entries: dict[str, ManifestEntry] = {}
        if self.path.exists():
            with self.path.open(encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        entry = ManifestEntry(**json.loads(line))
                    except (ValueError, TypeError):
                        continue  # a line torn by a crash: its version is simply ingested again
                    self.entries.setdefault(entry.key, entry)

    def known(self, source: str, version_id: str) -> ManifestEntry | None:
        return self.entries.get(f"{source}:{version_id}")

    @property
    def last_seq(self) -> int:
        return max((e.seq for e in self.entries.values()), default=0)

    def record(self, entry: ManifestEntry) -> None:
        """Append one durable line (after the version's lake rows are written)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        torn = False
        if self.path.exists() and self.path.stat().st_size:
            with self.path.open("rb") as f:
                f.seek(-1, os.SEEK_END)
                torn = f.read(1) != b"\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (("\n" if torn else "") + json.dumps(asdict(entry)) + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        self.entries.setdefault(entry.key, entry)
