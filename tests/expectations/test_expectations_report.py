"""The HTML validation report: self-contained, escaped, complete enough for staff, capped per file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from clinicops.expectations.report import MAX_ROWS_PER_FILE, render_report
from clinicops.expectations.runner import Validator

if TYPE_CHECKING:
    from conftest import Rows

EVIL = "<script>alert('x')</script>"


def _quarantine(file: str, n: int, **extra: object) -> dict:
    row = {
        "run_id": "run-9",
        "source": "bookings",
        "file": file,
        "file_sha256": "ab" * 32,
        "row_number": n,
        "rule": "location_known",
        "column_name": "location_id",
        "message": "location_id is not a location in clinicops.toml",
        "raw_values": json.dumps({"location_id": "ZZZ", "patient_first_name": "[removed]", "row": n}),
    }
    row.update(extra)
    return row


def test_report_from_a_real_validation(tmp_path: Path, validator: Validator, rows: Rows) -> None:
    batch = rows.batch("bookings", [rows.row("bookings", 2), rows.row("bookings", 3, location_id="ZZZ")])
    outcome = validator.validate("bookings", batch, run_id="run-9", source="bookings", file="bookings.csv")
    path = render_report(
        tmp_path / "reports" / "run-9.html",
        run_id="run-9",
        practice="Midlands Psychiatry & Ketamine",
        results=outcome.results,
        quarantine=outcome.quarantine,
        rejected_files=[{"run_id": "run-9", "source": "sessions", "file": "broken.csv", "file_sha256": "cd" * 32,
                         "reason": "not UTF-8 text"}],
    )
    assert path == tmp_path / "reports" / "run-9.html"
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Midlands Psychiatry &amp; Ketamine" in html
    for rule in ("start_valid", "location_known", "expect_column_values_to_be_in_set", "bookings.csv"):
        assert rule in html
    assert "broken.csv" in html and "not UTF-8 text" in html and "1 file(s) rejected" in html
    assert "<h2>sessions</h2>" in html  # a source with only a rejected file still has its section
    assert "location_id is not a location in clinicops.toml" in html and "[removed]" in html
    assert [p.name for p in path.parent.iterdir()] == ["run-9.html"]  # no temporary file left behind


def test_report_is_self_contained_and_escaped(tmp_path: Path) -> None:
    results = [
        {"run_id": "r", "source": "reviews", "file": f"{EVIL}.csv", "expectation": "expect_column_values_to_be_between",
         "rule": "rating_in_range", "column_name": "rating", "success": False, "element_count": 10,
         "unexpected_count": 1},
    ]
    quarantine = [_quarantine(f"{EVIL}.csv", 2, source="reviews", message=EVIL,
                              raw_values=json.dumps({"text": EVIL, "url": "https://evil.example/x.js"}))]
    rejected = [{"run_id": "r", "source": "reviews", "file": "x.json", "file_sha256": "", "reason": EVIL}]
    html = render_report(tmp_path / "r.html", run_id=EVIL, practice=EVIL, results=results, quarantine=quarantine,
                         rejected_files=rejected).read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html
    # nothing is fetched from anywhere: no URL, no external stylesheet, font, image or script
    assert "https://" not in html and "http://" not in html and "//cdn" not in html and "//" not in html
    assert "https:&#47;&#47;evil.example&#47;x.js" in html  # a URL in a value reads the same, as text only
    assert not re.search(r"(src|href)=\"(?!data:)", html)
    assert "@import" not in html and "url(" not in html


def test_report_lists_at_most_so_many_rows_per_file_and_counts_the_rest(tmp_path: Path) -> None:
    many = [_quarantine("big.csv", n) for n in range(2, MAX_ROWS_PER_FILE + 52)]
    few = [_quarantine("small.csv", n) for n in (5, 6)]
    results = [
        {"run_id": "r", "source": "bookings", "file": "big.csv", "expectation": "expect_column_values_to_be_in_set",
         "rule": "location_known", "column_name": "location_id", "success": False, "element_count": 25_000,
         "unexpected_count": 125},
        {"run_id": "r", "source": "bookings", "file": "big.csv", "expectation": "expect_column_values_to_be_in_set",
         "rule": "location_known", "column_name": "location_id", "success": False, "element_count": 25_000,
         "unexpected_count": 125},  # a second batch of the same file: summed
    ]
    html = render_report(tmp_path / "r.html", run_id="r", practice="p", results=results, quarantine=many + few,
                         rejected_files=[]).read_text(encoding="utf-8")
    big = html[html.index("big.csv"):html.index("small.csv")]
    assert big.count("<tr><td class=num>") == MAX_ROWS_PER_FILE  # listed quarantined rows
    assert "Quarantined rows (250)" in big and "and 50 more row(s) of this file" in big
    assert "<td class=num>50000</td><td class=num>250</td><td class=num>0.5</td>" in big
    small = html[html.index("small.csv"):]
    assert small.count("<tr><td class=num>") == 2 and "more row(s)" not in small


def test_an_empty_run_still_renders(tmp_path: Path) -> None:
    html = render_report(tmp_path / "r.html", run_id="r", practice="p", results=[], quarantine=[],
                         rejected_files=[]).read_text(encoding="utf-8")
    assert "every row passed" in html and "No files were validated" in html
