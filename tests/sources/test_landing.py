"""Landing: raw copies kept owner-only and named by content; the manifest says what is ingested."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from clinicops.home import Home
from clinicops.sources.landing import Manifest, ManifestEntry, land, scan_inbox


def test_raw_copy_is_exact_owner_only_and_content_addressed(tmp_path: Path) -> None:
    home = Home(tmp_path)
    home.make_dirs()
    body = b"\xef\xbb\xbfappointment_id,start\r\n1,2026-11-09\r\n"
    (home.inbox("bookings") / "b.csv").write_bytes(body)
    (home.inbox("bookings") / "copy of b.csv").write_bytes(body)
    (home.inbox("bookings") / ".partial.tmp").write_bytes(b"x")
    items, _ = scan_inbox(home, "bookings")
    assert [i.name for i in items] == ["b.csv", "copy of b.csv"]
    assert items[0].sha256 == items[1].sha256
    landed = land(home, items[0])
    assert landed.read_bytes() == body and landed.name == f"{items[0].sha256}.csv"
    assert stat.S_IMODE(os.stat(landed).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(landed.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(home.landing).st_mode) == 0o700


def test_manifest_survives_a_torn_line(tmp_path: Path) -> None:
    home = Home(tmp_path)
    manifest = Manifest(home)
    manifest.record(ManifestEntry("bookings", "b.csv", "a" * 64, 10, 1, "run1", "2026-11-20T07:00:00+00:00"))
    with home.manifest.open("a") as f:
        f.write('{"source": "bookings", "name": "c.csv", "sha2')  # killed mid-write
    again = Manifest(home)
    assert again.known("bookings", "a" * 64) and again.last_seq == 1
    again.record(ManifestEntry("bookings", "c.csv", "c" * 64, 10, 2, "run2", "2026-11-21T07:00:00+00:00"))
    assert Manifest(home).known("bookings", "c" * 64).seq == 2


def test_a_saved_response_is_dated_by_its_name(tmp_path: Path) -> None:
    """Two fetches that returned the same bytes on different days are two snapshots; an export copied
    under another name is the same version."""
    home = Home(tmp_path)
    home.make_dirs()
    body = b'{"id": "x", "rating": 4.5, "review_count": 30}'
    (home.inbox("reviews") / "yelp__x__details__2026-10-24.json").write_bytes(body)
    (home.inbox("reviews") / "yelp__x__details__2026-11-24.json").write_bytes(body)
    (home.inbox("bookings") / "a.csv").write_bytes(b"x\n1\n")
    (home.inbox("bookings") / "copy of a.csv").write_bytes(b"x\n1\n")
    reviews, _ = scan_inbox(home, "reviews")
    assert reviews[0].sha256 == reviews[1].sha256 and reviews[0].version_id != reviews[1].version_id
    bookings, _ = scan_inbox(home, "bookings")
    assert bookings[0].version_id == bookings[1].version_id == bookings[0].sha256
