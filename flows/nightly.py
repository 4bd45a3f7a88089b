"""The nightly flow: ingest -> validate -> build -> publish, one task per step and per source.

Reads as the job's table of contents; every task is a thin wrapper over a plain function of another room
(`clinicops.steps`, `clinicops.expectations`, `clinicops.warehouse`). Sources are ingested independently:
a source that fails does not stop the others. Nothing here parses a file, writes SQL or knows a metric.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State

from clinicops import progress
from clinicops.config import Config, Runner, load_config
from clinicops.errors import MachineError, machine_error
from clinicops.expectations.report import render_report
from clinicops.expectations.runner import Validator
from clinicops.home import SOURCES, Home
from clinicops.lake import ops_table, write_ops, write_parquet
from clinicops.modes import owner_only, readers_gid, secure_home, share_file
from clinicops.notify import send, should_notify, summary_payload
from clinicops.runlock import run_lock
from clinicops.runners import VaultAt, prefect_api_for, shareable, task_vault, with_runner
from clinicops.sources.pull import PullResult, pull_site, sites_to_pull
from clinicops.steps import (
    RUNNING,
    SourceOutcome,
    SourcePlan,
    StagedSource,
    accept_source,
    clean_work,
    clear_leftovers,
    new_run_id,
    plan_run,
    run_history,
    settle_interrupted_run,
    stage_source,
)
from clinicops.vault import KEY_ENV as VAULT_KEY_ENV
from clinicops.vault import Vault
from clinicops.warehouse.build import build_warehouse, publish

log = logging.getLogger("clinicops")
P = ParamSpec("P")
R = TypeVar("R")
ARTIFACT_KEY = "clinicops-nightly-summary"
PUBLISHED_WITH_REJECTIONS = "Published with rejections"
PUBLISHED_WITH_FAILED_SOURCE = "Published with a failed source"


@dataclass
class RunSummary:
    run_id: str
    home: Path
    as_of: datetime
    exit_code: int = 1
    status: str = "failed"
    message: str = ""
    sources: dict[str, SourceOutcome] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    warehouse: Path | None = None
    report: Path | None = None
    notes: list[str] = field(default_factory=list)  # things the run did that the operator should know
    build: str = ""  # how the warehouse was built: whole (and why) or as a refresh of the live one
    backfill: tuple[date, date] | None = None  # a backfill's first and last local date (nothing is ingested)
    error: MachineError | None = None  # the machine's error that stopped the run (str() is its one line)


# ---- tasks: one step each -------------------------------------------------------------------------------

def _returns_machine_errors(step: Callable[P, R]) -> Callable[P, R | MachineError]:
    """A step that meets a machine error returns it, so Prefect does not log a traceback; `_checked` in
    the flow raises it there, once, and the run ends with its one line."""
    @functools.wraps(step)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | MachineError:
        try:
            return step(*args, **kwargs)
        except Exception as e:
            if (machine := machine_error(e)) is None:
                raise
            return machine
    return wrapper


def _checked(value: R | MachineError) -> R:
    if isinstance(value, MachineError):
        raise value
    return value


@task(name="pull-reviews", cache_policy=NO_CACHE)  # no task retries: the pull has its own policy (429 / 5xx)
def pull_reviews(home: Home, config: Config, site: str, started_at: datetime) -> PullResult:
    return pull_site(home, config, site, started_at)


def pull_review_sites(home: Home, config: Config, started_at: datetime) -> list[str]:
    """Pull every review site whose credentials are set, each in its own task; the failures, one line each."""
    futures = {site: pull_reviews.with_options(name=f"pull-{site}").submit(home, config, site, started_at)
               for site in sites_to_pull(config)}
    failures: list[str] = []
    for site, future in futures.items():
        try:
            failures += future.result().failures
        except Exception as e:  # noqa: BLE001 - one site's pull never fails the night
            failures.append(f"{site}: the review pull failed ({type(e).__name__})")
    return failures


@task(name="plan", cache_policy=NO_CACHE)
@_returns_machine_errors
def plan(home: Home) -> dict[str, SourcePlan]:
    progress.started("plan")
    plans = plan_run(home)
    progress.done("plan", None, "plan: %d new file(s) in the inbox", sum(len(p.new) for p in plans.values()))
    return plans


@task(name="ingest", cache_policy=NO_CACHE)
@_returns_machine_errors
def ingest(home: Home, config: Config, vault: Vault | VaultAt, source_plan: SourcePlan, run_id: str) -> StagedSource:
    progress.started("ingest", source_plan.source)
    with task_vault(vault, vault_secret) as opened:  # on Dask: opened in the worker, one source at a time
        staged = stage_source(home, config, opened, source_plan, run_id)
    progress.done("ingest", source_plan.source, "ingest %s: %d new file(s), %d already ingested", source_plan.source,
                  len(source_plan.new), len(source_plan.skipped))
    return staged


@task(name="validate", cache_policy=NO_CACHE)
@_returns_machine_errors
def validate(home: Home, config: Config, staged: StagedSource, run_id: str) -> SourceOutcome:
    progress.started("validate", staged.source)
    outcome = accept_source(home, config, Validator(config), staged, run_id)
    progress.done("validate", staged.source, "validate %s: %d row(s) accepted, %d quarantined, %d file(s) rejected",
                  staged.source, outcome.rows_accepted, outcome.rows_quarantined, len(outcome.rejected))
    return outcome


@task(name="build", cache_policy=NO_CACHE)
@_returns_machine_errors
def build(home: Home, config: Config, run_id: str, as_of: datetime, full: str | None = None,
          backfill: tuple[date, date] | None = None):
    progress.started("build", None, "build: running the warehouse models")
    built = build_warehouse(config, home, run_id=run_id, as_of=as_of, full=full, backfill=backfill)
    progress.done("build", None, "build: %d tables (%s)", len(built.tables), built.refresh)
    return built


@task(name="publish", cache_policy=NO_CACHE)
@_returns_machine_errors
def publish_warehouse(home: Home, built_path: Path, gid: int | None) -> Path:
    progress.started("publish")
    share_file(built_path, gid)  # modes set before the swap: the live file is never briefly too open
    path = publish(home, built_path)
    progress.done("publish", None, "publish: %s", path)
    return path


@task(name="report", cache_policy=NO_CACHE)
@_returns_machine_errors
def report(home: Home, config: Config, run_id: str, gid: int | None) -> Path:
    progress.started("report")
    path = render_report(home.report(run_id), run_id=run_id, practice=config.practice.name,
                         results=run_history(home, "validation_results", run_id),
                         quarantine=run_history(home, "quarantine", run_id),
                         rejected_files=run_history(home, "rejected_files", run_id))
    home.latest_report.write_bytes(path.read_bytes())
    for written in (path, home.latest_report):
        share_file(written, gid)
    progress.done("report", None, "report: %s", path)
    return path


# ---- the flow -----------------------------------------------------------------------------------------

@flow(name="clinicops-nightly", log_prints=False)
def nightly(home_dir: str, run_id: str | None = None, as_of: datetime | None = None,
            started_at: datetime | None = None, backfill: tuple[date, date] | None = None,
            full_rebuild: bool = False) -> RunSummary | State:
    """One night: ingest every source, validate it, build the warehouse beside the live one, publish it.

    With `backfill` (first, last local date) nothing is ingested: the build re-derives those dates from
    what is already landed. `full_rebuild` builds the warehouse whole instead of refreshing the live one.
    Called with only `home_dir` (a scheduled run of `clinicops serve`), it first does what `clinicops run`
    does before a night: refuse a bad configuration, a wrong vault key or a second run, clear leftovers."""
    if run_id is None:
        return scheduled_night(Home(Path(home_dir)), as_of)
    as_of, started_at = as_of or started_at, started_at or as_of
    return night_state(_flow_night(Home(Path(home_dir)), run_id, as_of, started_at, backfill, full_rebuild))


def _flow_night(home: Home, run_id: str, as_of: datetime, started_at: datetime,
                backfill: tuple[date, date] | None = None, full_rebuild: bool = False) -> RunSummary:
    """The night with its machine-error handling: the flow's body, also run directly by a scheduled night."""
    config = load_config(home.config_file)
    gid = readers_gid(config.home.readers_group)
    summary = RunSummary(run_id, home.root, as_of, backfill=backfill)
    try:
        with owner_only():  # also when a deployment runs the flow without `run_nightly`
            _night(home, config, gid, summary, started_at, full_rebuild)
    except Exception as e:  # the machine's fault: nothing (more) is published, one line says why
        if (machine := machine_error(e)) is None:
            raise
        summary.error = machine
        log.error("machine error: %s", machine)
        if summary.warehouse is None:
            summary.exit_code, summary.status = 1, "failed"
            summary.message = f"{machine}; yesterday's warehouse stays"
        else:  # the swap had happened: today's warehouse is live, but the run could not finish its records
            summary.exit_code, summary.status = 3, "published_with_errors"
            summary.message = "; ".join(filter(None, [summary.message, f"after publishing: {machine}"]))
        with contextlib.suppress(OSError, MachineError):
            home.pending_run(run_id).unlink(missing_ok=True)
        clean_work(home, run_id)
        try:
            _record_run(home, summary, started_at)
        except (OSError, MachineError):  # a full disk: the next run records this one from what it finds
            log.error("the run's history could not be written (%s)", home.ops_file("runs", run_id))
    else:
        create_markdown_artifact(key=ARTIFACT_KEY, markdown=summary_markdown(summary),
                                 description="clinicops nightly run summary")
    return summary


