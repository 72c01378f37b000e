"""`appsim check`: run a scenario over seeds and compare it with its targets."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli import argtypes
from sim.report.folders import (
    RATIOS,
    add_force_argument,
    by_metric,
    check_writable,
    markdown_table,
)
from sim.report.out_names import output_folder
from sim.results.words import counted

if TYPE_CHECKING:
    import pandas as pd


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--targets", type=Path, required=True, help="targets YAML file")
    p.add_argument(
        "--seeds",
        type=argtypes.positive_int,
        default=10,
        help="replications (seeds 0..N-1)",
    )
    argtypes.add_scale(p)
    argtypes.add_backend(p, scheduler=False)
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: reports/<scenario>-check)"
    )

    add_force_argument(p)


def execute(args: argparse.Namespace) -> int:
    from sim.cli.progress import run_jobs
    from sim.experiments.targets import fit_table, load_targets
    from sim.report.check_report import write_check_report
    from sim.report.target_figure import targets_figure
    from sim.scenario.load import load_scenario

    scenario = load_scenario(args.scenario)
    targets = load_targets(args.targets, scenario)
    out = output_folder(args.out, Path("reports") / f"{scenario.name}-check")
    check_writable(out, replace_own=args.force)  # before the runs, not after them
    jobs = [(scenario, seed, args.scale) for seed in range(args.seeds)]
    results = run_jobs(jobs, counted(args.seeds, "seed"), args.workers)
    table = fit_table(results, targets)
    shown = format_fit(table)
    print(markdown_table(shown))
    info = {
        "scenario": scenario.name,
        "seeds": args.seeds,
        "scale": results[0].scale,
        "targets": str(args.targets),
    }
    figure = targets_figure(results, targets)
    write_check_report(out, scenario, (table, fit_csv(table), shown), figure, info)
    failed = int((~table["pass"]).sum())
    print(f"{len(table) - failed}/{len(table)} targets pass -> {out}")
    return 1 if failed else 0


FIT_VALUES = ["simulated_mean", "band_5", "band_95"]


def fit_csv(table: pd.DataFrame) -> pd.DataFrame:
    """The fit table as written to fit.csv: whole customers, ratio metrics to 4 decimals."""
    return by_metric(table, FIT_VALUES)


def format_fit(table: pd.DataFrame) -> pd.DataFrame:
    """The fit table with customer counts in millions (ratios as they are), for people."""
    shown = table.copy()
    counts = ~shown["metric"].isin(RATIOS)
    for col in FIT_VALUES:
        shown[col] = shown[col].where(~counts, shown[col] / 1e6)
    shown["pass"] = shown["pass"].map({True: "pass", False: "FAIL"})
    return shown.rename(
        columns={
            "simulated_mean": "mean (M)",
            "band_5": "5% over seeds (M)",
            "band_95": "95% over seeds (M)",
        }
    )
