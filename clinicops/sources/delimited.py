"""Reading a delimited export as a whole: text columns in batches, with the physical line of every record.

The file is judged before its rows (sources.md, "Broken and hostile input"):
- empty (0 bytes), not UTF-8: rejected by name;
- a header that is not a header (none of the required columns on the first line): rejected, naming the
  required columns it lacks — a message never quotes a line of the file, only the contract's column names;
- a column name twice (after normalising case and spaces): rejected, naming the column.
Then each record is judged before it lands: a record whose quoting swallowed lines (a line break in a
column that is not free text, or a free-text cell that holds whole further rows, or more cells than the
header has) is marked `malformed_row` with the lines it spans; a cell over 64 KiB outside the free-text
columns is marked `field_too_large`. Marked records go on to validation, which sets them aside by rule.

Two parsers, one result. Arrow's multi-threaded CSV reader takes the files real systems write (BOM, CRLF,
quoted delimiters and line breaks); a file it cannot take exactly — a blank line inside it, ragged rows,
bare CR line ends — is read by Python's csv module instead, which knows the line where each record starts.
A record's row number is that line (the header is line 1), as a spreadsheet shows it.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from clinicops.sources.common import FileRejected

CHUNK = 1 << 20
MAX_FIELD_BYTES = 64 * 1024
MALFORMED = "malformed_row"
TOO_LARGE = "field_too_large"
BOM = b"\xef\xbb\xbf"


def header_key(text: str) -> str:
    """A column name as the contract knows it: case and runs of white space folded."""
    return " ".join(text.replace("\ufeff", "").split()).lower()


@dataclass
class TextRows:
    """One batch of records: every column as text, and where each record stands in the file."""

    columns: dict[str, pa.Array]  # header name -> text ("" for an empty cell), the columns asked for
    lines: pa.Array  # int64: the physical line where the record starts (header = 1)
    last_lines: pa.Array  # int64: the line where it ends (a quoted line break makes it span)
    problem: pa.Array  # string: MALFORMED / TOO_LARGE, else NULL
    problem_column: pa.Array  # string: the column the problem was found in

    @property
    def num_rows(self) -> int:
        return len(self.lines)

    def column(self, name: str) -> pa.Array:
        """The text of a column; a column the file does not have reads as empty cells (NULL)."""
        found = self.columns.get(name)
        return found if found is not None else pa.nulls(self.num_rows, pa.string())


@dataclass(frozen=True)
class _Scan:
    size: int
    inner_blank_line: bool  # a blank line with content after it (line numbers need the exact parser)
    bare_cr: bool  # a CR not followed by LF (old Mac line ends)


def check_utf8(path: Path, name: str) -> None:
    """Reject an empty or non-UTF-8 file by name."""
    scan_text(path, name)


def scan_text(path: Path, name: str) -> _Scan:
    """Reject an empty or non-UTF-8 file (read in chunks, nothing kept) and note what the fast parser
    cannot number exactly."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, blank_seen, inner_blank, bare_cr, previous = 0, False, False, False, b""
    with path.open("rb") as f:
        while True:
            chunk = f.read(CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                raise FileRejected(f"{name}: not UTF-8 text (a byte that is not UTF-8 at offset {offset + e.start}); "
                                   "save the export as UTF-8 and drop it again") from None
            if not chunk:
                break
            window = previous + chunk
            if blank_seen and window.strip():
                inner_blank = True
            found = re.search(rb"\n[ \t]*\r?\n", window)
            if found:
                blank_seen = True
                if window[found.end():].strip():
                    inner_blank = True
            if re.search(rb"\r(?!\n)", window[:-1] if window.endswith(b"\r") else window):
                bare_cr = True
            previous = chunk[-4:]
            offset += len(chunk)
    if offset == 0:
        raise FileRejected(f"{name}: empty file")
    return _Scan(offset, inner_blank, bare_cr)


def _check_header(raw_header: list[str], name: str, required: Iterable[str], known: Iterable[str],
                  required_any: Iterable[tuple[str, ...]] = ()) -> list[str]:
    keys = [header_key(h) for h in raw_header]
    required = list(required)
    known_names = set(known) | set(required)
    present = [k for k in keys if k in known_names]
    missing = [c for c in required if c not in keys]
    if missing and not present:
        raise FileRejected(f"{name}: the first line is not a header: none of the required columns "
                           f"({', '.join(required)}) is there")
    if missing:
        raise FileRejected(f"{name}: required column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(repr(m) for m in missing)} missing")
    for choices in required_any:
        if not any(c in keys for c in choices):
            raise FileRejected(f"{name}: required column {choices[0]!r} (or {' or '.join(map(repr, choices[1:]))}) "
                               "missing")
    seen: set[str] = set()
    for key in keys:
        if key and key in seen:
            shown = repr(key) if key in known_names else "a column"
            raise FileRejected(f"{name}: {shown} appears twice in the header (after folding case and spaces)")
        seen.add(key)
    return keys


def read_delimited(
    path: Path, name: str, *, required: Iterable[str], known: Iterable[str], free_text: Iterable[str] = (),
    required_any: Iterable[tuple[str, ...]] = (), delimiter: str = ",", skip_rows_after_header: int = 0,
    batch_rows: int = 50_000,
) -> Iterator[TextRows]:
    """The records of a delimited file in batches of at most `batch_rows`, columns in `known` only.

    Raises FileRejected (naming the file and the problem, never quoting it) before yielding anything when
    the file as a whole cannot be read."""
    scan = scan_text(path, name)
    required, known, free_text = list(required), list(known), set(free_text)
    with path.open(encoding="utf-8-sig", newline="") as f:
        header_reader = csv.reader(f, delimiter=delimiter)
        try:
            raw_header = next(header_reader)
        except StopIteration:
            raise FileRejected(f"{name}: empty file") from None
        except csv.Error:
            raise FileRejected(f"{name}: the first line is not a header (it cannot be read as CSV)") from None
        header_lines = header_reader.line_num
    keys = _check_header(raw_header, name, required, known, required_any)
    wanted = [k for k in keys if k in set(known) | set(required)]
    exact = scan.inner_blank_line or scan.bare_cr or header_lines != 1
    rows = None if exact else _fast(path, keys, wanted, delimiter, header_lines)
    if rows is None:
        rows = _exact(path, name, keys, wanted, delimiter)
    threshold = max(3, (len(keys) - 1) // 2)
    skipped = 0
    for table, lines, last_lines, extra in rows:
        if skip_rows_after_header > skipped:  # summary rows some systems put under the header
            drop = min(skip_rows_after_header - skipped, table.num_rows)
            skipped += drop
            table, lines, last_lines, extra = table.slice(drop), lines[drop:], last_lines[drop:], extra[drop:]
        if table.num_rows == 0:
            continue
        for start in range(0, table.num_rows, max(1, batch_rows)):
            part = table.slice(start, batch_rows)
            end = start + part.num_rows
            yield _judge(part, lines[start:end], last_lines[start:end], extra[start:end], free_text, delimiter,
                         threshold)


def _judge(table: pa.Table, lines: np.ndarray, last_lines: np.ndarray, extra: np.ndarray, free_text: set[str],
           delimiter: str, threshold: int) -> TextRows:
    n = table.num_rows
    problem = np.full(n, None, dtype=object)
    where = np.full(n, None, dtype=object)
    problem[extra] = MALFORMED
    swallowed = re.escape(delimiter)
    swallow_pattern = rf"\n[^\n]*(?:{swallowed}[^\n]*){{{threshold}}}"
    for column_name in table.column_names:
        col = table.column(column_name).combine_chunks()
        large = pc.fill_null(pc.greater(pc.binary_length(col), MAX_FIELD_BYTES), False)
        if column_name in free_text:
            multi = pc.fill_null(pc.match_substring(col, "\n"), False)
            bad = pc.and_(multi, pc.fill_null(pc.match_substring_regex(col, swallow_pattern), False)) \
                if pc.any(multi).as_py() else multi
        else:
            bad = pc.fill_null(pc.or_(pc.match_substring(col, "\n"), pc.match_substring(col, "\r")), False)
            bad = pc.or_(bad, large)
        bad_np = bad.to_numpy(zero_copy_only=False) & (problem == None)  # noqa: E711 - numpy element test
        large_np = large.to_numpy(zero_copy_only=False)
        problem[bad_np] = np.where(large_np[bad_np] & (column_name not in free_text), TOO_LARGE, MALFORMED)
        where[bad_np] = column_name
    columns = {c: table.column(c).combine_chunks() for c in table.column_names}
    return TextRows(columns=columns, lines=pa.array(lines, pa.int64()), last_lines=pa.array(last_lines, pa.int64()),
                    problem=pa.array(problem, pa.string()), problem_column=pa.array(where, pa.string()))


def _not_blank(table: pa.Table) -> np.ndarray:
    """Records with at least one non-blank cell (a line of bare delimiters is no record)."""
    keep = np.zeros(table.num_rows, dtype=bool)
    for col in table.columns:
        keep |= pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(col), ""), False).to_numpy(zero_copy_only=False)
    return keep


