"""Sweeps: many runs over sampled parameters, a result store, and sensitivity indices.

A sweep spec names a base scenario, parameters (key paths) with ranges, a sampler (grid,
Latin hypercube, Sobol/Saltelli, Morris; the designs come from SALib), seeds per point and
the outcomes to read. Each run is identified by a content hash of what determines it
(resolved scenario, seed, scale, engine version), and its result is kept in the store under
that hash, so an interrupted sweep, run again, computes only what is missing. Runs execute
in this process, on local worker processes (`workers`) or on a Dask cluster (`scheduler`),
through the executor every command uses (`sim.experiments.executor`); per-run seeds come
from the spec, so every backend gives the same numbers, bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from sim import __version__
from sim.errors import ScenarioError
from sim.experiments.calibrate import Parameter, bound_problems, with_values
from sim.experiments.outcomes import reading_problems
from sim.results.run import run
from sim.scenario.load import load_scenario, pydantic_problem, scenario_from_dict, scenario_hash
from sim.scenario.schema import Date, Model, Scenario
from sim.scenario.yamlio import load_tree


class Outcome(Model):
    metric: str
    app: str
    date: Date


class SweepSpec(Model):
    scenario: str = Field(description="base scenario, relative to the spec file")
    sampler: Literal["grid", "lhs", "sobol", "morris"] = "morris"
    samples: int = Field(10, ge=1, le=100000, description="N (grid: points per parameter)")
    seeds: int = Field(1, ge=1, le=1000, description="replications per point")
    scale: float = Field(2000.0, ge=1.0)
    sampler_seed: int = Field(1, ge=0)
    parameters: dict[str, Parameter] = Field(min_length=1)
    outcomes: dict[str, Outcome] = Field(min_length=1)
    source: str = ""


def load_sweep(path: str | Path) -> tuple[SweepSpec, Path]:
    """The spec and the resolved path of its base scenario, which is loaded (a bad one is
    reported like any other) and against which each parameter's bounds, the scale and each
    outcome's app, metric and date are checked, so that no mistake waits for the runs."""
    tree, lines = load_tree(path)
    try:
        spec = SweepSpec.model_validate(tree)
    except ValidationError as exc:
        raise ScenarioError([pydantic_problem(err, tree, lines) for err in exc.errors()]) from None
    problems = [
        lines.problem(("outcomes", name), "an outcome's name may not contain '/' or '\\'", name)
        for name in spec.outcomes
        if "/" in name or "\\" in name
    ]
    if problems:
        raise ScenarioError(problems)
    base = (Path(path).parent / spec.scenario).resolve()
    scenario = load_scenario(base)
    too_coarse = scenario.too_coarse(spec.scale)
    if too_coarse:
        problems.append(lines.problem(("scale",), too_coarse, spec.scale))
    base_tree, base_lines = load_tree(base)
    scale = None if too_coarse else spec.scale  # (said once, not again for every bound)
    problems += bound_problems(spec.parameters, lines, base_tree, base_lines, scale)
    for name, o in spec.outcomes.items():
        problems += reading_problems(("outcomes", name), o.app, o.metric, o.date, scenario, lines)
    if problems:
        raise ScenarioError(problems)
    return spec, base


# -- the design ----------------------------------------------------------------------------------
def problem(spec: SweepSpec) -> dict[str, Any]:
    names = list(spec.parameters)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [[p.low, p.high] for p in spec.parameters.values()],
    }


def design(spec: SweepSpec) -> np.ndarray:
    """The sampled points, one row per point, one column per parameter."""
    prob = problem(spec)
    if spec.sampler == "morris":
        from SALib.sample import morris

        return morris.sample(prob, spec.samples, num_levels=4, seed=spec.sampler_seed)
    if spec.sampler == "sobol":
        from SALib.sample import sobol

        return sobol.sample(prob, spec.samples, calc_second_order=False, seed=spec.sampler_seed)
    if spec.sampler == "lhs":
        from SALib.sample import latin

        return latin.sample(prob, spec.samples, seed=spec.sampler_seed)
    axes = [np.linspace(lo, hi, spec.samples) for lo, hi in prob["bounds"]]
    return np.array(np.meshgrid(*axes, indexing="ij")).reshape(len(axes), -1).T


# -- runs and the store ----------------------------------------------------------------------
STORE_KEY, STORE_HASH = b"appsim.key", b"appsim.sha256"  # in each stored file's schema metadata


