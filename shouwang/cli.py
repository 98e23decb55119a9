"""The one command line: ``python -m shouwang COMMAND``.

``demo`` (what ``make demo`` runs) and ``serve`` run the product; ``simulate``
runs the guard simulator against a server; ``set-pin`` sets a guard's PIN;
``generate-data`` writes the pilot data set; ``migrate`` brings the SQL
schema to the newest revision. Settings come from the environment (see the
README); a bad setting or data set is reported, every problem at once, with
exit code 2.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from data import generate as data_generate
from shouwang import records
from shouwang.auth.guards import set_pin_command
from shouwang.dataset import DatasetError, load_dataset
from shouwang.runtime.server import serve
from shouwang.settings import Settings, SettingsError, load_settings
from shouwang.sim.simulator import Simulator, run_until_stopped

Command = Callable[[argparse.Namespace, Settings], int]


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    # Demo conveniences only here: demo PINs unless DEMO_PINS says otherwise.
    if "DEMO_PINS" not in os.environ:
        settings = settings.replace(DEMO_PINS=True)
    return serve(settings, simulate=settings.SIMULATE)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    return serve(settings, simulate=False)


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        dataset = load_dataset(args.data or settings.DATA_DIR)
    except DatasetError as exc:
        print(exc, file=sys.stderr)
        return 2
    sim = Simulator(
        args.url or f"http://127.0.0.1:{settings.PORT}",
        dataset,
        speedup=settings.SIMULATOR_SPEEDUP if args.speedup is None else args.speedup,
        tz=args.tz or settings.TIMEZONE,
        seed=args.seed,
        report_every_s=args.report_every_s,
    )
    run_until_stopped(sim, args.duration_s)
    return 0


def _read_pin(from_stdin: bool) -> Callable[[], str | None]:
    def read() -> str | None:
        if from_stdin:
            return sys.stdin.readline().strip()
        pin = getpass.getpass("new PIN: ")
        return pin if getpass.getpass("again: ") == pin else None

    return read


def _set_pin(args: argparse.Namespace, settings: Settings) -> int:
    engine = records.make_engine(settings.database_url)
    try:
        records.migrate(engine)
        return set_pin_command(engine, args.guard_id, _read_pin(args.stdin))
    finally:
        engine.dispose()


def _generate_data(args: argparse.Namespace, settings: Settings) -> int:
    counts = data_generate.generate(args.out, args.seed)
    for name, n in counts.items():
        print(f"{args.out / name}: {n}")
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    engine = records.make_engine(settings.database_url)
    try:
        revision = records.migrate(engine)
    finally:
        engine.dispose()
    print(f"SQL schema at revision {revision} ({engine.dialect.name})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each sub-parser's ``run`` is its function."""
    parser = argparse.ArgumentParser(
        prog="python -m shouwang",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Command, text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        p.set_defaults(run=run)
        return p

    command("demo", _demo, "serve with the pilot data, the guard simulator and demo PINs")
    command("serve", _serve, "serve the product (no simulator, no demo conveniences)")
    sim = command("simulate", _simulate, "simulated guards reporting to a server over HTTP")
    sim.add_argument("--url", help="root URL of the server (default: this host's PORT)")
    sim.add_argument("--data", help="data set folder (default: DATA_DIR)")
    sim.add_argument("--speedup", type=float, help="behaviour clock rate (SIMULATOR_SPEEDUP)")
    sim.add_argument("--duration-s", type=float, help="stop after this many seconds")
    sim.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    sim.add_argument(
        "--report-every-s", type=float, default=5.0, help="report interval, s (default: 5)"
    )
    sim.add_argument("--tz", help="time zone of the shifts (default: TIMEZONE)")
    pin = command("set-pin", _set_pin, "set a guard's PIN (4-8 digits); ends his sessions")
    pin.add_argument("guard_id")
    pin.add_argument("--stdin", action="store_true", help="read the PIN from standard input")
    gen = command("generate-data", _generate_data, "write the seeded pilot data set")
    gen.add_argument("--out", type=Path, default=data_generate.DEFAULT_OUT, help="output folder")
    gen.add_argument("--seed", type=int, default=data_generate.DEFAULT_SEED, help="random seed")
    command("migrate", _migrate, "bring the SQL schema (DATABASE_URL) to the newest revision")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, load the settings once, run the command; the exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    run: Command = args.run
    return run(args, settings)
