"""`appsim run`: run one scenario and write its report folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import argtypes
from sim.errors import EXIT_OK
from sim.report.folders import add_force_argument, check_writable


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument(
        "--seed", type=argtypes.non_negative_int, default=0, help="random seed (default: 0)"
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

    add_force_argument(p)


def execute(args: argparse.Namespace) -> int:
    from sim.cli.progress import day_progress
    from sim.report.run_report import write_run_report
    from sim.results.run import run
    from sim.scenario.load import load_scenario

    scenario = load_scenario(args.scenario)
    out = args.out or Path("reports") / scenario.name
    check_writable(out, replace_own=args.force)
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
