"""The commands built on `run`: check and calibrate (the fit to targets), and compare."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from . import argtypes
from .outputs import atomic_folder, check_writable, markdown_table, write_json


def add_check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--targets", type=Path, required=True, help="targets YAML file")
    p.add_argument(
        "--seeds", type=argtypes.positive_int, default=10, help="replications (seeds 0..N-1)"
    )
    p.add_argument("--scale", type=argtypes.scale, default=None, help="customers per agent")
    p.add_argument(
        "--workers",
        type=argtypes.positive_int,
        default=os.cpu_count() or 1,
        help="local worker processes (default: all cores)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: reports/<scenario>-check)"
    )


def check(args: argparse.Namespace) -> int:
    from .parallel import run_many
    from .plotting import targets_figure
    from .scenario import load_scenario
    from .targets import fit_table, load_targets

    scenario = load_scenario(args.scenario)
    targets = load_targets(args.targets)
    results = run_many(
        scenario,
        range(args.seeds),
        args.scale,
        args.workers,
        on_done=lambda r: print(f"  seed {r.seed} done ({r.wall_seconds:.1f} s)", file=sys.stderr),
    )
    table = fit_table(results, targets)
    shown = format_fit(table)
    print(markdown_table(shown))
    out = args.out or Path("reports") / f"{scenario.name}-check"
    check_writable(out)
    with atomic_folder(out) as tmp:
        table.to_csv(tmp / "fit.csv", index=False)
        (tmp / "fit.md").write_text(markdown_table(shown) + "\n")
        targets_figure(results, targets).savefig(tmp / "targets.png", dpi=110)
        write_json(
            tmp / "manifest.json",
            {
                "scenario": scenario.name,
                "seeds": args.seeds,
                "scale": results[0].scale,
                "targets": str(args.targets),
            },
        )
    failed = int((~table["pass"]).sum())
    print(f"{len(table) - failed}/{len(table)} targets pass -> {out}")
    return 1 if failed else 0


def format_fit(table: pd.DataFrame) -> pd.DataFrame:
    """The fit table with values in millions, for people."""
    shown = table.copy()
    for col in ("simulated_mean", "band_5", "band_95"):
        shown[col] = (shown[col] / 1e6).round(2)
    shown["pass"] = shown["pass"].map({True: "pass", False: "FAIL"})
    return shown.rename(
        columns={"simulated_mean": "mean (M)", "band_5": "5% (M)", "band_95": "95% (M)"}
    )


def add_calibrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--targets", type=Path, required=True, help="targets YAML file")
    p.add_argument("--spec", type=Path, required=True, help="calibration spec YAML file")
    p.add_argument(
        "--trials", type=argtypes.positive_int, default=None, help="override the spec's trial count"
    )
    p.add_argument(
        "--workers",
        type=argtypes.positive_int,
        default=os.cpu_count() or 1,
        help="worker processes (default: all cores)",
    )
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: reports/<scenario>-calibration)",
    )


def calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate as search
    from .calibrate import load_spec
    from .scenario import load_scenario
    from .targets import load_targets

    scenario = load_scenario(args.scenario)
    targets = load_targets(args.targets)
    spec = load_spec(args.spec)
    if args.trials:
        spec = spec.model_copy(update={"trials": args.trials})
    out = args.out or Path("reports") / f"{scenario.name}-calibration"
    check_writable(out)
    print(
        f"calibrating {scenario.name}: {len(spec.parameters)} parameters, {spec.trials} trials "
        f"x {spec.seeds} seeds at 1:{spec.scale:g}, study in {out / 'study.db'}",
        file=sys.stderr,
    )
    best = search(
        args.scenario, targets, spec, out, workers=max(1, args.workers), scheduler=args.scheduler
    )
    fitted = write_fitted(args.scenario, scenario.name, best, spec, out)
    _write_fit_of(fitted, targets, spec, out)
    print(f"best values written to {fitted}")
    for path, value in best.items():
        bounds = spec.parameters[path]
        print(f"  {path} = {value:.6g}  (bounds {bounds.low:g}..{bounds.high:g})")
    print(f"check the fit: appsim check {fitted} --targets {args.targets}")
    return 0


def _write_fit_of(fitted: Path, targets: Any, spec: Any, out: Path) -> None:
    """The fit table of the fitted scenario, at the search's scale and seeds."""
    from .parallel import run_many
    from .scenario import load_scenario
    from .targets import fit_table

    results = run_many(load_scenario(fitted), range(spec.seeds), spec.scale)
    table = fit_table(results, targets)
    table.to_csv(out / "fit.csv", index=False)
    shown = markdown_table(format_fit(table))
    (out / "fit.md").write_text(shown + "\n")
    print(shown)


def write_fitted(
    scenario_path: Path, name: str, best: dict[str, float], spec: Any, out: Path
) -> Path:
    """A short scenario that extends the original with the fitted values."""
    from ruamel.yaml import YAML

    from .calibrate import with_values

    tree = with_values({}, {p: float(f"{v:.6g}") for p, v in sorted(best.items())})
    parent = os.path.relpath(scenario_path.resolve(), out.resolve())
    doc = {
        "extends": parent,
        "name": f"{name}-fitted",
        "source": f"calibrated by appsim calibrate ({spec.trials} trials x {spec.seeds} seeds "
        f"at 1:{spec.scale:g})",
        **tree,
    }
    path = out / "fitted.yaml"
    with path.open("w") as fh:
        YAML(typ="safe", pure=True).dump(doc, fh)
    return path


