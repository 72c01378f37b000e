"""Progress: a bar over simulated days for one run (terminal only), and for multi-run
commands an estimate before they start and a bar (or plain lines) over the runs."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tqdm import tqdm

from sim.results.words import counted
from sim.scenario.schema import Scenario


@contextmanager
def day_progress(scenario: Scenario, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """Yield a callback `progress(day)` that advances a bar over the horizon's days."""
    n_days = (scenario.horizon.end - scenario.horizon.start).days + 1
    bar = tqdm(
        total=n_days,
        desc=scenario.name,
        unit="day",
        disable=None if enabled else True,
        mininterval=0.5,
        leave=False,
    )
    state = {"shown": 0}

    def progress(day: int) -> None:
        if day - state["shown"] >= 30 or day == n_days - 1:
            bar.update(day + 1 - state["shown"])
            state["shown"] = day + 1

    try:
        yield progress
    finally:
        bar.close()


# Seconds a worker takes per agent and simulated day: the baseline at 1:100 (6.8 M agents x
# 2,557 days) took about 61 s a run (`appsim check`, 10 seeds on 2 workers, 5 min 18 s on a
# 2-core machine); only an estimate's order.
SECONDS_PER_AGENT_DAY = 3.5e-9
STARTUP_SECONDS = 10.0  # a worker's imports and compiled kernels, before its first run


def estimate_seconds(scenario: Scenario, scale: float | None, n_runs: int, workers: int) -> float:
    """Wall time of `n_runs` runs like `scenario` at `scale` (its own if None) on `workers`."""
    from sim.engine.memory import n_agents

    days = (scenario.horizon.end - scenario.horizon.start).days + 1
    agents = n_agents(scenario, scenario.run_scale(scale))
    rounds = -(-n_runs // max(1, workers))  # runs in parallel, `workers` at a time
    return STARTUP_SECONDS + rounds * agents * days * SECONDS_PER_AGENT_DAY


def clock(seconds: float) -> str:
    """`42 s`, `3 min 05 s`, `1 h 02 min`."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class RunProgress:
    """What a multi-run command shows while it runs: first the number of runs and a time
    estimate, then one tqdm bar (n/N, elapsed, remaining) on a terminal, or one plain line
    per finished run (n/N, elapsed, remaining) when stderr is a file or a pipe."""

    def __init__(self, n_runs: int, what: str, estimate: float, stream: TextIO | None = None):
        self.n, self.total, self.stream = 0, n_runs, stream or sys.stderr
        self.started = time.perf_counter()
        print(f"{counted(n_runs, 'run')} ({what}), about {clock(estimate)}", file=self.stream)
        self.bar = tqdm(total=n_runs, unit="run", file=self.stream) if _tty(self.stream) else None

    def __call__(self, *_: object) -> None:
        """One run finished (takes and ignores the result, as `on_done` callbacks get it)."""
        self.n += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        elapsed = time.perf_counter() - self.started
        left = elapsed / self.n * (self.total - self.n)
        print(
            f"  {self.n}/{counted(self.total, 'run')}, {clock(elapsed)} elapsed, "
            f"~{clock(left)} left",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def run_jobs(
    jobs: list[tuple[Scenario, int, float | None]],
    what: str,
    workers: int,
    scheduler: str | None = None,
) -> list[Any]:
    """Every (scenario, seed, scale) job's result, in job order: the estimate printed first,
    then one progress bar while they run (`what` names them, e.g. "3 scenarios x 10 seeds").
    Every job's scale is resolved first: one that leaves a scenario no agent is refused
    before any run, not after the others' runs."""
    from sim.experiments.executor import map_jobs, run_job

    for scenario, _, scale in {id(job[0]): job for job in jobs}.values():
        scenario.run_scale(scale)
    scenario, _, scale = jobs[0]
    progress = RunProgress(len(jobs), what, estimate_seconds(scenario, scale, len(jobs), workers))
    try:
        return map_jobs(run_job, jobs, workers, on_done=progress, scheduler=scheduler)
    finally:
        progress.close()
