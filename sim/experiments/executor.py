"""Running many replications: in-process by default, or on local worker processes.

Each run's seed is given by the caller (never derived from scheduling order), so results are
identical whichever way they are computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sim.engine.memory import check_runs_at_once
from sim.experiments.workers import map_in_order, results_in_order
from sim.results.result import Result
from sim.results.run import run
from sim.scenario.schema import Scenario

RunJob = tuple[Scenario, int, float | None]  # scenario, seed, scale (None: its own)


def run_job(args: RunJob) -> Result:
    scenario, seed, scale = args
    return run(scenario, seed=seed, scale=scale)


def run_many(
    scenario: Scenario,
    seeds: Sequence[int],
    scale: float | None = None,
    workers: int = 1,
    on_done: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run `scenario` once per seed; results in the order of `seeds`."""
    jobs = [(scenario, seed, scale) for seed in seeds]
    return map_jobs(run_job, jobs, workers, on_done)


def map_jobs(
    func: Callable[[RunJob], Result],
    jobs: Sequence[RunJob],
    workers: int,
    on_done: Callable[[Result], None] | None = None,
    scheduler: str | None = None,
) -> list[Result]:
    """Apply `func` to every job, in order: in this process (workers 1), on local worker
    processes, or on an existing Dask cluster (`scheduler`)."""
    if scheduler:
        return _on_dask(func, jobs, scheduler, on_done)
    if workers <= 1 or len(jobs) <= 1:
        results = []
        for job in jobs:
            results.append(func(job))
            if on_done:
                on_done(results[-1])
        return results
    at_once = min(workers, len(jobs))
    check_runs_at_once([_run_of(job) for job in jobs], at_once)
    return map_in_order(func, jobs, at_once, on_done)


def _run_of(job: RunJob) -> tuple[Scenario, float]:
    """A (scenario, seed, scale) job's scenario and scale (its own where scale is None)."""
    scenario, _, scale = job
    return scenario, scenario.run_scale(scale)


def _on_dask(
    func: Callable[[RunJob], Result],
    jobs: Sequence[RunJob],
    scheduler: str,
    on_done: Callable[[Result], None] | None,
) -> list[Result]:
    from dask.distributed import Client

    from sim.errors import UsageError

    try:
        client = Client(scheduler, timeout="20s")
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    try:
        return results_in_order(client.map(func, jobs, pure=False, retries=3), on_done)
    finally:
        client.close()
