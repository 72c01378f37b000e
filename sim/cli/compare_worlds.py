"""`appsim compare A B ... --worlds posterior.parquet`: what-ifs across plausible worlds."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.cli.compare_inputs import (
    default_folder_name,
    parse_outcome,
    same_horizon,
    table_dates,
    unique_names,
)
from sim.cli.progress import run_jobs
from sim.errors import EXIT_OK, UsageError
from sim.report.folders import check_writable
from sim.report.out_names import output_folder
from sim.results.words import counted

if TYPE_CHECKING:
    from sim.experiments.across_worlds import WorldRuns


def execute(args: argparse.Namespace) -> int:
    from sim.experiments.worlds import draw_worlds, load_posterior, world_scenario
    from sim.report.summary_text import headline_day
    from sim.report.worlds_report import write_worlds_report
    from sim.scenario.load import load_scenario

    plain = [load_scenario(p) for p in args.scenarios]
    names = [s.name for s in plain]
    unique_names(names)
    same_horizon(args.scenarios, plain)
    dates = table_dates(args.at, plain[0])
    metric, app = parse_outcome(args.outcome, plain)
    out = output_folder(args.out, Path("reports") / f"{default_folder_name(names)}-worlds")
    check_writable(out, replace_own=args.force)
    worlds = draw_worlds(load_posterior(args.worlds), args.n, seed=0)
    built = [[world_scenario(p, w) for w in worlds] for p in args.scenarios]
    pinned = {names[i]: sorted(set(built[i][0][1])) for i in range(len(names))}
    jobs = [
        (built[i][k][0], k * args.reps + r, args.scale)  # same seeds in every scenario (CRN)
        for i in range(len(names))
        for k in range(len(worlds))
        for r in range(args.reps)
    ]
    what = " x ".join(
        [counted(len(names), "scenario"), counted(len(worlds), "world"), counted(args.reps, "seed")]
    )
    started = time.perf_counter()
    results = run_jobs(jobs, what, args.workers, args.scheduler)
    date = headline_day(plain[0], dates)
    outcome = (metric, app)
    by_date = {d: _world_runs(results, names, worlds, args.reps, d, outcome) for d in dates}
    runs = by_date[date]
    info = {
        "scenarios": names,
        "worlds": len(worlds),
        "reps": args.reps,
        "posterior": str(args.worlds),
        "outcome": f"{metric}:{app}",
        "at": date.isoformat(),
        "pinned": pinned,
        "wall_seconds": time.perf_counter() - started,
    }
    figures = _difference_figures(results, plain, args.reps)
    write_worlds_report(runs, plain, info, out, figures, list(args.scenarios), by_date)
    print(f"compared {what} -> {out}")
    return EXIT_OK


def _world_runs(
    results: list[Any],
    names: list[str],
    worlds: list[Any],
    reps: int,
    day: Any,
    outcome: tuple[str, str],
) -> WorldRuns:
    """The outcome of every run on `day`, as (scenarios, worlds, seeds)."""
    from sim.experiments.across_worlds import WorldRuns

    metric, app = outcome
    values = np.array([r.at(day.isoformat(), metric, app) for r in results], dtype=float)
    if not np.all(np.isfinite(values)):
        raise UsageError(f"--outcome {metric}:{app}: not a value of every run at {day}")
    return WorldRuns(names, worlds, values.reshape(len(names), len(worlds), reps))


def _difference_figures(results: list[Any], plain: list[Any], reps: int) -> Callable[..., Any]:
    """A writer of each what-if's difference over time, banded across the worlds."""
    from sim.report import difference_figure as diff_fig
    from sim.report.compare_figures import colours
    from sim.results.markers import compared_marks

    names = [sc.name for sc in plain]
    n_worlds = len(results) // (len(names) * reps)

    def curve(i: int, metric: str, app: str) -> Any:
        return results[i].series(metric, app)

    def write(folder: Path) -> list[Path]:
        panels = diff_fig.world_panels(curve, len(names), n_worlds, reps)
        label = diff_fig.across_worlds(n_worlds, reps)
        paths = []
        for sc, bands in zip(plain[1:], panels, strict=True):
            marks = compared_marks({names[0]: plain[0], sc.name: sc})
            pair = (sc.name, names[0])
            fig = diff_fig.difference_figure(pair, bands, label, marks, colours(names))
            paths.append(diff_fig.save(fig, folder / diff_fig.file_name(sc.name)))
        return paths

    return write
