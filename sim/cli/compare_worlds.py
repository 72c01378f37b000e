"""`appsim compare A B ... --worlds posterior.parquet`: what-ifs across plausible worlds."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from sim.cli.compare import (
    default_folder_name,
    parse_outcome,
    same_horizon,
    table_dates,
    unique_names,
)
from sim.errors import EXIT_OK, UsageError
from sim.report.folders import check_writable


def execute(args: argparse.Namespace) -> int:
    from sim.experiments.across_worlds import WorldRuns
    from sim.experiments.executor import map_jobs, run_job
    from sim.experiments.worlds import draw_worlds, load_posterior, world_scenario
    from sim.report.worlds_report import write_worlds_report
    from sim.scenario.load import load_scenario

    plain = [load_scenario(p) for p in args.scenarios]
    names = [s.name for s in plain]
    unique_names(names)
    same_horizon(args.scenarios, plain)
    dates = table_dates(args.at, plain[0])
    metric, app = parse_outcome(args.outcome, plain)
    out = args.out or Path("reports") / f"{default_folder_name(names)}-worlds"
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
    print(
        f"{len(jobs)} runs: {len(names)} scenarios x {len(worlds)} worlds x {args.reps} seeds",
        file=sys.stderr,
    )
    started = time.perf_counter()
    results = map_jobs(run_job, jobs, args.workers, scheduler=args.scheduler)
    date = dates[0]
    values = np.array([r.at(date.isoformat(), metric, app) for r in results], dtype=float)
    if not np.all(np.isfinite(values)):
        raise UsageError(f"--outcome {metric}:{app}: not a value of every run at {date}")
    cube = values.reshape(len(names), len(worlds), args.reps)
    runs = WorldRuns(names, worlds, cube)
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
    write_worlds_report(runs, plain, info, out)
    print(f"compared {len(names)} scenarios across {len(worlds)} worlds -> {out}")
    return EXIT_OK
