"""`appsim compare`: scenarios over the same seeds (common random numbers), paired differences."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import argtypes
from sim.cli.compare_inputs import (
    default_folder_name,
    parse_outcome,
    same_horizon,
    table_dates,
    unique_names,
)
from sim.report.folders import add_force_argument, check_writable
from sim.report.out_names import output_folder
from sim.results.words import counted


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", type=Path, nargs="+", help="scenario files; the first is the base")
    p.add_argument(
        "--reps",
        type=argtypes.positive_int,
        default=10,
        help="replications (seeds 0..R-1)",
    )
    p.add_argument(
        "--at",
        default=None,
        help="comma-separated dates for the tables (default: the first scenario's "
        "horizon.key_dates and its last day)",
    )
    p.add_argument(
        "--outcome",
        default="mau:suite_sum",
        help="metric:app the ranking uses (default: mau:suite_sum)",
    )
    argtypes.add_scale(p)
    argtypes.add_backend(p)
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: reports/compare-<a>-vs-<b>-... from every scenario's "
        "name, or compare-<first>-<hash of the names> when that is over 80 characters)",
    )
    p.add_argument(
        "--worlds",
        type=Path,
        default=None,
        help="posterior.parquet: run every scenario in the same --n worlds drawn from it "
        "(effects across worlds, P(best), regret)",
    )
    p.add_argument(
        "--n",
        type=argtypes.positive_int,
        default=20,
        help="worlds to draw with --worlds (default 20)",
    )

    add_force_argument(p)


def execute(args: argparse.Namespace) -> int:
    import time

    if args.worlds is not None:
        from sim.cli.compare_worlds import execute as across_worlds

        return across_worlds(args)

    from sim.experiments.compare import Comparison
    from sim.report.compare_report import write_comparison_report
    from sim.scenario.load import load_scenario

    scenarios = [load_scenario(p) for p in args.scenarios]
    names = [s.name for s in scenarios]
    unique_names(names)
    same_horizon(args.scenarios, scenarios)
    dates = table_dates(args.at, scenarios[0])
    outcome = parse_outcome(args.outcome, scenarios)
    out = output_folder(args.out, Path("reports") / default_folder_name(names))
    check_writable(out, replace_own=args.force)
    started = time.perf_counter()
    jobs = [(sc, seed, args.scale) for sc in scenarios for seed in range(args.reps)]
    from sim.cli.progress import run_jobs

    what = f"{counted(len(names), 'scenario')} x {counted(args.reps, 'seed')}"
    results = run_jobs(jobs, what, args.workers, args.scheduler)
    by_name = {n: [r for r in results if r.scenario.name == n] for n in names}
    cmp = Comparison(names, list(range(args.reps)), by_name)
    info = {
        "scenarios": names,
        "reps": args.reps,
        "scale": results[0].scale,
        "at": [d.isoformat() for d in dates],
        "wall_seconds": time.perf_counter() - started,
    }
    write_comparison_report(cmp, dates, outcome, out, info, list(args.scenarios))
    print(f"compared {what} -> {out}")
    return 0
