"""Who may read what clinicops writes under the home (operations.md "Privacy").

Everything is its owner's only: folders 0700, files 0600. Writes happen under `owner_only()` (umask 077),
so a file is never born readable by others, not even for a moment. With `[home] readers_group = "NAME"`
the warehouse and the validation reports (and the folders on the path to them) are shared with that
group: files 0640, folders 0750, group-owned; nothing else is. `secure_home()` puts an existing home
that is too open (or shared with a group no longer configured) right, at the start and end of each run.

The inbox and profiles folders are where staff and jobs deliver files: clinicops creates them owner-only
but does not re-tighten what others put there.
"""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from clinicops.config import ConfigError
from clinicops.home import Home

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
SHARED_DIR, SHARED_FILE = 0o750, 0o640
OWNER_ONLY_UMASK = 0o077


@contextmanager
def owner_only() -> Iterator[None]:
    """Every file and folder created inside is its owner's only (umask 077); the old umask comes back after."""
    previous = os.umask(OWNER_ONLY_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def readers_gid(group: str | None) -> int | None:
    """The id of `[home] readers_group`, or None; a group this machine does not know is a ConfigError."""
    if not group:
        return None
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise ConfigError(f"home.readers_group: there is no group {group!r} on this machine "
                          "(create it, or remove the key to keep the home owner-only)") from None


def shared_paths(home: Home) -> tuple[set[Path], list[Path]]:
    """(folders on the path to the shared things, the shared trees): the warehouse file and the reports."""
    folders = {home.root, home.warehouse.parent, home.reports.parent, home.reports}
    return folders, [home.warehouse, home.reports]


def _set(path: Path, mode: int, gid: int | None, st: os.stat_result) -> None:
    if gid is not None and st.st_gid != gid:
        os.chown(path, -1, gid, follow_symlinks=False)
    if stat.S_IMODE(st.st_mode) != mode:
        os.chmod(path, mode)


def share_file(path: Path, gid: int | None) -> None:
    """A warehouse or report file as it should be: group-readable by the readers group, else owner-only."""
    _set(path, SHARED_FILE if gid is not None else PRIVATE_FILE, gid, os.stat(path))


def secure_home(home: Home, gid: int | None) -> None:
    """Put every mode under the home right (only what this user owns; symlinks are left alone)."""
    folders, shared = shared_paths(home)
    me = os.geteuid()
    delivered = {home.inbox_root, home.profiles}

    def fix(path: Path, st: os.stat_result) -> None:
        if st.st_uid != me or stat.S_ISLNK(st.st_mode):
            return
        is_dir = stat.S_ISDIR(st.st_mode)
        in_shared = gid is not None and any(path == s or s in path.parents for s in shared)
        if gid is not None and path in folders:
            _set(path, SHARED_DIR, gid, st)
        elif in_shared:
            _set(path, SHARED_DIR if is_dir else SHARED_FILE, gid, st)
        else:
            _set(path, PRIVATE_DIR if is_dir else PRIVATE_FILE, None, st)

    if not home.root.is_dir():
        return
    fix(home.root, os.lstat(home.root))
    for entry in os.scandir(home.root):
        path = Path(entry.path)
        if path in delivered:
            continue
        fix(path, entry.stat(follow_symlinks=False))
        if entry.is_dir(follow_symlinks=False):
            for folder, dirs, files in os.walk(path):
                for name in dirs + files:
                    child = Path(folder) / name
                    fix(child, os.lstat(child))

