"""`appsim calibrate`: search free parameters so that a scenario meets its targets."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from sim.cli import argtypes
from sim.cli.check import fit_csv, format_fit
from sim.errors import EXIT_FAIL, EXIT_OK, UsageError
from sim.report.folders import check_writable, markdown_table
from sim.report.out_names import output_folder
from sim.results.words import counted


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--targets", type=Path, required=True, help="targets YAML file")
    p.add_argument(
        "--spec", type=Path, default=None, help="calibration spec YAML file (a best-fit search)"
    )
    p.add_argument(
        "--posterior",
        type=Path,
        metavar="PRIOR",
        default=None,
        help="prior YAML file: run ABC-SMC (pyabc) to a posterior of plausible worlds instead "
        "of a best-fit search; writes posterior.parquet for `run --worlds`",
    )
    p.add_argument(
        "--seed",
        type=argtypes.non_negative_int,
        default=0,
        help="with --posterior: the seed of every proposal and simulated world; the same seed "
        "gives the same posterior, on any number of workers (default 0)",
    )
    p.add_argument(
        "--trials",
        type=argtypes.positive_int,
        default=None,
        help="trials (default: the spec's trial count)",
    )
    argtypes.add_backend(p)
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: reports/<scenario>-calibration)",
    )


def execute(args: argparse.Namespace) -> int:
    from sim.experiments.calibrate import calibrate as search
    from sim.experiments.calibrate import load_spec
    from sim.experiments.targets import load_targets
    from sim.scenario.load import load_scenario

    if (args.spec is None) == (args.posterior is None):
        raise UsageError("give either --spec (a best-fit search) or --posterior PRIOR")
    if args.posterior is not None:
        from sim.cli.posterior import execute as posterior

        return posterior(args)
    scenario = load_scenario(args.scenario)
    targets = load_targets(args.targets, scenario)
    spec = load_spec(args.spec, args.scenario)
    if args.trials:
        spec = spec.model_copy(update={"trials": args.trials})
    out = output_folder(args.out, Path("reports") / f"{scenario.name}-calibration")
    check_writable(out)
    print(
        f"calibrating {scenario.name}: {counted(len(spec.parameters), 'parameter')}, "
        f"{counted(spec.trials, 'trial')} x {counted(spec.seeds, 'seed')} at 1:{spec.scale:g}, "
        f"study in {out / 'study.db'}",
        file=sys.stderr,
    )
    best = search(
        args.scenario, targets, spec, out, workers=max(1, args.workers), scheduler=args.scheduler
    )
    fitted = write_fitted(args.scenario, scenario.name, best, spec, out)
    failing = _write_fit_of(fitted, targets, spec, out)
    print(f"best values written to {fitted}")
    for path, value in best.items():
        bounds = spec.parameters[path]
        print(f"  {path} = {value:.6g}  (bounds {bounds.low:g}..{bounds.high:g})")
    if failing:
        print(f"the best fit fails {counted(len(failing), 'target')}: {', '.join(failing)}")
        return EXIT_FAIL
    print(f"check the fit: appsim check {fitted} --targets {args.targets}")
    return EXIT_OK


def _write_fit_of(fitted: Path, targets: Any, spec: Any, out: Path) -> list[str]:
    """The fit table of the fitted scenario, at the search's scale and seeds (fit.csv, fit.md,
    and tables.xlsx with the fitted scenario's timeline and assumptions); returns the
    targets it fails."""
    from sim.experiments.executor import run_many
    from sim.experiments.targets import fit_table
    from sim.report.context import context_sheets
    from sim.report.workbook import write_workbook
    from sim.scenario.load import load_scenario

    scenario = load_scenario(fitted)
    results = run_many(scenario, range(spec.seeds), spec.scale)
    table = fit_table(results, targets)
    fit_csv(table).to_csv(out / "fit.csv", index=False)
    write_workbook(out / "tables.xlsx", {"fit": format_fit(table), **context_sheets(scenario)})
    shown = markdown_table(format_fit(table))
    (out / "fit.md").write_text(shown + "\n")
    print(shown)
    return [str(t) for t in table.loc[~table["pass"], "target"]]


def write_fitted(
    scenario_path: Path, name: str, best: dict[str, float], spec: Any, out: Path
) -> Path:
    """A short scenario that extends the original with the fitted values."""
    from ruamel.yaml import YAML

    from sim.experiments.calibrate import with_values

    tree = with_values({}, {p: float(f"{v:.6g}") for p, v in sorted(best.items())})
    parent = os.path.relpath(scenario_path.resolve(), out.resolve())
    doc = {
        "extends": parent,
        "name": f"{name}-fitted",
        "source": f"calibrated by appsim calibrate ({counted(spec.trials, 'trial')} x "
        f"{counted(spec.seeds, 'seed')} "
        f"at 1:{spec.scale:g})",
        **tree,
    }
    path = out / "fitted.yaml"
    with path.open("w") as fh:
        YAML(typ="safe", pure=True).dump(doc, fh)
    return path