def _night(home: Home, config: Config, gid: int | None, summary: RunSummary, started_at: datetime,
           full_rebuild: bool = False) -> None:
    run_id, as_of = summary.run_id, summary.as_of
    _record_run(home, summary, started_at, status=RUNNING)  # what a killed run leaves: the next one settles it
    if summary.backfill is None:
        _ingest_sources(home, config, summary, started_at)
    problems = [r.reason for o in summary.sources.values() for r in o.rejected]
    problems += [o.failure for o in summary.sources.values() if o.failure]
    summary.exit_code = 3 if problems else 0
    summary.status = "published_with_errors" if problems else "published"
    summary.message = "; ".join(problems)
    if summary.backfill is not None:
        summary.notes.append(f"backfill of {summary.backfill[0]} to {summary.backfill[1]} from the landed data "
                             "(nothing ingested)")
    # the run's record as it reads once published: only its own build sees it, only a swap makes it true
    write_parquet(ops_table("runs", [_run_row(summary, started_at)]), home.pending_run(run_id))
    try:
        full = "asked for (--full-rebuild)" if full_rebuild else None
        built = _checked(build(home, config, run_id, as_of, full, summary.backfill))
        summary.build = built.refresh
        summary.warehouse = _checked(publish_warehouse(home, built.path, gid))
        summary.tables = dict(built.tables)
    except Exception as e:
        if (machine := machine_error(e)) is not None:
            raise machine from e
        summary.exit_code, summary.status = 1, "failed"
        summary.message = f"the warehouse was not built ({type(e).__name__}: {_first_line(e)}); yesterday's stays"
    home.pending_run(run_id).unlink(missing_ok=True)
    _record_run(home, summary, started_at)
    if summary.backfill is not None:  # nothing was validated: no validation report
        return
    try:
        summary.report = _checked(report(home, config, run_id, gid))
    except Exception as e:
        if (machine := machine_error(e)) is not None and summary.exit_code != 1:  # published, but no report
            summary.exit_code, summary.status = 3, "published_with_errors"
            summary.message = "; ".join(filter(None, [summary.message, f"the validation report: {machine}"]))
            _record_run(home, summary, started_at)
        else:
            raise