def run_key(scenario: Scenario, seed: int, scale: float, dates: list[str]) -> str:
    """The content hash a run's result is stored under: everything that shapes the stored
    table (resolved scenario, seed, scale, engine version and the dates the store keeps)."""
    text = f"{scenario_hash(scenario)}|{seed}|{scale:g}|{__version__}|{','.join(sorted(dates))}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def table_hash(table: pd.DataFrame) -> str:
    """A content hash of a stored table: its column names, dtypes and every value (times in
    nanoseconds, as Parquet may store them in another unit)."""
    table = table.copy()
    for column in table.columns:
        if pd.api.types.is_datetime64_any_dtype(table[column]):
            table[column] = table[column].astype("datetime64[ns]")
    digest = hashlib.sha256()
    digest.update(json.dumps([[str(c), str(t)] for c, t in table.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def write_stored(path: Path, key: str, table: pd.DataFrame) -> None:
    """Store `table` under `key`, with the key and the table's hash in the file's metadata;
    all or nothing (under kill -9 only a hidden .tmp remains)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    meta = {**(arrow.schema.metadata or {}), STORE_KEY: key.encode()}
    meta[STORE_HASH] = table_hash(arrow.to_pandas()).encode()
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        pq.write_table(arrow.replace_schema_metadata(meta), tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_stored(path: Path, key: str) -> pd.DataFrame | None:
    """The table stored under `key`, or None when the file is missing, unreadable
    (truncated, corrupt), written for another key, or its content no longer matches its hash."""
    import pyarrow.parquet as pq

    try:
        arrow = pq.read_table(path)
        meta = arrow.schema.metadata or {}
        if meta.get(STORE_KEY) != key.encode():
            return None
        table = arrow.to_pandas()
        if meta.get(STORE_HASH) != table_hash(table).encode():
            return None
        if "run" not in table or not (table["run"] == key).all():
            return None
    except Exception:  # any damage the reader trips on (OSError, ArrowInvalid, ...)
        return None
    return table


def execute(job: dict[str, Any]) -> dict[str, float]:
    """Run one job (or read it from the store); return its outcomes. Runs on any worker.
    A stored file that does not verify (see `read_stored`) is recomputed and overwritten."""
    store = Path(job["store"])
    path = store / f"{job['key']}.parquet"
    table = read_stored(path, job["key"])
    if table is None:
        scenario = Scenario.model_validate_json(job["scenario"])
        result = run(scenario, seed=job["seed"], scale=job["scale"])
        keep = result.daily[result.daily["date"].isin(pd.to_datetime(job["dates"]))].copy()
        keep.insert(0, "run", job["key"])
        write_stored(path, job["key"], keep.reset_index(drop=True))
        table = read_stored(path, job["key"])
        if table is None:
            raise OSError(f"the result store cannot keep {path}")
    out = {}
    for name, o in job["outcomes"].items():
        rows = table[(table["app"] == o["app"]) & (table["date"] == pd.Timestamp(o["date"]))]
        out[name] = float(rows[o["metric"]].iloc[0]) if len(rows) else float("nan")
    return out


def jobs_for(
    spec: SweepSpec, base_tree: dict[str, Any], points: np.ndarray, store: Path
) -> list[dict[str, Any]]:
    """One job per (point, seed), with everything a worker needs."""
    names = list(spec.parameters)
    outcomes = {
        k: {"metric": o.metric, "app": o.app, "date": o.date.isoformat()}
        for k, o in spec.outcomes.items()
    }
    jobs = []
    for i, row in enumerate(points):
        scenario = scenario_from_dict(
            with_values(base_tree, dict(zip(names, map(float, row), strict=True)))
        )
        dates = _stored_dates(scenario, spec)
        for seed in range(spec.seeds):
            jobs.append(
                {
                    "point": i,
                    "seed": seed,
                    "scale": spec.scale,
                    "store": str(store),
                    "key": run_key(scenario, seed, spec.scale, dates),
                    "outcomes": outcomes,
                    "scenario": scenario.model_dump_json(),
                    "dates": dates,
                }
            )
    return jobs


def _stored_dates(scenario: Scenario, spec: SweepSpec) -> list[str]:
    """Month ends and the outcomes' dates: what the store keeps of each run."""
    ends = pd.date_range(scenario.horizon.start, scenario.horizon.end, freq="ME")
    extra = [pd.Timestamp(o.date) for o in spec.outcomes.values()]
    return sorted({d.isoformat() for d in [*ends, *extra]})


Progress = Callable[[str], None]


def run_jobs(
    jobs: list[dict[str, Any]],
    workers: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[dict[str, float]]:
    """Outcomes of every job, in job order, from the chosen backend. Jobs with the same key
    (a design that visits a point twice, as Morris trajectories do) are one run: each
    distinct run is executed or read once, and `progress` hears of each distinct run once."""
    tick = progress or (lambda _: None)
    runs = planned(jobs)
    by_key = dict(zip(_index(runs), _run_distinct(runs, workers, scheduler, tick), strict=True))
    return [by_key[job["key"]] for job in jobs]


def planned(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct runs of `jobs`, each job marked `cached` if the store holds its run
    (read once: a second call keeps the marks)."""
    runs = distinct(jobs)
    for job in runs:
        if "cached" not in job:
            path = Path(job["store"]) / f"{job['key']}.parquet"
            job["cached"] = read_stored(path, job["key"]) is not None
    index = _index(runs)
    for job in jobs:
        job["cached"] = runs[index[job["key"]]]["cached"]
    return runs


def distinct(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first job of each key, in job order."""
    return list({job["key"]: job for job in reversed(jobs)}.values())[::-1]


def _index(runs: list[dict[str, Any]]) -> dict[str, int]:
    return {job["key"]: i for i, job in enumerate(runs)}


def _run_distinct(
    runs: list[dict[str, Any]], workers: int, scheduler: str | None, tick: Progress
) -> list[dict[str, float]]:
    """Each distinct run's outcomes, on the one executor of every command; a run that
    fails (on every retry, on a cluster) is counted and its outcomes are NaN, not hidden."""
    from sim.experiments.executor import map_jobs

    def done(job: dict[str, Any], _: dict[str, float]) -> None:
        tick("cached" if job["cached"] else "done")

    def failed(job: dict[str, Any], _: Exception) -> dict[str, float]:
        tick("failed")
        return {k: float("nan") for k in job["outcomes"]}

    fresh = [job for job in runs if not job["cached"]]
    sizes = [(Scenario.model_validate_json(job["scenario"]), job["scale"]) for job in fresh]
    return map_jobs(execute, runs, workers, done, scheduler, failed, sizes)


# -- the table and the indices -----------------------------------------------------------
def runs_table(
    spec: SweepSpec,
    points: np.ndarray,
    jobs: list[dict[str, Any]],
    outcomes: list[dict[str, float]],
) -> pd.DataFrame:
    names = list(spec.parameters)
    rows = []
    for job, values in zip(jobs, outcomes, strict=True):
        inputs = dict(zip(names, map(float, points[job["point"]]), strict=True))
        rows.append(
            {"point": job["point"], "seed": job["seed"], "run": job["key"], **inputs, **values}
        )
    return pd.DataFrame(rows)


def sensitivity(spec: SweepSpec, points: np.ndarray, table: pd.DataFrame) -> pd.DataFrame:
    """Morris (mu*, sigma) or Sobol (S1, ST) indices with 95% CIs, per outcome."""
    if spec.sampler not in ("morris", "sobol"):
        return pd.DataFrame()
    prob = problem(spec)
    parts = []
    for outcome in spec.outcomes:
        y = table.groupby("point")[outcome].mean().reindex(range(len(points))).to_numpy()
        parts.append(_indices(spec.sampler, prob, points, y, outcome))
    return pd.concat(parts, ignore_index=True)


def _indices(
    sampler: str, prob: dict[str, Any], x: np.ndarray, y: np.ndarray, outcome: str
) -> pd.DataFrame:
    if sampler == "morris":
        from SALib.analyze import morris

        res = morris.analyze(prob, x, y, num_levels=4, conf_level=0.95, seed=1)
        return pd.DataFrame(
            {
                "outcome": outcome,
                "parameter": prob["names"],
                "index": "mu_star",
                "value": res["mu_star"],
                "ci95": res["mu_star_conf"],
                "sigma": res["sigma"],
            }
        )
    from SALib.analyze import sobol

    res = sobol.analyze(prob, y, calc_second_order=False, conf_level=0.95, seed=1)
    first = pd.DataFrame(
        {
            "outcome": outcome,
            "parameter": prob["names"],
            "index": "S1",
            "value": res["S1"],
            "ci95": res["S1_conf"],
        }
    )
    total = pd.DataFrame(
        {
            "outcome": outcome,
            "parameter": prob["names"],
            "index": "ST",
            "value": res["ST"],
            "ci95": res["ST_conf"],
        }
    )
    return pd.concat([first, total], ignore_index=True)


def manifest(
    spec: SweepSpec, base: Path, jobs: list[dict[str, Any]], counts: dict[str, int]
) -> dict[str, Any]:
    """What the sweep was and did: `design_runs` (points x seeds) and `distinct_runs` (of
    those, the different ones), of which `done` were computed, `cached` read from the store
    and `failed` failed."""
    return {
        "base": str(base),
        "sampler": spec.sampler,
        "samples": spec.samples,
        "seeds": spec.seeds,
        "scale": spec.scale,
        "design_runs": len(jobs),
        "distinct_runs": len(distinct(jobs)),
        **counts,
        "spec": json.loads(spec.model_dump_json()),
    }
