"""Nothing identifying gets past the landing copy (operations.md, "Privacy"; issues 9 and 11, "How it is checked").

One home holds a file of every input format the readers accept — the canonical bookings CSV, every shipped
profile's layout (SimplePractice attendance, Jane appointments, the intake-form export, canonical intake),
FHIR R4 (a searchset with contained and included Patients, a single Appointment, a transaction), session
logs as CSV and JSON Lines, every saved review-site response (Yelp details and reviews, Google Places legacy
and New, Business Profile) and a review CSV with extra contact columns — plus hostile files (headerless,
an unbalanced quote, surplus cells, a column twice, not UTF-8, a symlink) and a live review pull against the
fake vendor servers. Identifiers are planted in every field and in the file names (tests/planted.py says
which kind goes where, and why).

The real night runs from the command line in a subprocess (Prefect's home inside the practice home), then
`status` and `profile check` run too; every planted identifier is searched for — case-insensitively, and
phones, MRNs and birth dates also as bare digits — in everything the commands printed and in every file under
the home except the inbox (the input), the landing copies and the vault: Parquet decoded through pyarrow,
every table and column (and comment) of the published DuckDB warehouse cast to text, every text and blob
column of every table of the Prefect database, the validation reports, the manifest. Every record of every
file is accounted for: accepted + quarantined = records, or the file is rejected by name.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.parquet as pq
import pytest

from clinicops.home import LAKE_TABLES, OPS_TABLES, Home
from clinicops.masking import shown_name
from tests import planted
from tests.fake_sites import PLANTED as SITE_PLANTED
from tests.fake_sites import (
    REVIEWER_NAMES,
    Reply,
    fake_sites,
    gbp_page,
    gbp_review,
    places_new,
    yelp_details,
    yelp_reviews,
)
from tests.planted import Planted, build_home, digit_needles, needles

AS_OF = "2026-11-25T02:00"
SEPARATORS = re.compile(r"[\s().\-+/_]")
BETWEEN_DIGITS = re.compile(r"(?<=\d)[\s().\-+/_]{1,3}(?=\d)")
# the fake vendor servers' reviewer names (and each part of them), profile links and photos
SITE_NEEDLES = [*SITE_PLANTED, *(part for name in REVIEWER_NAMES for part in name.split())]


@dataclass
class Night:
    home: Home
    files: list[Planted]
    exit_code: int
    printed: dict[str, str]  # command -> what it printed (stdout + stderr)


def _cli(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "clinicops.cli", *args], capture_output=True, text=True,
                          env=env, timeout=900)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    root = tmp_path_factory.mktemp("privacy-everywhere")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_HOME"}  # Prefect's state in <home>/prefect/
    env.update({"CLINICOPS_YELP_API_KEY": "yelp-key", "CLINICOPS_GOOGLE_API_KEY": "google-key",
                "CLINICOPS_GOOGLE_BUSINESS_PROFILE_TOKEN": "ya29.token", "CLINICOPS_HTTP_BACKOFF_SECONDS": "0.01",
                "PYTHONPATH": str(Path(__file__).parents[2])})
    with fake_sites() as sites:
        home, files, _ = build_home(root)
        home.config_file.write_text(planted.live_config(sites.url))
        parent = f"{planted.BP_ACCOUNT}/locations/{planted.BP_NUMBER}"
        sites.add(f"/v3/businesses/{planted.YELP_ID}", Reply(body=yelp_details(planted.YELP_ID)))
        sites.add(f"/v3/businesses/{planted.YELP_ID}/reviews", Reply(body=yelp_reviews()))
        sites.add(f"/v1/places/{planted.PLACE_ID}", Reply(body=places_new(planted.PLACE_ID)))
        sites.add(f"/v4/{parent}/reviews", Reply(body=gbp_page([
            gbp_review(parent, "LIVE-1", "FOUR", "2026-11-22T10:00:00Z"),
            gbp_review(parent, "LIVE-2", "FIVE", "2026-11-23T10:00:00Z")], average=4.5, total=2)))
        today = datetime.now(ZoneInfo("America/New_York")).date().isoformat()
        code, out = _cli(["run", "--home", str(home.root), "--as-of", AS_OF], env)
        assert {r.path for r in sites.requests} == {f"/v3/businesses/{planted.YELP_ID}",
                                                   f"/v3/businesses/{planted.YELP_ID}/reviews",
                                                   f"/v1/places/{planted.PLACE_ID}", f"/v4/{parent}/reviews"}, out
    pulled = {f"yelp__{planted.YELP_ID}__details__{today}.json": 1,
              f"yelp__{planted.YELP_ID}__reviews__{today}.json": 2,
              f"google__{planted.PLACE_ID}__details__{today}.json": 2,
              f"google_business_profile__{planted.BP_NUMBER}__reviews__{today}.json": 3}
    files += [Planted("reviews", name, records, accepted=records) for name, records in pulled.items()]
    printed = {"run": out}
    _, printed["status"] = _cli(["status", "--home", str(home.root)], env)
    for f in files:
        if f.source == "bookings" and f.name.endswith(".csv") and not f.rejected:
            _, printed[f"profile check {f.name}"] = _cli(
                ["profile", "check", str(home.inbox_file("bookings", f.name)), "--home", str(home.root)], env)
    return Night(home, files, code, printed)


# ---- reading everything as text --------------------------------------------------------------------------------

def parquet_text(path: Path) -> str:
    table = pq.read_table(path)
    metadata = {k.decode(errors="replace"): v.decode(errors="replace")
                for k, v in (table.schema.metadata or {}).items()}
    return json.dumps([table.column_names, metadata, table.to_pylist()], default=str, ensure_ascii=False)


def duckdb_text(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        parts = [json.dumps(con.execute("select database_name, schema_name, table_name, comment, sql "
                                        "from duckdb_tables()").fetchall(), default=str),
                 json.dumps(con.execute("select schema_name, view_name, comment, sql from duckdb_views() "
                                        "where not internal").fetchall(), default=str),
                 json.dumps(con.execute("select schema_name, table_name, column_name, comment from duckdb_columns()"
                                        ).fetchall(), default=str)]
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        assert len(tables) > 20, tables
        for schema, table in tables:
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
                [schema, table]).fetchall()]
            cast = ", ".join(f'cast("{c}" as varchar)' for c in columns)
            rows = con.execute(f'select {cast} from "{schema}"."{table}"').fetchall()
            parts.append(f"{schema}.{table}: " + json.dumps(rows, ensure_ascii=False))
        return "\n".join(parts)
    finally:
        con.close()


def sqlite_text(path: Path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        parts = []
        tables = [t for (t,) in con.execute("select name from sqlite_master where type = 'table'").fetchall()]
        assert {"flow_run", "task_run", "log", "artifact"} <= set(tables), tables
        for table in tables:
            for row in con.execute(f'select * from "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        parts.append(value.decode("utf-8", errors="replace"))
                    elif isinstance(value, str):
                        parts.append(value)
        return "\n".join(parts)
    finally:
        con.close()


def searched_files(home: Home) -> list[Path]:
    """Every file under the home but the input (inbox), the raw landing copies and the vault; the manifest
    (under landing/) is searched on its own."""
    skipped = (home.inbox_root, home.landing, home.vault.parent)
    return sorted(p for p in home.root.rglob("*") if p.is_file() and not any(p.is_relative_to(s) for s in skipped))


def as_text(path: Path) -> str:
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".parquet":
        return parquet_text(path) + "\n" + raw
    if path.suffix == ".duckdb":
        return duckdb_text(path) + "\n" + raw
    if raw.startswith("SQLite format 3"):
        return sqlite_text(path) + "\n" + raw
    return raw


def leaks(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The planted identifiers found in `text`: as written (any case), and phones / MRNs / birth dates as
    bare digits once the separators between digits are removed ('(803) 555-0142' -> '8035550142'). A digit
    form counts only where no digit or hex letter touches it, so a sha256 or a uuid never matches by chance."""
    lowered = text.lower()
    found = [n for n in [*needles(), *SITE_NEEDLES] if n not in allowed and n.lower() in lowered]
    squashed = BETWEEN_DIGITS.sub("", lowered)
    found += [d for d in digit_needles() if d not in allowed
              and re.search(rf"(?<![0-9a-f]){d}(?![0-9a-f])", squashed)]
    return found


