"""Errors of the machine, not of the data: a full disk, a read-only or missing folder, permission denied.

Such an error ends the run (exit 1, yesterday's warehouse in place) with one line naming the path and the
error; `str(MachineError)` is that line. A steps function lets it through; the flow turns it into a failed run.
"""

from __future__ import annotations

import errno
import os
import re

import duckdb

# what the machine, not a file, is to blame for
MACHINE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EIO}
_DUCKDB_TEXTS = {os.strerror(code): code for code in MACHINE_ERRNOS}
_DUCKDB_PATH = re.compile(r"""(?:file|directory)\s+["']([^"']+)["']""")


class MachineError(RuntimeError):
    """The machine failed a write or a read under the home: `path` and the OS error (`errno`, `strerror`)."""

    def __init__(self, path: str | os.PathLike | None, error: int | str, strerror: str | None = None):
        self.path = str(path) if path is not None else None
        self.errno = error if isinstance(error, int) else None
        self.strerror = strerror or (os.strerror(error) if isinstance(error, int) else str(error))
        super().__init__(self.line)

    def __reduce__(self):
        return (type(self), (self.path, self.errno if self.errno is not None else self.strerror, self.strerror))

    @property
    def line(self) -> str:
        code = errno.errorcode.get(self.errno, "") if self.errno is not None else ""
        what = f"{self.strerror} ({code})" if code else self.strerror
        return f"{self.path}: {what}" if self.path else what

    def __str__(self) -> str:
        return self.line


def is_machine_errno(e: BaseException, *, missing: bool = False) -> bool:
    """An OSError the machine is to blame for; `missing` counts ENOENT too (a folder of the home vanished)."""
    return isinstance(e, OSError) and (e.errno in MACHINE_ERRNOS or (missing and e.errno == errno.ENOENT))


def machine_error(e: BaseException, *, missing: bool = True) -> MachineError | None:
    """`e` as a MachineError when it is one (an OSError of the machine, or DuckDB's I/O error saying so)."""
    if isinstance(e, MachineError):
        return e
    if is_machine_errno(e, missing=missing):
        assert isinstance(e, OSError)
        path = e.filename if e.filename is not None else _path_in(str(e))
        return MachineError(path, e.errno, e.strerror)
    if isinstance(e, duckdb.Error):
        text = str(e)
        for strerror, code in _DUCKDB_TEXTS.items():
            if strerror in text:
                return MachineError(_path_in(text), code)
    cause = e.__cause__ or e.__context__
    return machine_error(cause, missing=missing) if cause is not None and cause is not e else None


def _path_in(text: str) -> str | None:
    found = _DUCKDB_PATH.search(text) or re.search(r"(/[^\s:\"']+)", text)
    return found.group(1) if found else None

