"""The plain functions behind each step of the nightly flow; the flow's tasks are thin wrappers over them.

plan -> stage (land + read, per source) -> accept (validate + write lake + quarantine, per source)
-> build -> publish. Steps hand each other paths and small records, never DataFrames.
"""

from __future__ import annotations

import errno
import logging
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from clinicops.config import Config
from clinicops.errors import MachineError, is_machine_errno, machine_error
from clinicops.home import SOURCES, Home
from clinicops.lake import unrecorded_rows_removed, write_accepted, write_ops, write_parquet
from clinicops.masking import SMALL_CELL, shown_name
from clinicops.sources.common import Batch, FileRejected, ReadContext
from clinicops.sources.landing import InboxFile, Manifest, ManifestEntry, Refused, land, scan_inbox
from clinicops.vault import Vault

if TYPE_CHECKING:
    from clinicops.expectations.runner import Validator

log = logging.getLogger("clinicops")


def new_run_id(started_at: datetime) -> str:
    return started_at.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


@dataclass(frozen=True)
class PlannedFile:
    source: str
    name: str
    inbox_path: Path
    sha256: str  # of the content
    size: int
    seq: int
    version_id: str  # what the manifest and the lake file names know this version by


@dataclass
class SourcePlan:
    source: str
    new: list[PlannedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # names already ingested (same content)
    refused: list[Refused] = field(default_factory=list)  # not regular files: rejected by name, never read
    failure: str | None = None  # the inbox folder could not be read: this source fails, the others go on


@dataclass(frozen=True)
class Rejection:
    source: str
    file: str
    sha256: str
    reason: str


@dataclass
class StagedFile:
    planned: PlannedFile
    batches: list[tuple[str, Path]]  # (lake table, work batch path)
    rows: int
    ingested_at: datetime


@dataclass
class StagedSource:
    source: str
    files: list[StagedFile] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    skipped: int = 0
    failure: str | None = None  # the whole source failed (e.g. a site's API), others go on


@dataclass
class SourceOutcome:
    source: str
    files_read: int = 0
    files_skipped: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    failure: str | None = None

    def ops_row(self, run_id: str) -> dict:
        return {
            "run_id": run_id, "source": self.source, "files_read": self.files_read,
            "files_skipped": self.files_skipped, "files_rejected": len(self.rejected), "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted, "rows_quarantined": self.rows_quarantined,
            "status": "failed" if self.failure else "ok", "message": self.failure,
        }


# ---- plan ------------------------------------------------------------------------------------------

def plan_run(home: Home) -> dict[str, SourcePlan]:
    """Which inbox files are new versions, in ingest order (source, then file name); the rest are skipped."""
    manifest = Manifest(home)
    seq = manifest.last_seq
    plans: dict[str, SourcePlan] = {}
    for source in SOURCES:
        plan = SourcePlan(source)
        seen: set[str] = set()
        try:
            items, plan.refused = scan_inbox(home, source)
        except OSError as e:
            plan.failure = f"inbox/{source} could not be read ({type(e).__name__}: {e.strerror or e})"
            items = []
        for item in items:
            if manifest.known(source, item.version_id) or item.version_id in seen:
                plan.skipped.append(item.name)
                continue
            seen.add(item.version_id)
            seq += 1
            plan.new.append(PlannedFile(source, item.name, item.path, item.sha256, item.size, seq, item.version_id))
        plans[source] = plan
    return plans


# ---- stage: land and read ----------------------------------------------------------------------------

Reader = Callable[[Path, ReadContext], Iterator[Batch]]


def reader_for(source: str, file_name: str) -> Reader:
    """The reader of a file, by source and extension."""
    suffix = Path(file_name).suffix.lower()
    if source == "bookings":
        if suffix == ".csv":
            from clinicops.sources.profiled import read_bookings

            return read_bookings
        if suffix == ".json":
            from clinicops.sources.fhir import read_fhir

            return read_fhir
        raise FileRejected(f"{file_name}: unknown format for bookings (expected a .csv export or FHIR .json)")
    if source == "sessions":
        from clinicops.sources.sessions import read_sessions

        return read_sessions
    if source == "reviews":
        from clinicops.sources.reviews import read_reviews

        return read_reviews
    raise ValueError(f"unknown source {source!r}")


def stage_source(home: Home, config: Config, vault: Vault, plan: SourcePlan, run_id: str) -> StagedSource:
    """Land each new file (raw copy kept) and read it into typed batches under work/<run>/; PHI ends here.

    A file that cannot be read is rejected by name; the other files go on.
    """
    staged = StagedSource(plan.source, skipped=len(plan.skipped), failure=plan.failure)
    for refused in plan.refused:
        shown = shown_name(refused.name)
        staged.rejected.append(Rejection(plan.source, shown, "", refused.reason.replace(refused.name, shown)))
    for planned in plan.new:
        ingested_at = datetime.now(UTC)
        try:
            landed = land(home, _inbox_file(planned))
            ctx = ReadContext(
                config=config, source=planned.source, file_name=planned.name, sha256=planned.sha256,
                file_seq=planned.seq, ingested_at=ingested_at,
                patient_key=lambda pid: vault.key_for(config.practice.source_system, pid),
                phrase_key=vault.phrase_key, note_phrases=vault.note_phrases,
                profiles_dir=home.profiles,
            )
            batches, rows = [], 0
            for number, batch in enumerate(reader_for(planned.source, planned.name)(landed, ctx)):
                path = home.work_batch(run_id, planned.source, planned.version_id, number, batch.table)
                write_parquet(batch.data, path, durable=False)  # scratch: a killed run reads the file again
                batches.append((batch.table, path))
                rows += batch.data.num_rows
        except FileRejected as e:
            _reject(staged, planned, str(e))
            continue
        except MachineError:
            raise
        except OSError as e:
            if _the_machines(home, e):  # a full disk or a read-only home is the machine's, not the file's
                raise machine_error(e) or MachineError(home.root, e.errno or 0, e.strerror) from e
            _reject(staged, planned, f"{planned.name}: could not be read ({type(e).__name__})")
            continue
        except Exception as e:  # noqa: BLE001 - an unreadable file must not stop the others; never echo values (PHI)
            _reject(staged, planned, f"{planned.name}: could not be read ({type(e).__name__})")
            continue
        staged.files.append(StagedFile(planned, batches, rows, ingested_at))
    vault.save()  # once, before anything keyed by a new patient_key reaches the lake (accept writes it)
    if plan.source == "bookings":
        write_ops(home, "referral_phrases", run_id, referral_phrases(vault, run_id))
    return staged


def referral_phrases(vault: Vault, run_id: str) -> list[dict]:
    """Unmatched referral phrases as they may be shown (operations.md, "Privacy"): a phrase that at least
    SMALL_CELL distinct patients typed identifies nobody and is shown, for extending [referral_sources];
    the rarer ones appear only as a count (one row with no phrase)."""
    shown, rare_phrases, rare_patients = [], 0, 0
    for text, patients in vault.phrases():
        if patients >= SMALL_CELL:
            shown.append({"run_id": run_id, "phrase": text, "phrases": 1, "patients": patients})
        else:
            rare_phrases += 1
            rare_patients += patients
    if rare_phrases:
        shown.append({"run_id": run_id, "phrase": None, "phrases": rare_phrases, "patients": rare_patients})
    return shown



def _the_machines(home: Home, e: OSError) -> bool:
    """A full disk, a read-only file system, permission denied, or a folder of the home that vanished."""
    if is_machine_errno(e):
        return True
    return e.errno == errno.ENOENT and not all(p.is_dir() for p in (home.root, home.landing, home.work_root))


def _reject(staged: StagedSource, planned: PlannedFile, reason: str) -> None:
    """Record a rejected file by its shown name; the reason never quotes the file, and names it masked."""
    shown = shown_name(planned.name)
    reason = reason.replace(planned.name, shown)
    staged.rejected.append(Rejection(planned.source, shown, planned.sha256, reason))
    log.warning("rejected (%s): %s", planned.source, reason)


def _inbox_file(planned: PlannedFile) -> InboxFile:
    return InboxFile(planned.source, planned.name, planned.inbox_path, planned.sha256, planned.size)


# ---- accept: validate, write the lake, quarantine ---------------------------------------------------------

CHUNK_ROWS = 100_000  # rows judged by one GX call: small files share one (GX builds its metric graph, ~0.7 s, per call)


@dataclass(frozen=True)
class _Piece:
    """One staged batch of a file version, for one lake table."""

    file: StagedFile
    table: str
    path: Path
    rows: int


def _chunks(staged: StagedSource, limit: int) -> Iterator[tuple[str, list[_Piece]]]:
    """The staged batches grouped per lake table into chunks of about `limit` rows (whole batches only)."""
    pending: dict[str, list[_Piece]] = {}
    for staged_file in staged.files:
        for table, path in staged_file.batches:
            piece = _Piece(staged_file, table, path, pq.ParquetFile(path).metadata.num_rows)
            held = pending.setdefault(table, [])
            if held and sum(p.rows for p in held) + piece.rows > limit:
                yield table, held
                held = pending[table] = []
            held.append(piece)
    for table, held in pending.items():
        if held:
            yield table, held


def accept_source(home: Home, config: Config, validator: Validator, staged: StagedSource, run_id: str,
                  chunk_rows: int = CHUNK_ROWS) -> SourceOutcome:
    """Judge every staged batch with the source's suite: accepted rows to the lake, failed rows to the
    quarantine, results to the run history; then record each file version in the manifest.

    Each judged chunk is one lake file per month (`<run_id>-<source>-<chunk>`), however many files it holds;
    a run stopped before its manifest lines leaves rows the next run takes out (`clear_leftovers`)."""
    outcome = SourceOutcome(staged.source, files_skipped=staged.skipped, rejected=list(staged.rejected),
                            failure=staged.failure)
    quarantine: dict[tuple[str, str], list[dict]] = {}
    results: dict[tuple[str, str], dict[tuple, dict]] = {}
    for chunk, (table, pieces) in enumerate(_chunks(staged, chunk_rows)):
        batch = pa.concat_tables([pq.read_table(p.path) for p in pieces])
        verdict = validator.validate(table, batch, run_id=run_id, source=staged.source)
        keep = np.ones(batch.num_rows, dtype=bool)
        keep[verdict.rejected_rows] = False
        write_accepted(home, table, batch.filter(pa.array(keep)), f"{run_id}-{staged.source}-{chunk:04d}",
                       config.practice.timezone)
        for q in verdict.quarantine:
            quarantine.setdefault((q["file_sha256"], q["file"]), []).append(q)
        for r in verdict.results:
            totals = results.setdefault((r["file_sha256"], r["file"]), {})
            key = (r["expectation"], r["rule"], r["column_name"])
            if key in totals:
                total = totals[key]
                total["success"] = total["success"] and r["success"]
                total["element_count"] += r["element_count"]
                total["unexpected_count"] += r["unexpected_count"]
            else:
                totals[key] = dict(r)
        outcome.rows_read += batch.num_rows
        outcome.rows_accepted += int(keep.sum())
        outcome.rows_quarantined += len(verdict.quarantine)

    # the source's quarantine and results: one history file each for the run, however many files it read
    keys = list(dict.fromkeys((f.planned.sha256, shown_name(f.planned.name)) for f in staged.files))  # as batches do
    write_ops(home, "quarantine", run_id, [q for key in keys for q in quarantine.get(key, [])], staged.source)
    write_ops(home, "validation_results", run_id, [r for key in keys for r in results.get(key, {}).values()],
              staged.source)
    manifest = Manifest(home)
    for staged_file in staged.files:  # every lake row of the source is written: now the versions count as in
        planned = staged_file.planned
        manifest.record(ManifestEntry(staged.source, planned.name, planned.sha256, planned.size, planned.seq, run_id,
                                      staged_file.ingested_at.isoformat(), planned.version_id))
        outcome.files_read += 1
    write_ops(home, "rejected_files", run_id, [
        {"run_id": run_id, "source": r.source, "file": r.file, "file_sha256": r.sha256, "reason": r.reason}
        for r in outcome.rejected
    ], staged.source)
    write_ops(home, "run_sources", run_id, [outcome.ops_row(run_id)], staged.source)
    return outcome


def clean_work(home: Home, run_id: str) -> None:
    shutil.rmtree(home.work(run_id), ignore_errors=True)


def clear_leftovers(home: Home, previous_run_id: str | None = None) -> list[Path]:
    """What a stopped run left behind: its scratch batches, its half-built warehouse, and lake rows of file
    versions it never recorded in the manifest (those versions are ingested again; temp names are never read).
    Called under the run lock, so no other run is using them. Returns what was removed or rewritten."""
    leftovers = [p for p in (home.work_root.iterdir() if home.work_root.is_dir() else [])]
    leftovers += [p for p in (home.build_dir.iterdir() if home.build_dir.is_dir() else [])]
    for path in leftovers:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if previous_run_id:
        written = sorted(home.lake.glob(f"*/*/{previous_run_id}-*.parquet")) if home.lake.is_dir() else []
        if written:
            recorded = {entry.seq for entry in Manifest(home).entries.values()}
            leftovers += [p for p in written if unrecorded_rows_removed(p, recorded) != "kept"]
    return leftovers


RUNNING = "running"  # the status a run records first; only a killed run leaves it behind
INTERRUPTED = "interrupted"


def settle_interrupted_run(home: Home, run_id: str | None, found_by: str) -> str | None:
    """The last run's history, made true: a run that was killed left `running` behind. If its warehouse was
    swapped in (the live file records it as published) that record is kept; else it is recorded as
    interrupted. Returns the status written, or None when the last run had finished."""
    path = home.ops_file("runs", run_id) if run_id else None
    if path is None or not path.is_file():
        return None
    rows = pq.read_table(path).to_pylist()
    if len(rows) != 1 or rows[0]["status"] != RUNNING:
        return None
    row = _published_record(home, run_id) or {
        **rows[0], "status": INTERRUPTED, "exit_code": None, "finished_at": None,
        "message": f"interrupted (killed, or the machine stopped) before its warehouse was published; run "
                   f"{found_by} found its leftovers and cleared them; the warehouse before it stayed",
    }
    write_ops(home, "runs", run_id, [row])
    log.warning("run %s was %s", run_id, row["status"] if row["status"] == INTERRUPTED else
                f"killed after its warehouse was published: recorded as {row['status']}")
    return row["status"]


def _published_record(home: Home, run_id: str) -> dict | None:
    """The run's own record in the live warehouse (there only if its swap happened), else None."""
    import duckdb

    if not home.warehouse.is_file():
        return None
    try:
        con = duckdb.connect(str(home.warehouse), read_only=True)
        try:
            cursor = con.execute("select * from ops.runs where run_id = ? and status like 'published%'", [run_id])
            found = cursor.fetchone()
            names = [d[0] for d in cursor.description]
        finally:
            con.close()
    except duckdb.Error:
        return None
    return dict(zip(names, found, strict=True)) if found else None


def run_history(home: Home, table: str, run_id: str) -> list[dict]:
    """One run's rows of an ops history table (validation_results, quarantine, rejected_files, ...)."""
    return [row for path in home.ops_files(table, run_id)
            for row in pq.read_table(path).to_pylist()]