# ---- the tests ----------------------------------------------------------------------------------------------------

def test_the_night_publishes_and_names_the_rejected_files(night: Night) -> None:
    out = night.printed["run"]
    assert night.exit_code == 3, out  # published, but files were rejected
    assert night.home.warehouse.exists()
    assert "Traceback" not in "".join(night.printed.values())
    for f in night.files:
        if f.rejected:
            assert shown_name(f.name) in out, f"{shown_name(f.name)} not named in the summary\n{out}"


def test_no_planted_identifier_in_anything_a_command_printed(night: Night) -> None:
    assert len(night.printed) >= 6, list(night.printed)  # run, status, and `profile check` of each CSV layout
    for command, text in night.printed.items():
        assert not leaks(text), f"`clinicops {command}` printed {leaks(text)}:\n{text}"


def test_no_planted_identifier_anywhere_under_the_home(night: Night) -> None:
    home = night.home
    files = searched_files(home)
    kinds = Counter(p.suffix for p in files)
    assert kinds[".duckdb"] == 1 and kinds[".html"] >= 2, kinds
    parquet_folders = {p.parent.relative_to(home.root).parts[:2] for p in files if p.suffix == ".parquet"}
    assert {("lake", t) for t in LAKE_TABLES} | {("ops", t) for t in OPS_TABLES} <= parquet_folders, parquet_folders
    prefect = [p for p in files if p.is_relative_to(home.prefect_home) and p.name.startswith("prefect.db")]
    assert prefect, "Prefect's database is not in the practice home"
    found = {str(p.relative_to(home.root)): leaks(as_text(p)) for p in files}
    assert not {p: f for p, f in found.items() if f}


