"""`appsim validate`: check scenario files without running them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import EXIT_OK, EXIT_USAGE, ScenarioError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")


def execute(args: argparse.Namespace) -> int:
    from sim.scenario.load import load_scenario

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
