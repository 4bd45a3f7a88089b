"""Every path of a practice home, in one place. No other module joins path strings under the home.

```
<home>/clinicops.toml                       the practice's configuration
<home>/profiles/*.toml                      CSV mapping profiles (export formats)
<home>/inbox/<source>/                      files dropped by staff or jobs (bookings, sessions, reviews)
<home>/landing/<source>/<sha256>.<ext>      raw copies, exactly as they came (owner-only)
<home>/landing/manifest.jsonl               one line per landed file version: name, sha256, size, run, order
<home>/lake/<table>/month=YYYY-MM/<run>-<source>-<chunk>.parquet   accepted rows, per table and local month of the data
<home>/ops/<table>/<run_id>[-<part>].parquet          run history: runs, run_sources, validation_results,
                                                      quarantine, rejected_files
<home>/vault/patient_keys.bin               source patient id -> random patient_key (owner-only, encrypted
                                            with AES-GCM when CLINICOPS_VAULT_KEY is set)
<home>/reports/validation/<run_id>.html     the validation report (Data Docs) of each run; latest.html
<home>/warehouse/clinicops.duckdb           the published warehouse
<home>/warehouse/.build/                    where the next warehouse is built before it is swapped in, with
                                            the building run's record as it will read once published
<home>/work/<run_id>/                       a run's scratch space (read batches awaiting validation)
<home>/run.lock                             held by the run in progress
<home>/prefect/                             Prefect's own state for this practice (PREFECT_HOME): run history,
                                            the database of the local server `clinicops serve` starts
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SOURCES = ("bookings", "sessions", "reviews")
LAKE_TABLES = ("bookings", "sessions", "reviews", "review_snapshots", "intake")
OPS_TABLES = ("runs", "run_sources", "validation_results", "quarantine", "rejected_files", "referral_phrases")
DEFAULT_HOME = Path("~/clinicops").expanduser()


def resolve_home(arg: str | os.PathLike | None) -> Path:
    """--home, else $CLINICOPS_HOME, else ~/clinicops."""
    if arg:
        return Path(arg).expanduser().resolve()
    env = os.environ.get("CLINICOPS_HOME")
    return Path(env).expanduser().resolve() if env else DEFAULT_HOME


@dataclass(frozen=True)
class Home:
    root: Path

    # configuration
    @property
    def config_file(self) -> Path:
        return self.root / "clinicops.toml"

    @property
    def profiles(self) -> Path:
        return self.root / "profiles"

    # inbox and landing
    @property
    def inbox_root(self) -> Path:
        return self.root / "inbox"

    def inbox(self, source: str) -> Path:
        return self.inbox_root / source

    def inbox_file(self, source: str, name: str) -> Path:
        """A file of inbox/<source>/ (where the live review pull saves the sites' answers)."""
        return self.inbox(source) / name

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    def landed(self, source: str, sha256: str, suffix: str) -> Path:
        return self.landing / source / f"{sha256}{suffix}"

    @property
    def manifest(self) -> Path:
        return self.landing / "manifest.jsonl"

    # lake
    @property
    def lake(self) -> Path:
        return self.root / "lake"

    def lake_table(self, table: str) -> Path:
        return self.lake / table

    def lake_file(self, table: str, month: str, name: str) -> Path:
        return self.lake / table / f"month={month}" / f"{name}.parquet"

    def lake_glob(self, table: str) -> str:
        return str(self.lake / table / "*" / "*.parquet")

    def lake_files(self, table: str) -> list[Path]:
        """Every file of a lake table, sorted by path."""
        return sorted(self.lake_table(table).glob("*/*.parquet"))

    def file_at(self, relative: str) -> Path:
        """A file named by its path under the home (as `ops.source_files` records it)."""
        return self.root / relative

    # ops history
    @property
    def ops(self) -> Path:
        return self.root / "ops"

    def ops_file(self, table: str, run_id: str, part: str = "") -> Path:
        return self.ops / table / (f"{run_id}-{part}.parquet" if part else f"{run_id}.parquet")

    def ops_glob(self, table: str) -> str:
        return str(self.ops / table / "*.parquet")

    def history_files(self, table: str) -> list[Path]:
        """Every file of a run-history table, sorted by path."""
        return sorted((self.ops / table).glob("*.parquet"))

    def ops_files(self, table: str, run_id: str) -> list[Path]:
        """One run's history files of a table, in name order."""
        return sorted((self.ops / table).glob(f"{run_id}*.parquet"))

    # privacy
    @property
    def vault(self) -> Path:
        return self.root / "vault" / "patient_keys.bin"

    # reports
    @property
    def reports(self) -> Path:
        return self.root / "reports" / "validation"

    def report(self, run_id: str) -> Path:
        return self.reports / f"{run_id}.html"

    @property
    def latest_report(self) -> Path:
        return self.reports / "latest.html"

    # warehouse
    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "clinicops.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.root / "warehouse" / ".build"

    def next_warehouse(self, run_id: str) -> Path:
        return self.build_dir / f"next-{run_id}.duckdb"

    def pending_run(self, run_id: str) -> Path:
        """The run's record as it will be once published: read by its own build only, a leftover if killed."""
        return self.build_dir / f"runs-{run_id}.parquet"

    # runs
    @property
    def work_root(self) -> Path:
        return self.root / "work"

    def work(self, run_id: str) -> Path:
        return self.work_root / run_id

    def work_batch(self, run_id: str, source: str, sha256: str, number: int, table: str) -> Path:
        return self.work(run_id) / source / f"{sha256}-{number:04d}-{table}.parquet"

    @property
    def lock(self) -> Path:
        return self.root / "run.lock"

    @property
    def prefect_home(self) -> Path:
        return self.root / "prefect"

    @property
    def prefect_server_log(self) -> Path:
        """What the local Prefect server `clinicops serve` starts writes."""
        return self.prefect_home / "server.log"

    def make_dirs(self) -> None:
        """Create the folders of a home, owner-only (0700; umask 077 while creating, so never briefly open)."""
        previous = os.umask(0o077)
        try:
            for source in SOURCES:
                self.inbox(source).mkdir(mode=0o700, parents=True, exist_ok=True)
            for folder in (self.profiles, self.warehouse.parent, self.landing, self.vault.parent, self.work_root):
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        finally:
            os.umask(previous)
