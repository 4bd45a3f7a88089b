"""The `clinicops` command: parse, call one function, print, return an exit code.

`clinicops --help` opens with TAGLINE (what clinicops is, for the people who run it).

Exit codes of `run` (operations.md): 0 published and clean (row quarantines allowed); 3 published, but a
file was rejected or a source failed; 1 nothing published (yesterday's warehouse stays); 2 bad usage or
configuration.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import date, datetime
from importlib import resources
from pathlib import Path

from clinicops import __version__
from clinicops.config import ConfigError, load_config
from clinicops.errors import MachineError
from clinicops.home import Home, resolve_home
from clinicops.settings import configure_offline, use_practice_prefect_home
from clinicops.vault import VaultError

DEMO_HOME = Path("demo-home")
TAGLINE = ("clinicops: the nightly operations data of a psychiatry and ketamine-infusion practice - bookings, "
           "infusion sessions and reviews, checked and published as one DuckDB warehouse.")
DESCRIPTION = """Every night clinicops takes the files in the practice's inbox, keeps each one as it came, sets
aside rows that fail a check, and publishes the warehouse that the dashboard and analysts read.
Start with `clinicops demo`, or `clinicops init --home DIR` for a practice of your own."""


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


def _local_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


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
    end = _local_date(args.end_date, "--end-date") if args.end_date else None
    summary = generate_practice(home.root, seed=args.seed, end_date=end, size=size)
    files = sum(len(v) for v in summary.files.values())
    print(f"wrote {files} files into {home.inbox_root}: {summary.rows['bookings']} booking rows "
          f"({summary.bookings} appointments), "
          f"{summary.sessions} session rows, {summary.reviews} reviews")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    home = _home(args)
    return _run(home, _parse_as_of(args.as_of, home), full_rebuild=args.full_rebuild)


def cmd_backfill(args: argparse.Namespace) -> int:
    home = _home(args)
    first, last = _local_date(args.first, "--from"), _local_date(args.last, "--to")
    if last < first:
        raise ConfigError(f"--to {last} is before --from {first}")
    if not home.warehouse.is_file():
        print(f"no warehouse in {home.root} yet: run a night first (clinicops run)", file=sys.stderr)
        return 1
    return _run(home, _parse_as_of(args.as_of, home), backfill=(first, last), full_rebuild=args.full_rebuild)


def _run(home: Home, as_of: datetime | None, *, backfill: tuple[date, date] | None = None,
         full_rebuild: bool = False) -> int:
    from clinicops.flows.nightly import run_nightly
    from clinicops.progress import live_progress
    from clinicops.report_cli import print_run_summary
    from clinicops.runlock import RunLocked

    print(f"clinicops run on {home.root}", flush=True)
    try:
        with live_progress():
            summary = run_nightly(home, as_of, backfill=backfill, full_rebuild=full_rebuild)
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


def cmd_dashboard(args: argparse.Namespace) -> int:
    from clinicops.dashboard import launch

    return launch.run(_home(args), args.port)


def cmd_bench(args: argparse.Namespace) -> int:
    from clinicops.bench.run import run_bench

    out = Path(args.out).expanduser().resolve()
    # SIGTERM as an exit, so the run being measured (and its Prefect server) is stopped on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        json_path, md_path = run_bench(out, quick=args.quick, sizes=args.sizes)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {json_path} and {md_path}")
    return 0


def cmd_profile_check(args: argparse.Namespace) -> int:
    from clinicops.profile_cli import check_profile

    file = Path(args.file)
    if not file.is_file():
        print(f"error: {args.file}: not a file", file=sys.stderr)
        return 2
    return check_profile(file, _home(args), limit=args.rows)


def cmd_serve(args: argparse.Namespace) -> int:
    from clinicops.serve import serve

    return serve(_home(args))


class _Parser(argparse.ArgumentParser):
    def format_help(self) -> str:
        text = super().format_help()
        return f"{TAGLINE}\n\n{text}" if self.prog == "clinicops" else text


def _sub(sub, name: str, help_text: str, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".",
                          parents=[common])


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="clinicops", description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"clinicops {__version__}",
                        help="print the version of clinicops and exit")
    parser.add_argument("--debug", action="store_true", help="show full error details (Python tracebacks)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show full error details (Python tracebacks)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_home(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--home", help="the practice's folder (default: $CLINICOPS_HOME, else ~/clinicops)")
        return p

    p = with_home(_sub(sub, "init", "start a practice: write a commented clinicops.toml and the inbox folders",
                       common))
    p.add_argument("--force", action="store_true", help="overwrite an existing clinicops.toml")
    p.set_defaults(func=cmd_init)

    p = _sub(sub, "demo", "make up a realistic demo practice and run a night on it", common)
    p.add_argument("--home", help=f"where the demo practice lives (default: ./{DEMO_HOME})")
    p.add_argument("--seed", type=int, default=7, help="the same seed makes the same practice (default 7)")
    p.add_argument("--force", action="store_true", help="write the demo even over another practice's config")
    p.set_defaults(func=cmd_demo)

    p = with_home(_sub(sub, "run", "run tonight's work now: take the inbox, check it, publish the warehouse",
                       common))
    p.add_argument("--as-of", help="the run's reference time (ISO 8601; naive = practice-local); default now")
    p.add_argument("--full-rebuild", action="store_true",
                   help="build the warehouse whole from the lake instead of refreshing what the new files touch")
    p.set_defaults(func=cmd_run)

    p = with_home(_sub(sub, "backfill", "re-derive a date range of the warehouse from what is already landed "
                                       "(nothing new is read from the inbox), and publish it", common))
    p.add_argument("--from", dest="first", required=True, metavar="DATE", help="first local date (YYYY-MM-DD)")
    p.add_argument("--to", dest="last", required=True, metavar="DATE", help="last local date (YYYY-MM-DD)")
    p.add_argument("--as-of", help="the reference time (ISO 8601; naive = practice-local); default now")
    p.add_argument("--full-rebuild", action="store_true", help="build the whole warehouse from the lake")
    p.set_defaults(func=cmd_backfill)

    p = with_home(_sub(sub, "serve", "run the night by itself every night, on the schedule in clinicops.toml "
                                    "(a Prefect deployment; its UI on 127.0.0.1 shows past and next runs)", common))
    p.set_defaults(func=cmd_serve)

    p = with_home(_sub(sub, "status", "show the last runs, how fresh each source is, and the rows set aside",
                       common))
    p.set_defaults(func=cmd_status)

    p = _sub(sub, "profile", "check how an export from another system is read (CSV mapping profiles)", common)
    profile_sub = p.add_subparsers(dest="profile_command", required=True)
    p = with_home(profile_sub.add_parser(
        "check", help="which profile a bookings export matches, and its first rows as clinicops reads them "
        "(patient details removed)"))
    p.add_argument("file", help="the export to check (nothing is ingested)")
    p.add_argument("--rows", type=int, default=10, help="how many rows to show (default 10)")
    p.set_defaults(func=cmd_profile_check)

    p = with_home(_sub(sub, "generate", "write made-up practice data of a chosen size (for demos and "
                                       "benchmarks)", common))
    p.add_argument("--seed", type=int, default=7, help="the same seed makes the same practice (default 7)")
    p.add_argument("--locations", type=int, default=2, help="how many clinic locations (default 2)")
    p.add_argument("--months", type=int, default=12, help="how many months of history (default 12)")
    p.add_argument("--patients-per-month", type=int, default=60, help="new patients a month (default 60)")
    p.add_argument("--end-date", help="last day of history (YYYY-MM-DD); default today")
    p.add_argument("--force", action="store_true", help="write even over another practice's config")
    p.set_defaults(func=cmd_generate)

    p = with_home(_sub(sub, "dashboard", "start the operations dashboard on 127.0.0.1 (a web page for staff)", common))
    p.add_argument("--port", type=int, default=8501, help="the port to serve on (default: 8501)")
    p.set_defaults(func=cmd_dashboard)
    p = _sub(sub, "bench", "measure full rebuilds, nightly increments and memory against the raw DuckDB floor "
                           "(writes bench.json and bench.md)", common)
    p.add_argument("--quick", action="store_true", help="a small run (for tests and CI), not the real sizes")
    p.add_argument("--out", default="bench-results", help="where bench.json, bench.md and the generated practices "
                                                          "go (default: ./bench-results)")
    p.add_argument("--sizes", nargs="+", metavar="LOCxMONTHSxPATIENTS",
                   help="practice sizes to measure, e.g. 2x12x60 20x60x60 (default: four sizes up to ~1 M "
                        "booking rows; --quick: two tiny ones)")
    p.set_defaults(func=cmd_bench)
    return parser


def _prefect_home_for(args: argparse.Namespace) -> Path | None:
    if not hasattr(args, "home"):  # a command of no practice (bench: each measured run has its own home)
        return None
    if args.command == "demo":
        return Home(Path(args.home).expanduser().resolve() if args.home else DEMO_HOME.resolve()).prefect_home
    return _home(args).prefect_home


def main(argv: list[str] | None = None) -> int:
    configure_offline()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("clinicops").setLevel(logging.INFO)
    args = build_parser().parse_args(argv)
    try:
        prefect_home = _prefect_home_for(args)
        if prefect_home is not None:
            use_practice_prefect_home(prefect_home)  # before anything imports Prefect
        return args.func(args)
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2
    except VaultError as e:
        print(f"vault error: {e}", file=sys.stderr)
        return 2
    except MachineError as e:  # the machine's fault (full disk, read-only or missing folder): one line
        if args.debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # the machine: a read-only or missing folder, a full disk, permission denied
        if args.debug:
            raise
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - one line, never a traceback, unless --debug
        if args.debug:
            raise
        print(f"error: {type(e).__name__}: {(str(e).splitlines() or [''])[0]} (--debug shows the details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
