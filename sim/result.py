"""The result of one run: tidy pandas tables, the run's identity, and quick plots.

`run(scenario, seed, scale)` is the core every other command builds on: it checks memory,
runs the engine and returns a `Result`. Tables are in customers (agents x scale):

- `daily`: one row per (date, app) with stocks (registered, engaged, lapsed), flows
  (new_*), activity (dau, wau, mau trailing 30 days) and dau_mau; app `suite` is the
  de-duplicated suite (each customer once), `suite_sum` the sum over suite apps;
- `monthly`: calendar-month MAU, month-end registered and mean DAU per app and for the suite;
- `overlap`: customers active in both of two apps in a calendar month (and registered in
  both, at year ends);
- `cohorts`: retention of each registration-month cohort in later months.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .engine import Engine, Progress
from .memory import check_memory
from .metrics import frames
from .scenario import scenario_hash
from .schema import Scenario


@dataclass
class Result:
    """Tables of one run, plus what identifies it."""

    scenario: Scenario
    seed: int
    scale: float
    daily: pd.DataFrame
    monthly: pd.DataFrame
    overlap: pd.DataFrame
    cohorts: pd.DataFrame
    wall_seconds: float
    info: dict[str, Any] = field(default_factory=dict)

    def series(self, metric: str, app: str = "suite") -> pd.Series:
        """One metric of one app (or `suite` / `suite_sum`) as a date-indexed series."""
        rows = self.daily[self.daily["app"] == app]
        return rows.set_index("date")[metric]

    def at(self, date: str, metric: str, app: str = "suite") -> float:
        """A metric's value on a date."""
        return float(self.series(metric, app).loc[pd.Timestamp(date)])

    def output_hash(self) -> str:
        """A hash of every table: equal hashes mean identical results."""
        digest = hashlib.sha256()
        for table in (self.daily, self.monthly, self.overlap, self.cohorts):
            digest.update(np.asarray(pd.util.hash_pandas_object(table, index=False)).tobytes())
        return digest.hexdigest()[:16]

    def manifest(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "scenario_hash": scenario_hash(self.scenario),
            "seed": self.seed,
            "scale": self.scale,
            "version": __version__,
            "wall_seconds": round(self.wall_seconds, 3),
            "output_hash": self.output_hash(),
            **self.info,
        }

    def plot(self, metrics: tuple[str, ...] = ("registered", "mau", "dau")):
        """A matplotlib figure of the given metrics per app (one panel each)."""
        from .plotting import growth_figure

        return growth_figure(self, metrics)


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
    used_scale = float(scale or scenario.population.scale)
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
    from .reference import ReferenceEngine

    started = time.perf_counter()
    engine = ReferenceEngine(scenario, seed, scale)
    daily = engine.run()
    daily["dau_mau"] = (daily["dau"] / daily["mau"].where(daily["mau"] > 0)).fillna(0.0)
    wall = time.perf_counter() - started
    empty = pd.DataFrame()
    info = {"agents": engine.pop.n_agents, "engine": "reference"}
    return Result(scenario, seed, scale, daily, empty, empty, empty, wall, info)