def test_the_manifest_holds_file_names_only_in_the_landing_area(night: Night) -> None:
    """The landing manifest keeps each file's name as it came (it lives in the landing area, owner-only, with
    the raw copies: operations.md masks file names stored *outside* it); nothing else planted is there."""
    in_names = frozenset(n for n in needles() + digit_needles()
                         if any(n.lower() in SEPARATORS.sub("", f.name.lower()) or n.lower() in f.name.lower()
                                for f in night.files))
    assert in_names, "no identifier was planted in a file name"
    text = night.home.manifest.read_text()
    assert not leaks(text, allowed=in_names)


def _per_file(home: Home) -> tuple[Counter, Counter, dict[str, str], dict[str, set[str]]]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        quarantined = Counter(dict(con.execute("select file, count(*) from ops.quarantine group by file").fetchall()))
        rules: dict[str, set[str]] = {}
        for file, rule in con.execute("select file, rule from ops.quarantine").fetchall():
            rules.setdefault(file, set()).add(rule)
        rejected = dict(con.execute("select file, reason from ops.rejected_files").fetchall())
    finally:
        con.close()
    accepted: Counter = Counter()
    for table in LAKE_TABLES:
        for path in home.lake_table(table).rglob("*.parquet"):
            accepted.update(pq.read_table(path, columns=["_file"]).column("_file").to_pylist())
    return accepted, quarantined, rejected, rules


def test_every_record_of_every_file_is_accepted_quarantined_or_its_file_rejected(night: Night) -> None:
    accepted, quarantined, rejected, rules = _per_file(night.home)
    shown = [shown_name(f.name) for f in night.files]
    assert len(set(shown)) == len(shown), "two planted files share a shown name"
    for f, name in zip(night.files, shown, strict=True):
        if f.rejected:
            assert name in rejected and f.reason in rejected[name], (name, rejected.get(name))
            assert not accepted[name] and not quarantined[name]
            continue
        assert name not in rejected, rejected.get(name)
        assert accepted[name] + quarantined[name] == f.records, (name, accepted[name], quarantined[name])
        if f.accepted is not None:
            assert accepted[name] == f.accepted, (name, accepted[name], quarantined[name], rules.get(name))
        assert f.rules <= rules.get(name, set()), (name, rules.get(name))
    assert set(rejected) == {n for f, n in zip(night.files, shown, strict=True) if f.rejected}
    con = duckdb.connect(str(night.home.warehouse), read_only=True)
    try:
        per_source = con.execute("select source, files_read, files_rejected, rows_read, rows_accepted, "
                                 "rows_quarantined from ops.run_sources").fetchall()
    finally:
        con.close()
    for source, files_read, files_rejected, rows_read, rows_accepted, rows_quarantined in per_source:
        mine = [(f, n) for f, n in zip(night.files, shown, strict=True) if f.source == source]
        assert files_read == sum(1 for f, _ in mine if not f.rejected), source
        assert files_rejected == sum(1 for f, _ in mine if f.rejected), source
        assert rows_read == rows_accepted + rows_quarantined == sum(f.records for f, _ in mine), source
        assert rows_accepted == sum(accepted[n] for _, n in mine), source