def _ingest_sources(home: Home, config: Config, summary: RunSummary, started_at: datetime) -> None:
    """Pull the review sites, then ingest and validate every source, each in its own tasks."""
    run_id = summary.run_id
    vault = Vault.open(home.vault, vault_secret())
    if vault.encrypt_in_place():
        summary.notes.append(f"the vault was plain: now encrypted with the vault key ({VAULT_KEY_ENV}), same keys")
        log.info("vault: %s", summary.notes[-1])

    pull_failures = pull_review_sites(home, config, started_at)  # saves into inbox/reviews before the plan
    plans = _checked(plan(home))
    if pull_failures:
        plans["reviews"].failure = "; ".join(filter(None, [plans["reviews"].failure, *pull_failures]))
    shared_vault = shareable(vault)  # the open vault for threads, only its path for another process
    staged_futures = {s: ingest.with_options(name=f"ingest-{s}").submit(home, config, shared_vault, plans[s], run_id)
                      for s in SOURCES}
    on_workers = config.runner.kind == "dask"  # validation too runs on the cluster, each source as it lands
    validations: dict[str, object] = {}
    for source, future in staged_futures.items():
        try:
            staged = _checked(future.result())
        except Exception as e:  # the source failed as a whole: the others go on
            if (machine := machine_error(e)) is not None:
                _wait_for(staged_futures)
                _wait_for(validations)
                raise machine from e
            staged = StagedSource(source, failure="; ".join(filter(None, [
                f"{source} could not be ingested ({type(e).__name__})", plans[source].failure])))
        task_of_source = validate.with_options(name=f"validate-{source}")
        if on_workers:
            validations[source] = task_of_source.submit(home, config, staged, run_id)
            continue
        try:  # on threads, in the run's own process: one GX context, one source at a time
            summary.sources[source] = _checked(task_of_source(home, config, staged, run_id))
        except Exception as e:
            if (machine := machine_error(e)) is not None:
                _wait_for(staged_futures)
                raise machine from e
            summary.sources[source] = _not_validated(source, e)
    for source, validation in validations.items():
        try:
            summary.sources[source] = _checked(validation.result())
        except Exception as e:
            if (machine := machine_error(e)) is not None:
                _wait_for(validations)
                raise machine from e
            summary.sources[source] = _not_validated(source, e)
    clean_work(home, run_id)


