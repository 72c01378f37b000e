"""Runs per core-hour: the figure every study (posterior calibration, sweeps, comparisons
across worlds) is budgeted with. Not a test.

    python benchmarks/throughput.py single --scales 5000 1000 100 --repeats 3
    python benchmarks/throughput.py batch --scale 5000 --runs 200 --workers 2
    python benchmarks/throughput.py batch --scale 5000 --runs 200 --scheduler tcp://127.0.0.1:8786

`single`: a warm process (one run first, to compile or load the kernels) runs the baseline
`--repeats` times at each scale; the median gives runs per core-hour of the engine alone.
`batch`: `--runs` runs of the baseline (seeds 0..runs-1) through appsim's own executor, on
local worker processes or a Dask cluster started by hand (`dask scheduler`, then `dask worker
tcp://... --nworkers 2 --nthreads 1`). Per-run overhead = (wall x slots - the runs' own
seconds) / runs: scheduling, pickling the scenario and the result, starting and warming the
workers. Prints markdown for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import sim
from sim.experiments.executor import map_jobs, run_job

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"


def single(scales: list[float], repeats: int) -> None:
    scenario = sim.load_scenario(BASELINE)
    sim.run(scenario, seed=0, scale=max(scales))  # warm: compiled kernels loaded
    print("| scale | warm run, median (s) | runs | runs per core-hour |")
    print("|---|---|---|---|")
    for scale in scales:
        times = []
        for seed in range(repeats):
            start = time.perf_counter()
            sim.run(scenario, seed=seed, scale=scale)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"| 1:{scale:g} | {median:.2f} | {repeats} | {3600 / median:.0f} |")


def batch(scale: float, runs: int, workers: int, scheduler: str | None) -> None:
    scenario = sim.load_scenario(BASELINE)
    jobs = [(scenario, seed, scale) for seed in range(runs)]
    start = time.perf_counter()
    results = map_jobs(run_job, jobs, workers=workers, scheduler=scheduler)
    wall = time.perf_counter() - start
    own = sum(r.wall_seconds for r in results)
    slots = workers if scheduler is None else _cluster_slots(scheduler)
    where = f"Dask at {scheduler}" if scheduler else f"{workers} local processes"
    overhead = (wall * slots - own) / runs
    rate = runs / (wall * slots / 3600)
    head = ["where", "scale", "runs", "slots", "wall (s)", "runs' own (s)"]
    _row([*head, "overhead per run (s)", "runs per core-hour"])
    _row(["---"] * 8)
    cells = [where, f"1:{scale:g}", runs, slots, f"{wall:.0f}", f"{own:.0f}"]
    _row([*cells, f"{overhead:.2f}", f"{rate:.0f}"])


def _row(cells: list[object]) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def _cluster_slots(scheduler: str) -> int:
    from dask.distributed import Client

    with Client(scheduler) as client:
        return sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("single")
    one.add_argument("--scales", type=float, nargs="+", default=[5000, 1000, 100])
    one.add_argument("--repeats", type=int, default=3)
    many = sub.add_parser("batch")
    many.add_argument("--scale", type=float, default=5000)
    many.add_argument("--runs", type=int, default=200)
    many.add_argument("--workers", type=int, default=2)
    many.add_argument("--scheduler", default=None)
    args = parser.parse_args()
    if args.what == "single":
        single(args.scales, args.repeats)
    else:
        batch(args.scale, args.runs, args.workers, args.scheduler)


if __name__ == "__main__":
    main()
