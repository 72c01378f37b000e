"""The result of one run: tidy pandas tables, the run's identity, and quick plots.

`sim.results.run.run` makes one. Tables are in customers (agents x scale):

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.scenario.load import scenario_hash
from sim.scenario.schema import Scenario


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
        from sim.results.figures import growth_figure

        return growth_figure(self, metrics)