def _not_validated(source: str, error: Exception) -> SourceOutcome:
    return SourceOutcome(source, failure=f"{source} could not be validated ({type(error).__name__})")


def _wait_for(futures: dict) -> None:
    """Let the other sources' ingest finish (or fail) before the run stops: nothing writes after it ends."""
    for future in futures.values():
        future.wait()


def state_name(summary: RunSummary) -> str:
    """The name of the flow run's final state (operations.md "The nightly flow")."""
    if summary.exit_code == 1:
        return "Failed"
    if any(o.failure for o in summary.sources.values()):
        return PUBLISHED_WITH_FAILED_SOURCE
    if summary.exit_code == 3:
        return PUBLISHED_WITH_REJECTIONS
    return "Completed"


def night_state(summary: RunSummary) -> State:
    """Nothing published: Failed. Published with a rejected file or a failed source: a Completed state named so."""
    if summary.exit_code == 1:
        return Failed(message=summary.message, data=summary)
    name = state_name(summary)
    return Completed(name=name, message=summary.message or None, data=summary)


def scheduled_night(home: Home, as_of: datetime | None) -> State:
    """A night started by the schedule: the front door of `clinicops run`, inside the flow run, then the
    night, its summary on the output, and the notification."""
    from clinicops.config import ConfigError
    from clinicops.report_cli import print_run_summary
    from clinicops.runlock import RunLocked
    from clinicops.vault import VaultError

    try:
        summary = run_nightly(home, as_of, in_flow=True)
    except (ConfigError, VaultError, RunLocked, OSError) as e:
        print(f"clinicops: this night did nothing: {e}", flush=True)
        if isinstance(e, (VaultError, RunLocked)):
            _notify_refusal(home, e)
        return Failed(message=f"{type(e).__name__}: {e}")
    print_run_summary(summary)
    return night_state(summary)


def vault_secret() -> str | None:
    """The vault key: $CLINICOPS_VAULT_KEY, else the Prefect Secret block named by $CLINICOPS_VAULT_KEY_BLOCK."""
    if os.environ.get(VAULT_KEY_ENV):
        return os.environ[VAULT_KEY_ENV]
    block = os.environ.get("CLINICOPS_VAULT_KEY_BLOCK")
    if block:
        from prefect.blocks.system import Secret

        return Secret.load(block).get()
    return None


def _first_line(e: BaseException) -> str:
    return (str(e).splitlines() or [""])[0][:300]


def _run_row(summary: RunSummary, started_at: datetime, status: str | None = None) -> dict:
    running = status == RUNNING
    message = "; ".join(filter(None, [summary.message, *summary.notes]))
    return {
        "run_id": summary.run_id, "started_at": started_at, "finished_at": None if running else datetime.now(UTC),
        "status": status or summary.status, "exit_code": None if running else summary.exit_code,
        "as_of": summary.as_of, "files_rejected": sum(len(o.rejected) for o in summary.sources.values()),
        "message": None if running else message or None,
    }


def _record_run(home: Home, summary: RunSummary, started_at: datetime, status: str | None = None) -> None:
    write_ops(home, "runs", summary.run_id, [_run_row(summary, started_at, status)])


