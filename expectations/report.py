"""The run's validation report: our own Data-Docs-style HTML page, one file, fully self-contained.

Per source and file it shows each expectation (the rule it stands for, success, rows checked, rows that
failed), the files rejected whole with their reason, and the rows set aside in the quarantine with the rule,
column, message and raw values (PHI already blanked by the readers) — at most `MAX_ROWS_PER_FILE` rows per
file, with a count of the rest (all of them are in `ops.quarantine`). Inline CSS only: no script, font, image
or link leaves the file, so it opens the same offline. Every value is HTML-escaped. Written to a temporary
name beside the target, then renamed into place.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

MAX_ROWS_PER_FILE = 200

_CSS = """
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --line: #d0d7de; --muted: #57606a; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; margin: 0;
       background: #fff; }
header { background: #24292f; color: #fff; padding: 18px 32px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; color: #d0d7de; }
main { padding: 16px 32px 48px; max-width: 1400px; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: 6px; margin-top: 32px; }
h3 { margin: 0; font-size: 15px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600;
         color: #fff; }
.ok { background: var(--ok); } .bad { background: var(--bad); } .warn { background: var(--warn); }
.muted { color: var(--muted); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.raw span { display: inline-block; margin: 0 8px 0 0; }
.raw b { font-weight: 600; }
details summary { cursor: pointer; margin: 4px 0; }
"""


def render_report(
    path: Path,
    *,
    run_id: str,
    practice: str,
    results: list[dict],
    quarantine: list[dict],
    rejected_files: list[dict],
) -> Path:
    """Write the report to `path` (a temporary name first, then renamed) and return `path`.

    `results`, `quarantine` and `rejected_files` are rows shaped like `ops.validation_results`,
    `ops.quarantine` and `ops.rejected_files`; several results rows for the same file and expectation (one
    per batch) are summed."""
    page = _page(run_id=run_id, practice=practice, results=results, quarantine=quarantine,
                 rejected_files=rejected_files)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# ---- building the page -------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """HTML-escaped text. A slash is written as &#47; too: it reads the same, and a URL inside a value (review
    text, a raw field) can never appear in the page source as one (`https://`, `//cdn...`)."""
    return escape("" if value is None else str(value), quote=True).replace("/", "&#47;")


def _int(value: Any) -> int:
    return int(value or 0)


def _sum_results(results: Iterable[dict]) -> dict[tuple[str, str], list[dict]]:
    """(source, file) -> one row per expectation, batches summed, in first-seen (suite) order."""
    by_file: dict[tuple[str, str], dict[tuple, dict]] = {}
    for r in results:
        key = (str(r.get("source") or ""), str(r.get("file") or ""))
        ident = (r.get("rule"), r.get("expectation"), r.get("column_name"))
        rows = by_file.setdefault(key, {})
        if ident not in rows:
            rows[ident] = {**r, "element_count": 0, "unexpected_count": 0, "success": True}
        row = rows[ident]
        row["element_count"] += _int(r.get("element_count"))
        row["unexpected_count"] += _int(r.get("unexpected_count"))
        row["success"] = bool(row["success"] and r.get("success"))
    return {key: list(rows.values()) for key, rows in by_file.items()}


def _raw_cell(raw: Any) -> str:
    """The raw values as key=value pairs (the JSON text itself when it is not a JSON object)."""
    try:
        values = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        values = None
    if not isinstance(values, dict):
        return f"<code>{_e(raw)}</code>"
    parts = [f"<span><b>{_e(k)}</b>=<code>{_e(v)}</code></span>" for k, v in values.items()]
    return f'<div class="raw">{"".join(parts)}</div>'


def _badge(kind: str, text: str) -> str:
    return f'<span class="badge {kind}">{_e(text)}</span>'


def _page(*, run_id: str, practice: str, results: list[dict], quarantine: list[dict],
          rejected_files: list[dict]) -> str:
    by_file = _sum_results(results)
    quarantined: dict[tuple[str, str], list[dict]] = {}
    for q in quarantine:
        quarantined.setdefault((str(q.get("source") or ""), str(q.get("file") or "")), []).append(q)
    rejected: dict[str, list[dict]] = {}
    for r in rejected_files:
        rejected.setdefault(str(r.get("source") or ""), []).append(r)
    files = sorted(set(by_file) | set(quarantined))
    sources = sorted({s for s, _ in files} | set(rejected))

    total_rows_bad = len(quarantine)
    total_failed = sum(1 for rows in by_file.values() for r in rows if not r["success"])
    if rejected_files:
        overall = _badge("bad", f"{len(rejected_files)} file(s) rejected")
    elif total_rows_bad or total_failed:
        overall = _badge("warn", f"{total_rows_bad} row(s) set aside")
    else:
        overall = _badge("ok", "every row passed")

    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>Validation report {_e(run_id)} — {_e(practice)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>Validation report — {_e(practice)}</h1>",
        f"<p>Run <code>{_e(run_id)}</code> · {overall}</p></header><main>",
    ]

    # summary per source
    out.append("<h2>Summary</h2><table><tr><th>source</th><th class=num>files validated</th>"
               "<th class=num>rows checked</th><th class=num>rows set aside</th>"
               "<th class=num>expectations failed</th><th class=num>files rejected</th></tr>")
    for source in sources:
        source_files = [f for f in files if f[0] == source]
        checked = sum(max((_int(r["element_count"]) for r in by_file.get(f, [])), default=0) for f in source_files)
        bad_rows = sum(len(quarantined.get(f, [])) for f in source_files)
        failed = sum(1 for f in source_files for r in by_file.get(f, []) if not r["success"])
        out.append(
            f"<tr><td>{_e(source)}</td><td class=num>{len(source_files)}</td><td class=num>{checked}</td>"
            f"<td class=num>{bad_rows}</td><td class=num>{failed}</td>"
            f"<td class=num>{len(rejected.get(source, []))}</td></tr>"
        )
    out.append("</table>")
    if not sources:
        out.append('<p class="muted">No files were validated in this run.</p>')

    # rejected files
    if rejected_files:
        out.append("<h2>Rejected files</h2>"
                   '<p class="muted">These files could not be read at all; none of their rows were used. '
                   "A corrected file dropped in the inbox is picked up by the next run.</p>"
                   "<table><tr><th>source</th><th>file</th><th>sha256</th><th>reason</th></tr>")
        for r in sorted(rejected_files, key=lambda r: (str(r.get("source")), str(r.get("file")))):
            sha = str(r.get("file_sha256") or "")
            out.append(f"<tr><td>{_e(r.get('source'))}</td><td>{_e(r.get('file'))}</td>"
                       f"<td><code>{_e(sha[:12])}</code></td><td>{_e(r.get('reason'))}</td></tr>")
        out.append("</table>")

    # per source and file
    for source in sources:
        out.append(f"<h2>{_e(source)}</h2>")
        source_files = [f for f in files if f[0] == source]
        if not source_files:
            out.append('<p class="muted">No file of this source was validated.</p>')
        # files with rows set aside first: that is what staff open the report for
        source_files.sort(key=lambda k: (not quarantined.get(k) and all(r["success"] for r in by_file.get(k, [])), k))
        for key in source_files:
            out.extend(_file_card(key[1], by_file.get(key, []), quarantined.get(key, [])))

    out.append("</main></body></html>\n")
    return "\n".join(out)


def _file_card(file: str, rows: list[dict], bad: list[dict]) -> list[str]:
    failed = sum(1 for r in rows if not r["success"])
    status = _badge("ok", "passed") if not failed and not bad else _badge("warn", f"{len(bad)} row(s) set aside")
    out = [f'<section class="card"><h3>{_e(file)} {status}</h3>']
    if rows:
        out.append(f"<details{' open' if failed else ''}><summary>{len(rows)} expectation(s), {failed} failed</summary>"
                   "<table><tr><th>rule</th><th>column</th><th>expectation</th><th>result</th>"
                   "<th class=num>rows checked</th><th class=num>unexpected</th><th class=num>%</th></tr>")
        for r in rows:
            checked, unexpected = _int(r["element_count"]), _int(r["unexpected_count"])
            share = f"{100 * unexpected / checked:.1f}" if checked else "–"
            result = _badge("ok", "passed") if r["success"] else _badge("bad", "failed")
            out.append(
                f"<tr><td>{_e(r.get('rule'))}</td><td><code>{_e(r.get('column_name'))}</code></td>"
                f"<td><code>{_e(r.get('expectation'))}</code></td><td>{result}</td>"
                f"<td class=num>{checked}</td><td class=num>{unexpected}</td><td class=num>{share}</td></tr>"
            )
        out.append("</table></details>")
    if bad:
        listed = sorted(bad, key=lambda q: _int(q.get("row_number")))[:MAX_ROWS_PER_FILE]
        out.append(f"<details open><summary>Quarantined rows ({len(bad)})</summary>"
                   "<table><tr><th class=num>row</th><th>rule</th><th>column</th><th>message</th>"
                   "<th>raw values</th></tr>")
        for q in listed:
            out.append(
                f"<tr><td class=num>{_e(q.get('row_number'))}</td><td>{_e(q.get('rule'))}</td>"
                f"<td><code>{_e(q.get('column_name'))}</code></td><td>{_e(q.get('message'))}</td>"
                f"<td>{_raw_cell(q.get('raw_values'))}</td></tr>"
            )
        out.append("</table>")
        rest = len(bad) - len(listed)
        if rest > 0:
            out.append(f'<p class="muted">… and {rest} more row(s) of this file, not listed here '
                       "(all are in ops.quarantine).</p>")
        out.append("</details>")
    out.append("</section>")
    return out
