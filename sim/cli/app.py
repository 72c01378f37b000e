"""The `appsim` command line: one subcommand per module of `sim.cli`.

Every user mistake ends as a located message on stderr and exit code 2; Ctrl-C ends with
exit code 130 (SIGTERM with 143) and leaves no half-written report. Tracebacks are for
appsim's own bugs only.
"""

from __future__ import annotations

# only the standard library and the signal handlers before `main` has installed them: a
# Ctrl-C while the commands load must already end as exit 130, not as a traceback
import argparse
import sys
from collections.abc import Sequence
from typing import Any

from sim.cli import signals


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `appsim` console script."""
    signals.install()  # first of all: from here on Ctrl-C and SIGTERM exit cleanly
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:
        signals.ignore()  # cleaned up already: a second Ctrl-C must not cut the exit short
        what, code = signals.describe(exc)
        print(f"{what}; nothing was written", file=sys.stderr)
        return code
    finally:
        from sim.report import locks

        locks.release_all()


def _main(argv: Sequence[str] | None) -> int:
    from sim.errors import EXIT_FAIL, EXIT_USAGE, ScenarioError, UsageError

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
    except MemoryError:  # the guard's estimate was short, or memory was taken meanwhile
        print(
            "error: out of memory during the run (nothing was written); run it at a coarser "
            "--scale, with fewer --workers, or with more memory",
            file=sys.stderr,
        )
        return EXIT_FAIL


def build_parser() -> argparse.ArgumentParser:
    from sim import __version__

    parser = argparse.ArgumentParser(
        prog="appsim",
        description="Simulate a bank's mobile app suite and compare app strategies.",
    )
    parser.add_argument("--version", action="version", version=f"appsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in commands().items():
        command = sub.add_parser(
            name, help=help_text, description=help_text, formatter_class=DefaultsFormatter
        )
        module.add_arguments(command)
        command.set_defaults(handler=module.execute)
    return parser


class DefaultsFormatter(argparse.HelpFormatter):
    """--help shows each option's default, unless its help already says it, or it has none
    (None, or False for a flag)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or "default" in text
            or default is None
            or default is False
            or default is argparse.SUPPRESS
        ):
            return action.help
        return f"{text} (default: %(default)s)"


def commands() -> dict[str, tuple[Any, str]]:
    """Each subcommand's module and help line (imported here, after the handlers)."""
    from sim.cli import calibrate, check, compare, run, sweep, validate

    return {
        "run": (run, "run a scenario and write its report"),
        "validate": (validate, "check scenario files without running them"),
        "check": (check, "run a scenario over seeds and compare it with calibration targets"),
        "calibrate": (calibrate, "search free parameters so that a scenario meets its targets"),
        "compare": (compare, "compare scenarios over the same seeds (common random numbers)"),
        "sweep": (
            sweep,
            "run a parameter sweep (grid, LHS, Sobol, Morris) with sensitivity indices",
        ),
    }


if __name__ == "__main__":
    raise SystemExit(main())