def summary_markdown(summary: RunSummary) -> str:
    lines = [f"# clinicops nightly run {summary.run_id}", "",
             f"**{summary.status}** (exit {summary.exit_code}), as of {summary.as_of.isoformat()}", ""]
    if summary.message:
        lines += [f"> {summary.message}", ""]
    lines += [f"- {note}" for note in summary.notes] + ([""] if summary.notes else [])
    lines += ["| source | files read | skipped | rejected | rows read | accepted | quarantined |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for s, o in summary.sources.items():
        lines.append(f"| {s} | {o.files_read} | {o.files_skipped} | {len(o.rejected)} | {o.rows_read} | "
                     f"{o.rows_accepted} | {o.rows_quarantined} |")
    if summary.tables:
        lines += ["", f"Tables built: {len(summary.tables)} ({summary.build}); warehouse `{summary.warehouse}`"]
    if summary.report:
        lines += ["", f"Validation report: `{summary.report}`"]
    return "\n".join(lines)


def run_nightly(home: Home, as_of: datetime | None = None, *, in_flow: bool = False,
                backfill: tuple[date, date] | None = None, full_rebuild: bool = False) -> RunSummary:
    """The front door of a night's run: refuses a bad configuration or an unknown readers group (ConfigError),
    a wrong or missing vault key (VaultError) and a second concurrent run (RunLocked) before anything is
    touched, then runs the flow with owner-only writes. A machine error before the flow could start (a
    read-only or missing home) is raised as a MachineError; one during the flow ends it failed (exit 1)."""
    config = load_config(home.config_file)
    gid = readers_gid(config.home.readers_group)
    with owner_only():
        try:
            summary = _run_locked(home, gid, as_of, in_flow, config.runner, backfill, full_rebuild)
        except OSError as e:
            raise machine_error(e) or MachineError(e.filename or home.root, e.errno or 0, e.strerror) from e
    if should_notify(summary.exit_code):  # a failed or rejected night: tell someone (no patient data)
        send(config.notify, summary_payload(summary, state_name(summary), config.practice.name))
    return summary


def _run_locked(home: Home, gid: int | None, as_of: datetime | None, in_flow: bool,
                runner: Runner | None = None, backfill: tuple[date, date] | None = None,
                full_rebuild: bool = False) -> RunSummary:
    runner = runner or Runner()
    home.make_dirs()
    Vault.open(home.vault, vault_secret())  # a wrong or missing vault key stops the run before anything is touched
    with run_lock(home) as lock:
        started_at = datetime.now(UTC)
        run_id = new_run_id(started_at)
        secure_home(home, gid)
        leftovers = clear_leftovers(home, lock.previous_run_id)
        settled = settle_interrupted_run(home, lock.previous_run_id, found_by=run_id)
        if leftovers and settled is None:
            log.info("cleared %d leftover(s) of an earlier run", len(leftovers))
        lock.name_run(run_id)
        as_of = as_of or started_at
        try:
            if in_flow and runner.kind == "threads":  # a scheduled run: the night inside the flow run going
                outcome = _flow_night(home, run_id, as_of, started_at, backfill, full_rebuild)
            else:  # on Dask a scheduled night is a child flow run: a flow run's task runner is set as it starts
                with prefect_api_for(runner):
                    outcome = with_runner(nightly, runner)(str(home.root), run_id, as_of, started_at, backfill,
                                                           full_rebuild, return_state=True
                                                           ).result(raise_on_failure=False)
        except Exception as e:  # noqa: BLE001 - Prefect itself could not run the flow
            outcome = e
        secure_home(home, gid)
        if isinstance(outcome, RunSummary):
            if settled:
                outcome.notes[:0] = [f"the previous run {lock.previous_run_id} was {settled}"]
            return outcome
        summary = RunSummary(run_id, home.root, as_of, exit_code=1, status="failed",
                             message=f"the run failed ({type(outcome).__name__}: {_first_line(outcome)}); "
                                     "yesterday's warehouse stays")
        _record_run(home, summary, started_at)
        return summary


def _notify_refusal(home: Home, refusal: Exception) -> None:
    """A scheduled night refused before it began (wrong vault key, another run): nothing published, say so."""
    config = load_config(home.config_file)
    summary = RunSummary("-", home.root, datetime.now(UTC), exit_code=1, status="refused",
                         message=_first_line(refusal))
    send(config.notify, summary_payload(summary, "Failed", config.practice.name))