def add_compare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", type=Path, nargs="+", help="scenario files; the first is the base")
    p.add_argument(
        "--reps", type=argtypes.positive_int, default=10, help="replications (seeds 0..R-1)"
    )
    p.add_argument(
        "--at",
        default=None,
        help="comma-separated dates for the tables (default: 2019-05-31 if in the "
        "horizon, and the last day)",
    )
    p.add_argument(
        "--outcome",
        default="mau:suite_sum",
        help="metric:app the ranking uses (default mau:suite_sum)",
    )
    p.add_argument("--scale", type=argtypes.scale, default=None, help="customers per agent")
    p.add_argument(
        "--workers",
        type=argtypes.positive_int,
        default=os.cpu_count() or 1,
        help="local worker processes (default: all cores)",
    )
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: reports/compare-<first scenario>)",
    )


def compare(args: argparse.Namespace) -> int:
    import time

    from .compare import Comparison
    from .compare_report import write_comparison_report
    from .parallel import map_jobs
    from .scenario import load_scenario

    scenarios = [load_scenario(p) for p in args.scenarios]
    names = [s.name for s in scenarios]
    _unique(names)
    dates = _dates(args.at, scenarios[0])
    outcome = _outcome(args.outcome)
    out = args.out or Path("reports") / f"compare-{names[0]}"
    check_writable(out)
    started = time.perf_counter()
    jobs = [(sc, seed, args.scale) for sc in scenarios for seed in range(args.reps)]
    from .parallel import _one

    results = map_jobs(
        _one,
        jobs,
        args.workers,
        on_done=lambda r: print(
            f"  {r.scenario.name} seed {r.seed} ({r.wall_seconds:.1f} s)", file=sys.stderr
        ),
        scheduler=args.scheduler,
    )
    by_name = {n: [r for r in results if r.scenario.name == n] for n in names}
    cmp = Comparison(names, list(range(args.reps)), by_name)
    info = {
        "scenarios": names,
        "reps": args.reps,
        "scale": results[0].scale,
        "at": [d.isoformat() for d in dates],
        "wall_seconds": time.perf_counter() - started,
    }
    write_comparison_report(cmp, dates, outcome, out, info)
    print(f"compared {len(names)} scenarios x {args.reps} seeds -> {out}")
    return 0


def _unique(names: list[str]) -> None:
    from .errors import UsageError

    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(f"scenario names must differ (give each file its own name:): {dupes}")


def _dates(text: str | None, scenario: Any) -> list[Any]:
    import datetime as dt

    from .errors import UsageError

    start, end = scenario.horizon.start, scenario.horizon.end
    if not text:
        probe = dt.date(2019, 5, 31)
        return [probe, end] if start <= probe < end else [end]
    out = []
    for part in text.split(","):
        try:
            day = dt.date.fromisoformat(part.strip())
        except ValueError:
            raise UsageError(f"--at: not a date (YYYY-MM-DD): {part!r}") from None
        if not start <= day <= end:
            raise UsageError(f"--at: {day} is outside the horizon {start}..{end}")
        out.append(day)
    return sorted(out)


def _outcome(text: str) -> tuple[str, str]:
    from .errors import UsageError

    metric, _, app = text.partition(":")
    if not metric or not app:
        raise UsageError(f"--outcome must be metric:app, e.g. mau:suite_sum (got {text!r})")
    return metric, app


def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", type=Path, help="sweep spec YAML file")
    p.add_argument(
        "--workers",
        type=argtypes.positive_int,
        default=1,
        help="run on a local Dask cluster of this many processes",
    )
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    p.add_argument(
        "--store",
        type=Path,
        default=Path("reports") / ".store",
        help="result store (default: reports/.store)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: reports/sweep-<spec name>)"
    )


def sweep(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from . import sweep as sw
    from .sweep_report import write_sweep_report
    from .yamlio import load_tree

    spec, base = sw.load_sweep(args.spec)
    from .scenario import load_scenario

    load_scenario(base)  # a bad base scenario is reported like any other
    base_tree, _ = load_tree(base)
    out = args.out or Path("reports") / f"sweep-{args.spec.stem}"
    check_writable(out)
    args.store.mkdir(parents=True, exist_ok=True)
    points = sw.design(spec)
    jobs = sw.jobs_for(spec, base_tree, points, args.store)
    counts = {"done": 0, "cached": 0, "failed": 0}
    bar = tqdm(total=len(jobs), desc="runs", unit="run", disable=None)

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
    write_sweep_report(table, indices, out, sw.manifest(spec, base, len(jobs), counts))
    print(
        f"{len(jobs)} runs ({counts['done']} computed, {counts['cached']} from the store, "
        f"{counts['failed']} failed) -> {out}"
    )
    return 1 if counts["failed"] else 0
