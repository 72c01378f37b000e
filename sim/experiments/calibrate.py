"""Calibration: search the free parameters of a scenario so that its runs meet the targets.

A spec names the parameters by their key path in the scenario (`apps.elife.adoption.ceiling`)
with bounds. Optuna's TPE sampler proposes values; each trial runs the scenario at a coarse
scale over the same few seeds (common random numbers make trials comparable) and scores the
scale-free `targets.loss`. The study lives in a SQLite file, so an interrupted calibration
resumes where it stopped; trials are asked in batches whose runs go to local worker processes
or a Dask cluster, like `compare` and `sweep`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from sim.errors import Problem, ScenarioError
from sim.experiments.ranges import bound_checks, problems_against_base, range_problems, with_values
from sim.experiments.targets import TargetSet, loss
from sim.scenario.load import pydantic_problem, scenario_from_dict
from sim.scenario.schema import Model
from sim.scenario.yamlio import LineMap, load_tree


class Parameter(Model):
    low: float
    high: float
    log: bool = Field(False, description="search on a log scale")
    source: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        if not self.low < self.high:
            raise ValueError(f"low must be below high (low {self.low:g}, high {self.high:g})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log scale needs low > 0 (got low {self.low:g})")
        return self


class CalibrationSpec(Model):
    scale: float = Field(2000.0, ge=1.0, description="customers per agent during the search")
    seeds: int = Field(2, ge=1, le=100, description="seeds averaged per trial")
    trials: int = Field(100, ge=1, le=100000)
    parameters: dict[str, Parameter] = Field(min_length=1)
    source: str = ""


def load_spec(path: str | Path, base: str | Path | None = None) -> CalibrationSpec:
    """Read and validate a calibration spec; with the `base` scenario, also check its scale
    and every parameter's bounds (and a value between them) against that scenario."""
    tree, lines = load_tree(path)
    try:
        spec = CalibrationSpec.model_validate(tree)
    except ValidationError as exc:
        raise ScenarioError([pydantic_problem(err, tree, lines) for err in exc.errors()]) from None
    if base is not None:
        problems = _problems_against(spec, lines, base)
        if problems:
            raise ScenarioError(problems)
    return spec


def _problems_against(spec: CalibrationSpec, lines: LineMap, base: str | Path) -> list[Problem]:
    """The spec's scale and bounds checked against the scenario `base`."""
    checks = {name: bound_checks(p.low, p.high) for name, p in spec.parameters.items()}
    return problems_against_base(base, spec.scale, checks, lines)


def check_paths(tree: dict[str, Any], spec: CalibrationSpec, label: str) -> None:
    """Every parameter path must lead into the scenario and give a valid scenario."""
    middle = {p: (b.low + b.high) / 2 for p, b in spec.parameters.items()}
    try:
        scenario_from_dict(with_values(tree, middle), label)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems) from None


def bound_problems(
    parameters: dict[str, Parameter],
    lines: LineMap,
    tree: dict[str, Any],
    tree_lines: LineMap,
    scale: float | None = None,
) -> list[Problem]:
    """What is wrong with each parameter's `low` and `high` and a value between them, each
    set alone in the scenario `tree`, located at the spec's line of the bound (`lines`);
    with `scale`, a bound that leaves no agent at that scale is one too."""
    checks = {name: bound_checks(p.low, p.high) for name, p in parameters.items()}
    return range_problems(checks, lines, tree, tree_lines, scale)


def _current_values(tree: dict[str, Any], spec: CalibrationSpec) -> dict[str, float]:
    """The scenario's own values of the free parameters, clipped into their bounds."""
    out = {}
    for path, bounds in spec.parameters.items():
        node: Any = tree
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, int | float):
            out[path] = min(max(float(node), bounds.low), bounds.high)
    return out


def _study(storage: str, name: str) -> Any:
    import optuna

    return optuna.create_study(
        study_name=name, storage=storage, load_if_exists=True, direction="minimize"
    )


def calibrate(
    scenario_path: Path,
    targets: TargetSet,
    spec: CalibrationSpec,
    out_dir: Path,
    workers: int = 2,
    scheduler: str | None = None,
) -> dict[str, float]:
    """Run (or resume) the study in `out_dir/study.db`; return the best parameter values.

    Trials are asked in batches of `workers`; each batch's runs (trials x seeds) go to the
    same backends as `compare` and `sweep`: local processes or a Dask cluster."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    tree, _ = load_tree(scenario_path)
    check_paths(tree, spec, str(scenario_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    study = _study(f"sqlite:///{out_dir / 'study.db'}", f"calibrate-{scenario_path.stem}")
    if not study.trials:  # the first trial evaluates the scenario as written
        study.enqueue_trial(_current_values(tree, spec), skip_if_exists=True)
    while (done := _finished(study)) < spec.trials:
        batch = [study.ask() for _ in range(min(workers, spec.trials - done))]
        for trial, value in zip(
            batch, _score(batch, tree, spec, targets, workers, scheduler), strict=True
        ):
            study.tell(trial, value)
            print(
                f"  trial {trial.number:4d} loss {value:.4f}  best {study.best_value:.4f}"
                f"  ({_finished(study)}/{spec.trials})",
                file=sys.stderr,
                flush=True,
            )
    return dict(study.best_params)


def _finished(study: Any) -> int:
    return sum(t.state.is_finished() for t in study.trials)


def _score(
    batch: list[Any],
    tree: dict[str, Any],
    spec: CalibrationSpec,
    targets: TargetSet,
    workers: int,
    scheduler: str | None,
) -> list[float]:
    """The loss of each trial of a batch, its runs spread over the backend."""
    from sim.experiments.executor import map_jobs, run_job

    scenarios = []
    for trial in batch:
        values = {
            path: trial.suggest_float(path, p.low, p.high, log=p.log)
            for path, p in spec.parameters.items()
        }
        scenarios.append(scenario_from_dict(with_values(tree, values)))
    jobs = [(sc, seed, spec.scale) for sc in scenarios for seed in range(spec.seeds)]
    results = map_jobs(run_job, jobs, workers, scheduler=scheduler)
    per_trial = [results[i * spec.seeds : (i + 1) * spec.seeds] for i in range(len(batch))]
    return [loss(runs, targets) for runs in per_trial]
