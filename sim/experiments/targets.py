"""Calibration targets: published figures a scenario must reproduce, and the fit table.

A target names a metric (a column of a run's daily table), an app (or `suite` / `suite_sum`),
a date, a relation (`>=`, `<=`, or `~=` with a band) and a value. `fit_table` compares the
simulated mean over seeds with each target; `loss` turns misses into one scale-free number:
the squared log-ratio by which a mean falls outside what the target allows (0 when it passes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.errors import KeyPath, Problem, ScenarioError
from sim.experiments.outcomes import reading_problems
from sim.experiments.series_targets import read_series
from sim.experiments.target_spec import Target, TargetSet
from sim.results.result import Result
from sim.scenario.load import pydantic_problem
from sim.scenario.schema import Scenario
from sim.scenario.yamlio import LineMap, load_tree


def load_targets(path: str | Path, scenario: Scenario | None = None) -> TargetSet:
    """Read and validate a targets file (errors located like scenario errors); with a
    scenario, also check that every target reads an app, metric and date its runs have."""
    tree, lines = load_tree(path)
    try:
        targets = TargetSet.model_validate(tree)
    except ValidationError as exc:
        raise ScenarioError([pydantic_problem(err, tree, lines) for err in exc.errors()]) from None
    problems = _cross_problems(targets, scenario, lines) if scenario is not None else []
    for i, series in enumerate(targets.series):
        where = ("series", i, "file")
        try:
            rows = read_series(Path(path).parent / series.file, series, lines, where, scenario)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        problems += _clashes(rows, targets, lines, where)
        targets.targets.update(rows)
    if problems:
        raise ScenarioError(problems)
    if not targets.targets:
        raise ScenarioError(
            [lines.problem(("targets",), "no targets (and no series rows)", show=False)]
        )
    return targets


def _clashes(
    rows: dict[str, Target], targets: TargetSet, lines: LineMap, where: KeyPath
) -> list[Problem]:
    """A series row named like a target already read would silently replace it."""
    return [
        lines.problem(where, f"a row of this CSV is named {name!r}, as a target before it")
        for name in rows
        if name in targets.targets
    ]


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
