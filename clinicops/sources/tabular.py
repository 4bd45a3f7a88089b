"""Reading delimited text and JSON Lines as real exports write them.

UTF-8 (with or without a byte-order mark), CRLF or LF, quoted delimiters and quoted line breaks. A file
that is not UTF-8 is rejected whole before any row is used. Rows come with the line on which they start
(a CSV's header is line 1, so that is the row number a spreadsheet shows).
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from clinicops.sources.common import FileRejected

_CHUNK = 1 << 20


def check_utf8(path: Path, name: str) -> None:
    """Reject the file unless it all decodes as UTF-8 (read in chunks, nothing kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                byte = f"0x{chunk[e.start]:02x}" if e.start < len(chunk) else "an unfinished character"
                raise FileRejected(f"{name}: not UTF-8 text ({byte} at offset {offset + e.start}); "
                                   "save the export as UTF-8 and drop it again") from None
            if not chunk:
                return
            offset += len(chunk)


def _header_key(text: str) -> str:
    return text.strip().lower()


def read_csv_rows(
    path: Path, name: str, *, required: Iterable[str], delimiter: str = ",", skip_rows_after_header: int = 0,
    normalise_header: bool = True,
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """(header, rows) of a CSV file; each row is (line number where it starts, {column: text}).

    Columns are matched case-insensitively (normalise_header) and may come in any order; a required
    column that is missing rejects the file, naming it.
    """
    check_utf8(path, name)
    f = path.open(encoding="utf-8-sig", newline="")
    reader = csv.reader(f, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        f.close()
        raise FileRejected(f"{name}: the file is empty (no header row)") from None
    except csv.Error as e:
        f.close()
        raise FileRejected(f"{name}: not readable as CSV: {e}") from None
    keys = [_header_key(h) if normalise_header else h.strip() for h in header]
    missing = [c for c in required if c not in keys]
    if missing:
        f.close()
        raise FileRejected(f"{name}: required column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(repr(m) for m in missing)} missing (header has: {', '.join(keys)})")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        with f:
            skipped = 0
            start = reader.line_num + 1
            try:
                for values in reader:
                    line, start = start, reader.line_num + 1
                    if not values or all(not v.strip() for v in values):
                        continue
                    if skipped < skip_rows_after_header:
                        skipped += 1
                        continue
                    row = {k: (values[i] if i < len(values) else "") for i, k in enumerate(keys) if k}
                    if len(values) > len(keys):
                        row["_extra_fields"] = str(len(values) - len(keys))
                    yield line, row
            except csv.Error as e:
                raise FileRejected(f"{name}: not readable as CSV near line {reader.line_num}: {e}") from None

    return keys, rows()


def read_json_lines(path: Path, name: str) -> Iterator[tuple[int, dict | None]]:
    """(line number, object) per non-empty line; a line that is not a JSON object gives None (a bad row)."""
    check_utf8(path, name)
    with path.open(encoding="utf-8-sig") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                yield number, None
                continue
            yield number, value if isinstance(value, dict) else None
