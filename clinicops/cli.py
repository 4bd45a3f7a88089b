"""The `clinicops` command: parse, call one function, print, return an exit code.

Exit codes of `run` (operations.md): 0 published and clean (row quarantines allowed); 3 published, but a
file was rejected or a source failed; 1 nothing published (yesterday's warehouse stays); 2 bad usage or
configuration.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, datetime
from importlib import resources
from pathlib import Path

from clinicops.config import ConfigError, load_config
from clinicops.errors import MachineError
from clinicops.home import Home, resolve_home
from clinicops.settings import configure_offline
from clinicops.vault import VaultError

DEMO_HOME = Path("demo-home")


def _home(args: argparse.Namespace) -> Home:
    return Home(resolve_home(args.home))


def _parse_as_of(text: str | None, home: Home) -> datetime | None:
    if not text:
        return None
    from clinicops.sources.common import parse_instant

    zone = load_config(home.config_file).practice.zone
    instant, _ = parse_instant(text, zone)
    if instant is None:
        raise ConfigError(f"--as-of: {text!r} is not an ISO 8601 date or time")
    return instant


def cmd_init(args: argparse.Namespace) -> int:
    home = _home(args)
    home.make_dirs()
    if home.config_file.exists() and not args.force:
        print(f"{home.config_file} already exists (use --force to overwrite)")
    else:
        template = resources.files("clinicops").joinpath("templates/clinicops.toml").read_text(encoding="utf-8")
        home.config_file.write_text(template, encoding="utf-8")
        print(f"wrote {home.config_file}")
    load_config(home.config_file)
    print(f"inbox folders: {home.inbox_root}/{{bookings,sessions,reviews}}")
    return 0


GENERATED_MARK = "written by `clinicops demo` / `clinicops generate`"


def _refuse_a_real_practice(home: Home, force: bool) -> None:
    """The generator writes its own clinicops.toml and inbox files: never over a real practice's home."""
    if home.config_file.exists() and not force:
        first_line = home.config_file.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
        if GENERATED_MARK not in first_line:
            raise ConfigError(f"{home.config_file} is a practice's own configuration: the demo generator will not "
                              "write over it (choose another --home, or pass --force)")


def cmd_generate(args: argparse.Namespace) -> int:
    from clinicops.generate import PracticeSize, generate_practice

    home = _home(args)
    _refuse_a_real_practice(home, args.force)
    size = PracticeSize(locations=args.locations, months=args.months, patients_per_month=args.patients_per_month)
    try:
        end = date.fromisoformat(args.end_date) if args.end_date else None
    except ValueError:
        raise ConfigError(f"--end-date: {args.end_date!r} is not a date (YYYY-MM-DD)") from None
    summary = generate_practice(home.root, seed=args.seed, end_date=end, size=size)
    files = sum(len(v) for v in summary.files.values())
    print(f"wrote {files} files into {home.inbox_root}: {summary.rows['bookings']} booking rows "
          f"({summary.bookings} appointments), "
          f"{summary.sessions} session rows, {summary.reviews} reviews")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    home = _home(args)
    return _run(home, _parse_as_of(args.as_of, home))


def _run(home: Home, as_of: datetime | None) -> int:
    from clinicops.flows.nightly import run_nightly
    from clinicops.report_cli import print_run_summary
    from clinicops.runlock import RunLocked

    print(f"clinicops run on {home.root}", flush=True)
    try:
        summary = run_nightly(home, as_of)
    except RunLocked as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print_run_summary(summary)
    return summary.exit_code


def cmd_demo(args: argparse.Namespace) -> int:
    from clinicops.generate import generate_practice
    from clinicops.report_cli import print_demo_figures

    home = Home(Path(args.home).expanduser().resolve() if args.home else DEMO_HOME.resolve())
    _refuse_a_real_practice(home, args.force)
    print(f"generating the demo practice into {home.root} (seed {args.seed}) ...", flush=True)
    generated = generate_practice(home.root, seed=args.seed)
    code = _run(home, generated.as_of)
    if code in (0, 3) and home.warehouse.exists():
        print_demo_figures(home, generated.as_of)
        if code == 3:
            print("(the demo includes deliberately unreadable input, so the run reports it with exit 3;"
                  " the demo itself succeeded)")
        return 0
    return code


def cmd_status(args: argparse.Namespace) -> int:
    from clinicops.report_cli import print_status

    return print_status(_home(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clinicops", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def with_home(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--home", help="the practice home (default: $CLINICOPS_HOME, else ~/clinicops)")
        return p

    p = with_home(sub.add_parser("init", help="write a commented clinicops.toml and the inbox folders"))
    p.add_argument("--force", action="store_true", help="overwrite an existing clinicops.toml")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="generate the demo practice and run the nightly flow on it")
    p.add_argument("--home", help=f"where the demo practice lives (default: ./{DEMO_HOME})")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--force", action="store_true", help="write the demo even over another practice's config")
    p.set_defaults(func=cmd_demo)

    p = with_home(sub.add_parser("run", help="one nightly run: ingest -> validate -> build -> publish"))
    p.add_argument("--as-of", help="the run's reference time (ISO 8601; naive = practice-local); default now")
    p.set_defaults(func=cmd_run)

    p = with_home(sub.add_parser("status", help="last runs, freshness per source, quarantine counts"))
    p.set_defaults(func=cmd_status)

    p = with_home(sub.add_parser("generate", help="write synthetic practice data of a chosen size"))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--locations", type=int, default=2)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--patients-per-month", type=int, default=60)
    p.add_argument("--end-date", help="last day of history (YYYY-MM-DD); default today")
    p.add_argument("--force", action="store_true", help="write even over another practice's config")
    p.set_defaults(func=cmd_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_offline()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("clinicops").setLevel(logging.INFO)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2
    except VaultError as e:
        print(f"vault error: {e}", file=sys.stderr)
        return 2
    except MachineError as e:  # the machine's fault (full disk, read-only or missing folder): one line
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
