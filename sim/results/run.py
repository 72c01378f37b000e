"""`run(scenario, seed, scale)`: the core every command builds on.

It resolves the scale once, checks memory, runs the engine and returns a `Result`.
"""

from __future__ import annotations

import time

import pandas as pd

from sim.engine.fast import Engine, Progress
from sim.engine.memory import check_memory
from sim.engine.recorder import frames
from sim.results.result import Result
from sim.scenario.schema import Scenario


def run(
    scenario: Scenario,
    seed: int = 0,
    scale: float | None = None,
    progress: Progress | None = None,
    engine: str = "fast",
) -> Result:
    """Simulate `scenario` once; the same scenario, seed and scale give identical results.
    `engine="reference"` runs the one-process-per-customer engine (small worlds only; its
    tables hold registered, engaged, DAU and MAU)."""
    used_scale = scenario.run_scale(scale)
    if engine == "reference":
        return _run_reference(scenario, seed, used_scale)
    estimate = check_memory(scenario, used_scale)
    started = time.perf_counter()
    fast = Engine(scenario, seed, used_scale)
    recorder = fast.run(progress)
    tables = frames(recorder, list(scenario.apps), used_scale)
    wall = time.perf_counter() - started
    info = {"agents": fast.pop.n_agents, "memory_estimate_bytes": estimate}
    return Result(scenario, seed, used_scale, wall_seconds=wall, info=info, **tables)


def _run_reference(scenario: Scenario, seed: int, scale: float) -> Result:
    from sim.engine.reference import ReferenceEngine

    started = time.perf_counter()
    engine = ReferenceEngine(scenario, seed, scale)
    daily = engine.run()
    daily["dau_mau"] = (daily["dau"] / daily["mau"].where(daily["mau"] > 0)).fillna(0.0)
    wall = time.perf_counter() - started
    empty = pd.DataFrame()
    info = {"agents": engine.pop.n_agents, "engine": "reference"}
    return Result(scenario, seed, scale, daily, empty, empty, empty, wall, info)
