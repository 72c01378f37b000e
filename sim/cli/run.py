"""`appsim run`: run one scenario and write its report folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli import argtypes
from sim.errors import EXIT_OK
from sim.report.folders import add_force_argument, check_writable
from sim.report.out_names import output_folder
from sim.results.words import counted

if TYPE_CHECKING:
    import pandas as pd

    from sim.scenario.schema import Scenario


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
        "--worlds",
        type=Path,
        default=None,
        help="posterior.parquet of `appsim calibrate --posterior`: also run the scenario in "
        "worlds drawn from it and write bands.csv (5/50/95%% across worlds)",
    )
    p.add_argument(
        "--n",
        type=argtypes.positive_int,
        default=50,
        help="worlds to draw with --worlds (default 50)",
    )
    p.add_argument(
        "--workers",
        type=argtypes.positive_int,
        default=1,
        help="worker processes for the worlds (default 1)",
    )
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
    out = output_folder(args.out, Path("reports") / scenario.name)
    check_writable(out, replace_own=args.force)
    drawn = world_scenarios(args) if args.worlds else None  # a bad posterior: before the run
    with day_progress(scenario, enabled=not args.quiet) as progress:
        result = run(
            scenario, seed=args.seed, scale=args.scale, progress=progress, engine=args.engine
        )
    worlds = across_worlds(args, drawn, result.scale) if drawn else None
    folder = write_run_report(result, out, worlds)
    print(
        f"{scenario.name}: {result.info['agents']:,} agents at scale 1:{result.scale:g}, seed "
        f"{result.seed}, {result.wall_seconds:.1f} s -> {folder}"
    )
    return EXIT_OK


def world_scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The scenario in `--n` worlds drawn from the `--worlds` posterior (read and checked)."""
    from sim.experiments.worlds import draw_worlds, load_posterior, world_scenario

    drawn = draw_worlds(load_posterior(args.worlds), args.n, seed=args.seed)
    return [world_scenario(args.scenario, w)[0] for w in drawn]


def across_worlds(
    args: argparse.Namespace, scenarios: list[Scenario], scale: float
) -> tuple[pd.DataFrame, int]:
    """The scenario in each world, one run each with the same seed (common random numbers
    across worlds); returns the bands and the number of worlds."""
    from sim.cli.progress import run_jobs
    from sim.experiments.worlds import bands

    what = f"{counted(len(scenarios), 'world')} from {args.worlds}, seed {args.seed} in each"
    jobs: list[tuple[Scenario, int, float | None]] = [(sc, args.seed, scale) for sc in scenarios]
    results = run_jobs(jobs, what, args.workers)
    return bands([r.daily for r in results]), len(results)
