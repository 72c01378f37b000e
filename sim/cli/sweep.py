"""`appsim sweep`: a parameter sweep (grid, LHS, Sobol, Morris) with sensitivity indices."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli import argtypes
from sim.report.folders import add_force_argument, check_writable
from sim.report.out_names import output_folder
from sim.results.words import counted

if TYPE_CHECKING:
    from sim.cli.progress import RunProgress
    from sim.scenario.schema import Scenario


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", type=Path, help="sweep spec YAML file")
    p.add_argument(
        "--workers",
        type=argtypes.positive_int,
        default=1,
        help="local worker processes (default: 1)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="address of an existing Dask scheduler (default: none, run locally)",
    )
    p.add_argument(
        "--store",
        type=Path,
        default=Path("reports") / ".store",
        help="result store (default: reports/.store)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: reports/sweep-<spec name>)"
    )

    add_force_argument(p)


def execute(args: argparse.Namespace) -> int:
    from sim.experiments import sweep as sw
    from sim.report.sweep_report import counts_line, write_sweep_report
    from sim.scenario.load import load_scenario
    from sim.scenario.yamlio import load_tree

    spec, base = sw.load_sweep(args.spec)  # loads and checks the base scenario too
    base_tree, _ = load_tree(base)
    out = output_folder(args.out, Path("reports") / f"sweep-{args.spec.stem}")
    check_writable(out, replace_own=args.force)
    args.store.mkdir(parents=True, exist_ok=True)
    points = sw.design(spec)
    jobs = sw.jobs_for(spec, base_tree, points, args.store)
    scenario = load_scenario(base)
    counts = {"done": 0, "cached": 0, "failed": 0}
    progress = _progress(sw.planned(jobs), len(points), spec, scenario, args.workers)

    def tick(kind: str) -> None:
        counts[kind] += 1
        progress()

    try:
        outcomes = sw.run_jobs(jobs, args.workers, args.scheduler, tick)
    finally:
        progress.close()
    table = sw.runs_table(spec, points, jobs, outcomes)
    indices = sw.sensitivity(spec, points, table)
    info = sw.manifest(spec, base, jobs, counts)
    write_sweep_report(table, indices, out, info, scenario)
    print(f"{counts_line(info)} -> {out}")
    return 1 if counts["failed"] else 0


def _progress(
    runs: list[dict[str, Any]], n_points: int, spec: Any, scenario: Scenario, workers: int
) -> RunProgress:
    """The shared progress of multi-run commands: the distinct runs and an estimate of
    their time (the runs the store holds cost none) first, then a bar over them."""
    from sim.cli.progress import RunProgress, estimate_seconds

    fresh = sum(not run["cached"] for run in runs)
    what = f"{counted(n_points, 'design point')} x {counted(spec.seeds, 'seed')}"
    if fresh < len(runs):
        what += f"; {len(runs) - fresh:,} of them in the store already"
    return RunProgress(len(runs), what, estimate_seconds(scenario, spec.scale, fresh, workers))
