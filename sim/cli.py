"""The `appsim` command line: run, validate (and the commands built on `run`).

Every user mistake ends as a located message on stderr and exit code 2; Ctrl-C ends with
exit code 130 and leaves no half-written report. Tracebacks are for appsim's own bugs only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__, argtypes
from . import commands as fit
from .errors import ScenarioError, UsageError
from .outputs import check_writable

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `appsim` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appsim",
        description="Simulate a bank's mobile app suite and compare app strategies.",
    )
    parser.add_argument("--version", action="version", version=f"appsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (add_arguments, handler, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(command)
        command.set_defaults(handler=handler)
    return parser


# -- run ---------------------------------------------------------------------------------
def _run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument(
        "--seed", type=argtypes.non_negative_int, default=0, help="random seed (default 0)"
    )
    p.add_argument(
        "--scale",
        type=argtypes.scale,
        default=None,
        help="customers per simulated agent (default: the scenario's)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: reports/<scenario name>)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--engine",
        choices=("fast", "reference"),
        default="fast",
        help="fast (default) or reference: one simpy process per customer, for "
        "cross-checks on small worlds",
    )


def _run(args: argparse.Namespace) -> int:
    from .progress import day_progress
    from .report import write_run_report
    from .result import run
    from .scenario import load_scenario

    scenario = load_scenario(args.scenario)
    out = args.out or Path("reports") / scenario.name
    check_writable(out)
    with day_progress(scenario, enabled=not args.quiet) as progress:
        result = run(
            scenario, seed=args.seed, scale=args.scale, progress=progress, engine=args.engine
        )
    folder = write_run_report(result, out)
    print(
        f"{scenario.name}: {result.info['agents']:,} agents at scale 1:{result.scale:g}, seed "
        f"{result.seed}, {result.wall_seconds:.1f} s -> {folder}"
    )
    return EXIT_OK


# -- validate ------------------------------------------------------------------------------
def _validate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")


def _validate(args: argparse.Namespace) -> int:
    from .scenario import load_scenario

    worst = EXIT_OK
    for path in args.scenarios:
        try:
            sc = load_scenario(path)
        except ScenarioError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            worst = EXIT_USAGE
            continue
        print(f"ok: {path}: {sc.name} ({len(sc.apps)} apps, {len(sc.timeline)} timeline events)")
    return worst


Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Handler, str]] = {
    "run": (_run_arguments, _run, "run a scenario and write its report"),
    "validate": (_validate_arguments, _validate, "check scenario files without running them"),
    "check": (
        fit.add_check_arguments,
        fit.check,
        "run a scenario over seeds and compare it with calibration targets",
    ),
    "calibrate": (
        fit.add_calibrate_arguments,
        fit.calibrate,
        "search free parameters so that a scenario meets its targets",
    ),
    "compare": (
        fit.add_compare_arguments,
        fit.compare,
        "compare scenarios over the same seeds (common random numbers)",
    ),
    "sweep": (
        fit.add_sweep_arguments,
        fit.sweep,
        "run a parameter sweep (grid, LHS, Sobol, Morris) with sensitivity indices",
    ),
}


if __name__ == "__main__":
    raise SystemExit(main())
