"""Calibration targets: published figures a scenario must reproduce, and the fit table.

A target names a metric (a column of a run's daily table), an app (or `suite` / `suite_sum`),
a date, a relation (`>=`, `<=`, or `~=` with a band) and a value. `fit_table` compares the
simulated mean over seeds with each target; `loss` turns misses into one scale-free number:
the squared log-ratio by which a mean falls outside what the target allows (0 when it passes).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from sim.errors import Problem, ScenarioError
from sim.experiments.outcomes import reading_problems
from sim.experiments.series_targets import read_series
from sim.results.result import Result
from sim.scenario.load import pydantic_problem
from sim.scenario.schema import Date, Model, Scenario
from sim.scenario.yamlio import LineMap, load_tree


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


def load_targets(path: str | Path, scenario: Scenario | None = None) -> TargetSet:
    """Read and validate a targets file (errors located like scenario errors); with a
    scenario, also check that every target reads an app, metric and date its runs have."""
    tree, lines = load_tree(path)
    try:
        targets = TargetSet.model_validate(tree)
    except ValidationError as exc:
        raise ScenarioError([pydantic_problem(err, tree, lines) for err in exc.errors()]) from None
    for i, series in enumerate(targets.series):
        rows = read_series(Path(path).parent / series.file, series, lines, ("series", i, "file"))
        targets.targets.update(rows)
    if not targets.targets:
        raise ScenarioError([lines.problem(("targets",), "no targets (and no series rows)")])
    if scenario is not None:
        problems = _cross_problems(targets, scenario, lines)
        if problems:
            raise ScenarioError(problems)
    return targets


def _cross_problems(targets: TargetSet, scenario: Scenario, lines: LineMap) -> list[Problem]:
    problems = []
    for name, t in targets.targets.items():
        problems += reading_problems(("targets", name), t.app, t.metric, t.date, scenario, lines)
    return problems


def target_value(result: Result, target: Target) -> float:
    """The simulated value a target looks at."""
    return result.at(target.date.isoformat(), target.metric, target.app)


def fit_table(results: list[Result], targets: TargetSet) -> pd.DataFrame:
    """Per target: relation, simulated mean and 90% band over the runs, and pass/fail."""
    rows = []
    for name, target in targets.targets.items():
        values = np.array([target_value(r, target) for r in results])
        mean = float(values.mean())
        low, high = target.bounds()
        rows.append(
            {
                "target": name,
                "app": target.app,
                "metric": target.metric,
                "date": target.date.isoformat(),
                "relation": _relation_text(target),
                "simulated_mean": mean,
                "band_5": float(np.percentile(values, 5)),
                "band_95": float(np.percentile(values, 95)),
                "pass": bool(low <= mean <= high),
            }
        )
    return pd.DataFrame(rows)


def _relation_text(target: Target) -> str:
    if target.relation == "~=":
        assert target.band is not None
        return f"in [{target.band[0] / 1e6:g}, {target.band[1] / 1e6:g}] M"
    return f"{target.relation} {target.value / 1e6:g} M"


def loss(results: list[Result], targets: TargetSet) -> float:
    """Sum over targets of the squared log-miss of the mean over runs (0 = all pass)."""
    total = 0.0
    for target in targets.targets.values():
        mean = float(np.mean([target_value(r, target) for r in results]))
        total += target.miss(mean) ** 2
    return total
