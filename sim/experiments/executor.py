"""The one way appsim runs many jobs: in this process, on local worker processes, or on a
Dask cluster (`scheduler`), with the same interface and the same behaviour on each.

Each run's seed is given by the caller (never derived from scheduling order), so results are
identical whichever way they are computed. Results come back in the order of the jobs. A
job that fails raises, or, given `on_error`, gives what `on_error` makes of it. On Ctrl-C,
SIGTERM or a failure, what has not run is cancelled before the exception goes on: local
workers are ended (`sim.experiments.workers`), a cluster is told to drop appsim's queued
and running jobs (its workers are its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sim.engine.memory import check_runs_at_once
from sim.experiments.workers import held_signals, worker_pool
from sim.results.result import Result
from sim.results.run import run
from sim.scenario.schema import Scenario

RunJob = tuple[Scenario, int, float | None]  # scenario, seed, scale (None: its own)
OnDone = Callable[[Any, Any], None]  # (job, its result), as each result is collected
OnError = Callable[[Any, Exception], Any]  # (job, what it raised) -> the result to use
DASK_RETRIES = 3  # a cluster's worker may die mid-run: its jobs go to the others


def run_job(args: RunJob) -> Result:
    """One run of a (scenario, seed, scale) job."""
    scenario, seed, scale = args
    return run(scenario, seed=seed, scale=scale)


def run_many(
    scenario: Scenario,
    seeds: Sequence[int],
    scale: float | None = None,
    workers: int = 1,
    on_done: OnDone | None = None,
) -> list[Result]:
    """Run `scenario` once per seed; results in the order of `seeds`."""
    jobs = [(scenario, seed, scale) for seed in seeds]
    return map_jobs(run_job, jobs, workers, on_done)


def map_jobs(
    func: Callable[[Any], Any],
    jobs: Sequence[Any],
    workers: int = 1,
    on_done: OnDone | None = None,
    scheduler: str | None = None,
    on_error: OnError | None = None,
    sizes: list[tuple[Scenario, float]] | None = None,
) -> list[Any]:
    """`func` of every job, in job order: in this process (workers 1), on `workers` local
    processes, or on the Dask cluster at `scheduler`. Before local processes start, the
    runs' memory is checked: `sizes` (scenario, scale) of the runs that will compute, by
    default every job's, as (scenario, seed, scale) jobs."""
    if scheduler:
        return _on_dask(func, jobs, scheduler, on_done, on_error)
    if workers <= 1 or len(jobs) <= 1:
        return collect((_Now(func, job) for job in jobs), jobs, on_done, on_error)
    sizes = [_run_of(job) for job in jobs] if sizes is None else sizes
    check_runs_at_once(sizes, min(workers, len(jobs), len(sizes)))
    with worker_pool(min(workers, len(jobs))) as pool:
        with held_signals():  # the workers start during the first submit
            futures = [pool.submit(func, job) for job in jobs]
        return collect(futures, jobs, on_done, on_error)


class _Now:
    """A job run in this process when its result is asked for (a future's interface)."""

    def __init__(self, func: Callable[[Any], Any], job: Any):
        self.func, self.job = func, job

    def result(self) -> Any:
        return self.func(self.job)


def collect(
    futures: Iterable[Any],
    jobs: Sequence[Any],
    on_done: OnDone | None,
    on_error: OnError | None,
) -> list[Any]:
    """Every future's result, in job order, each reported as it is collected."""
    out = []
    for future, job in zip(futures, jobs, strict=True):
        try:
            value = future.result()
        except MemoryError:  # not one job's fault: the command stops and says so
            raise
        except Exception as exc:
            if on_error is None:
                raise
            out.append(on_error(job, exc))
            continue
        out.append(value)
        if on_done:
            on_done(job, value)
    return out


def _run_of(job: RunJob) -> tuple[Scenario, float]:
    """A (scenario, seed, scale) job's scenario and scale (its own where scale is None)."""
    scenario, _, scale = job
    return scenario, scenario.run_scale(scale)


def _on_dask(
    func: Callable[[Any], Any],
    jobs: Sequence[Any],
    scheduler: str,
    on_done: OnDone | None,
    on_error: OnError | None,
) -> list[Any]:
    client = _client(scheduler)
    futures: list[Any] = []
    try:
        futures = client.map(func, jobs, pure=False, retries=DASK_RETRIES)
        return collect(futures, jobs, on_done, on_error)
    except BaseException:  # Ctrl-C, SIGTERM, a failed job: the cluster drops the rest
        client.cancel(futures, force=True)
        raise
    finally:
        client.close()


def _client(scheduler: str) -> Any:
    from dask.distributed import Client

    from sim.errors import UsageError

    try:
        return Client(scheduler, timeout="20s")
    except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address
        msg = f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})"
        raise UsageError(msg) from None
