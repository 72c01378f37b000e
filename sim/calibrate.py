"""Calibration: search the free parameters of a scenario so that its runs meet the targets.

A spec names the parameters by their key path in the scenario (`apps.elife.adoption.ceiling`)
with bounds. Optuna's TPE sampler proposes values; each trial runs the scenario at a coarse
scale over the same few seeds (common random numbers make trials comparable) and scores the
scale-free `targets.loss`. The study lives in a SQLite file, so an interrupted calibration
resumes where it stopped; trials run on several worker processes sharing that file.
"""

from __future__ import annotations

import copy
import multiprocessing as mp
import sys
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from .errors import ScenarioError
from .result import Result, run
from .scenario import _problem, scenario_from_dict
from .schema import Model, Scenario
from .targets import TargetSet, loss
from .yamlio import load_tree


class Parameter(Model):
    low: float
    high: float
    log: bool = Field(False, description="search on a log scale")
    source: str = ""


class CalibrationSpec(Model):
    scale: float = Field(2000.0, ge=1.0, description="customers per agent during the search")
    seeds: int = Field(2, ge=1, le=100, description="seeds averaged per trial")
    trials: int = Field(100, ge=1, le=100000)
    parameters: dict[str, Parameter] = Field(min_length=1)
    source: str = ""


def load_spec(path: str | Path) -> CalibrationSpec:
    tree, lines = load_tree(path)
    try:
        return CalibrationSpec.model_validate(tree)
    except ValidationError as exc:
        raise ScenarioError([_problem(err, tree, lines) for err in exc.errors()]) from None


def with_values(tree: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """A copy of a scenario tree with each dotted key path set to its value."""
    out = copy.deepcopy(tree)
    for path, value in values.items():
        node = out
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return out


def check_paths(tree: dict[str, Any], spec: CalibrationSpec, label: str) -> None:
    """Every parameter path must lead into the scenario and give a valid scenario."""
    middle = {p: (b.low + b.high) / 2 for p, b in spec.parameters.items()}
    try:
        scenario_from_dict(with_values(tree, middle), label)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems) from None


def evaluate(
    scenario: Scenario, targets: TargetSet, seeds: int, scale: float
) -> tuple[float, list[Result]]:
    results = [run(scenario, seed=s, scale=scale) for s in range(seeds)]
    return loss(results, targets), results


def _objective(tree: dict[str, Any], spec: CalibrationSpec, targets: TargetSet):
    def objective(trial: Any) -> float:
        values = {
            path: trial.suggest_float(path, p.low, p.high, log=p.log)
            for path, p in spec.parameters.items()
        }
        scenario = scenario_from_dict(with_values(tree, values))
        value, _ = evaluate(scenario, targets, spec.seeds, spec.scale)
        return value

    return objective


def _worker(
    storage: str,
    name: str,
    tree: dict[str, Any],
    spec: CalibrationSpec,
    targets: TargetSet,
    n_trials: int,
    worker: int,
) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=1000 + worker + len(_study(storage, name).trials))
    study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)

    def report(study: Any, trial: Any) -> None:
        done = len(study.trials)
        print(
            f"  trial {trial.number:4d} loss {trial.value:.4f}  best {study.best_value:.4f}"
            f"  ({done} in study)",
            file=sys.stderr,
            flush=True,
        )

    study.optimize(_objective(tree, spec, targets), n_trials=n_trials, callbacks=[report])


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
    scenario_path: Path, targets: TargetSet, spec: CalibrationSpec, out_dir: Path, workers: int = 2
) -> dict[str, float]:
    """Run (or resume) the study in `out_dir/study.db`; return the best parameter values."""
    tree, _ = load_tree(scenario_path)
    check_paths(tree, spec, str(scenario_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    storage = f"sqlite:///{out_dir / 'study.db'}"
    name = f"calibrate-{scenario_path.stem}"
    study = _study(storage, name)
    if not study.trials:  # the first trial evaluates the scenario as written
        study.enqueue_trial(_current_values(tree, spec), skip_if_exists=True)
    remaining = max(0, spec.trials - len([t for t in study.trials if t.state.is_finished()]))
    shares = [remaining // workers + (1 if i < remaining % workers else 0) for i in range(workers)]
    ctx = mp.get_context("fork")
    procs = [
        ctx.Process(target=_worker, args=(storage, name, tree, spec, targets, n, i))
        for i, n in enumerate(shares)
        if n
    ]
    for proc in procs:
        proc.start()
    try:
        for proc in procs:
            proc.join()
    except KeyboardInterrupt:
        for proc in procs:
            proc.terminate()
        raise
    return dict(_study(storage, name).best_params)
