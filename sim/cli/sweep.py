"""`appsim sweep`: a parameter sweep (grid, LHS, Sobol, Morris) with sensitivity indices."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import argtypes
from sim.report.folders import add_force_argument, check_writable
from sim.report.out_names import output_folder


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
    from tqdm import tqdm

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
    counts = {"done": 0, "cached": 0, "failed": 0}
    bar = tqdm(total=len(sw.distinct(jobs)), desc="runs", unit="run", disable=None)

    def tick(kind: str) -> None:
        counts[kind] += 1
        bar.set_postfix(counts, refresh=False)
        bar.update(1)

    try:
        outcomes = sw.run_jobs(jobs, args.workers, args.scheduler, tick)
    finally:
        bar.close()
    table = sw.runs_table(spec, points, jobs, outcomes)
    indices = sw.sensitivity(spec, points, table)
    info = sw.manifest(spec, base, jobs, counts)
    write_sweep_report(table, indices, out, info, load_scenario(base))
    print(f"{counts_line(info)} -> {out}")
    return 1 if counts["failed"] else 0