def _fast(path: Path, keys: list[str], wanted: list[str], delimiter: str, header_lines: int):
    """Arrow's reader; None when the file is not one it numbers exactly (ragged rows): the caller falls back."""
    names = [k if k else f"_unnamed_{i}" for i, k in enumerate(keys)]
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        batches = list(reader)  # parsed whole before anything is used: a ragged row falls back to the exact reader
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError):
        return None

    def generate():
        line = header_lines + 1
        for batch in batches:
            table = pa.Table.from_batches([batch])
            newlines = np.zeros(table.num_rows, dtype=np.int64)
            for col in table.columns:
                newlines += pc.count_substring(col, "\n").to_numpy(zero_copy_only=False).astype(np.int64)
            spans = newlines + 1
            starts = line + np.concatenate([[0], np.cumsum(spans)[:-1]]).astype(np.int64)
            line += int(spans.sum())
            keep = _not_blank(table)
            table = table.select([names[keys.index(w)] for w in wanted]).rename_columns(wanted)
            idx = np.flatnonzero(keep)
            yield (table.take(pa.array(idx)), starts[idx], (starts + spans - 1)[idx], np.zeros(len(idx), dtype=bool))
    return generate()


def _exact(path: Path, name: str, keys: list[str], wanted: list[str], delimiter: str, chunk_rows: int = 50_000):
    """Python's csv module: slower, and exact about the line where every record starts."""
    csv.field_size_limit(1 << 30)  # a huge cell is judged per row (field_too_large), not by the parser
    positions = [keys.index(w) for w in wanted]
    width = len(keys)
    f = path.open(encoding="utf-8-sig", newline="")
    reader = csv.reader(f, delimiter=delimiter)
    next(reader)

    def flush(cols, lines, last, extra):
        table = pa.table({w: pa.array(c, pa.string()) for w, c in zip(wanted, cols, strict=True)}) if wanted \
            else pa.table({"_": pa.nulls(len(lines))}).select([])
        return table, np.array(lines, np.int64), np.array(last, np.int64), np.array(extra, dtype=bool)

    def generate():
        with f:
            cols: list[list[str]] = [[] for _ in wanted]
            lines: list[int] = []
            last: list[int] = []
            extra: list[bool] = []
            start = reader.line_num + 1
            try:
                for values in reader:
                    first, start = start, reader.line_num + 1
                    if not values or all(not v.strip() for v in values):
                        continue
                    for c, p in zip(cols, positions, strict=True):
                        c.append(values[p] if p < len(values) else "")
                    lines.append(first)
                    last.append(reader.line_num)
                    # a record with cells missing, or with more that hold something, is one whose quoting
                    # merged or split cells: none of its values can be trusted to be in its column
                    extra.append(len(values) < width or any(v.strip(" \t") for v in values[width:]))
                    if len(lines) >= chunk_rows:
                        yield flush(cols, lines, last, extra)
                        cols, lines, last, extra = [[] for _ in wanted], [], [], []
            except csv.Error:
                raise FileRejected(f"{name}: not readable as CSV near line {reader.line_num}") from None
            if lines:
                yield flush(cols, lines, last, extra)
    return generate()
