"""What a run shows while it works: on a terminal a live `rich` display of every source and step, otherwise
(cron, a pipe, a log file) plain log lines.

The flow reports its steps as log records of the `clinicops` logger carrying a `progress` attribute
(`started` at DEBUG, `done` at INFO, so plain output shows one line per finished step); the terminal
display turns those into rows with a spinner, then a tick and the step's figures.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger("clinicops")


@dataclass(frozen=True)
class Step:
    step: str
    source: str | None
    status: str  # "started" or "done"

    @property
    def label(self) -> str:
        return f"{self.step} {self.source}" if self.source else self.step


def started(step: str, source: str | None = None, message: str | None = None) -> None:
    """A step begins: a spinner row on a terminal; a plain line only when it says something (`message`)."""
    mark = Step(step, source, "started")
    if message:
        log.info(message, extra={"progress": mark})
    else:
        log.debug("%s: started", mark.label, extra={"progress": mark})


def done(step: str, source: str | None, message: str, *args: object) -> None:
    """The step's closing line, e.g. done("ingest", "bookings", "ingest bookings: %d new file(s)", 2)."""
    log.info(message, *args, extra={"progress": Step(step, source, "done")})


class LiveProgressHandler(logging.Handler):
    """Draws progress records as rows of a rich Progress; prints every other record at INFO or above."""

    def __init__(self, progress) -> None:
        super().__init__(logging.DEBUG)
        self.progress = progress
        self.rows: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            step: Step | None = getattr(record, "progress", None)
            if step is None:
                if record.levelno >= logging.INFO:
                    self.progress.console.print(record.getMessage(), markup=False, highlight=False)
                return
            row = self.rows.get(step.label)
            if row is None:
                from rich.markup import escape

                row = self.rows[step.label] = self.progress.add_task(escape(step.label), total=1)
            if step.status == "done":
                from rich.markup import escape

                detail = escape(record.getMessage().removeprefix(f"{step.label}:").strip())
                self.progress.update(row, completed=1, description=f"{escape(step.label)}  [dim]{detail}[/dim]")
        except Exception:  # noqa: BLE001 - a display problem never stops a run
            self.handleError(record)


@contextmanager
def live_progress(enabled: bool | None = None, console=None) -> Iterator[None]:
    """A live display on a terminal (stderr is a TTY), plain log lines otherwise."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(finished_text="[green]✓[/green]"), TextColumn("{task.description}"),
                        TimeElapsedColumn(), console=console or Console(stderr=True), transient=False)
    handler = LiveProgressHandler(progress)
    level, propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        with progress:
            yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate
