"""A targets file's contents: each target (metric, app, date, relation, value, tolerance),
the series CSVs it names, and how a simulated value misses a target (a log-ratio).

Read by `sim.experiments.targets` (the file, the fit table, the loss) and by
`sim.experiments.series_targets` (a CSV's rows as targets).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from sim.scenario.schema import Date, Model


class Target(Model):
    metric: str = Field(min_length=1)
    app: str = Field(min_length=1)
    date: Date
    relation: Literal[">=", "<=", "~="]
    value: float = Field(gt=0)
    band: tuple[float, float] | None = Field(None, description="[low, high] for '~='")
    rel_tol: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="tolerance for rounding and definitions: the interval widened by the "
        "factor 1 + rel_tol at each open end, in log space",
    )
    source: str = ""
    reading: str = ""

    @model_validator(mode="after")
    def _band_fits(self) -> Target:
        if self.relation == "~=" and (
            self.band is None or not self.band[0] <= self.value <= self.band[1]
        ):
            raise ValueError("'~=' needs band: [low, high] around value")
        return self

    def bounds(self) -> tuple[float, float]:
        """The interval of simulated values that pass (widened by `rel_tol`)."""
        widen = 1.0 + self.rel_tol
        if self.relation == ">=":
            return self.value / widen, math.inf
        if self.relation == "<=":
            return 0.0, self.value * widen
        assert self.band is not None
        return self.band[0] / widen, self.band[1] * widen

    def miss(self, simulated: float) -> float:
        """Log-ratio by which `simulated` lies outside the passing interval (0 inside)."""
        low, high = self.bounds()
        simulated = max(simulated, 1.0)
        if simulated < low:
            return math.log(low / simulated)
        if simulated > high:
            return math.log(simulated / high)
        return 0.0


class SeriesFile(Model):
    """A CSV of monthly figures (`date, app, metric, value[, rel_tol]`), e.g. a bank's own."""

    file: str = Field(min_length=1, description="path of the CSV, relative to this file")
    rel_tol: float = Field(
        0.1,
        ge=0.0,
        lt=1.0,
        description="default tolerance of its rows: value / (1 + tol) .. value x (1 + tol)",
    )
    source: str = Field(min_length=1)


class TargetSet(Model):
    source: str = ""
    targets: dict[str, Target] = Field(default_factory=dict)
    series: list[SeriesFile] = Field(default_factory=list)
