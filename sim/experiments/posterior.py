"""Posterior calibration: ABC-SMC (pyabc) over a prior, with the targets' hinge as distance.

Every simulated world draws its parameters from the prior (later, from the previous
generation's particles), runs the scenario at the prior's scale with a fresh seed (a
nuisance: seeds are derived from the particle's values and the calibration's seed, never
tuned) and is scored by the
targets' log-space hinge: 0 when every target's interval holds, else the root of the summed
squared log-misses. Epsilon falls generation by generation (the median of the accepted
distances) until it reaches 0; the particles accepted at epsilon 0 are draws from the prior
restricted to the worlds where every target holds, which is the posterior an interval
target (a figure known up to its rounding and definitions) gives.

The history lives in `abc.db` (SQLite, written by the main process only, so parallel workers
never lock it): a calibration stopped by Ctrl-C or kill -9 resumes from its last complete
generation when started again with the same out folder. The sampler (abc_sampler.py) seeds
every proposal from the calibration's `seed`, so the same seed gives the same posterior.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.calibrate import with_values
from sim.experiments.prior import Prior
from sim.experiments.targets import TargetSet, target_value
from sim.scenario.load import scenario_from_dict

DB_NAME = "abc.db"
MIN_ACCEPTANCE = 0.005  # below this a generation costs 200x its particles: stop and say so
LOW_ESS_SHARE = 0.1  # an effective sample below a tenth of the particles is a warning


@dataclass
class WorldModel:
    """One simulated world per call: the particle's values into the scenario, then a run."""

    tree: dict[str, Any]
    prior: Prior
    targets: TargetSet
    names: dict[str, str]  # pyabc's parameter name -> the scenario's key path
    seed: int = 0  # the calibration's seed, mixed into every world's simulation seed

    def __call__(self, particle: dict[str, float]) -> dict[str, float]:
        from sim.results.run import run

        values = {path: float(particle[name]) for name, path in self.names.items()}
        scenario = scenario_from_dict(with_values(self.tree, values))
        seed = seed_of(values, self.seed)
        runs = [
            run(scenario, seed=seed + k, scale=self.prior.scale) for k in range(self.prior.seeds)
        ]
        return {
            name: float(np.mean([target_value(r, t) for r in runs]))
            for name, t in self.targets.targets.items()
        }


def seed_of(values: dict[str, float], base: int = 0) -> int:
    """A seed from a particle's values and the calibration's seed: distinct worlds get
    independent streams, and the same world the same stream, whatever process runs it."""
    text = json.dumps([base, values], sort_keys=True).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "little")


@dataclass
class Hinge:
    """The distance of a world's target values from the targets' intervals (0 inside all)."""

    targets: TargetSet

    def __call__(self, simulated: dict[str, float], _observed: dict[str, float]) -> float:
        misses = [t.miss(simulated[name]) for name, t in self.targets.targets.items()]
        return math.sqrt(sum(m * m for m in misses))


def safe_names(prior: Prior) -> dict[str, str]:
    """Short parameter names for pyabc's database (key paths carry dots)."""
    return {f"p{i:02d}": path for i, path in enumerate(prior.parameters)}


def world_model(tree: dict[str, Any], prior: Prior, targets: TargetSet, seed: int) -> WorldModel:
    """The model pyabc calls: a particle's values into the scenario `tree`, then its runs."""
    return WorldModel(tree, prior, targets, safe_names(prior), seed)


def build_abc(
    model: Any,
    prior: Prior,
    targets: TargetSet,
    workers: int,
    scheduler: str | None,
    seed: int = 0,
) -> Any:
    """pyabc's ABC-SMC over `prior` with the targets' hinge as distance. `model` maps a
    particle (pyabc's names, `safe_names`) to the targets' simulated values: a WorldModel,
    or in tests a closed-form stand-in through the same code path."""
    import pyabc

    names = safe_names(prior)
    priors = pyabc.Distribution(
        **{name: pyabc.RV(*prior.parameters[path].scipy_rv()) for name, path in names.items()}
    )
    return pyabc.ABCSMC(
        model,
        priors,
        Hinge(targets),
        population_size=prior.population,
        sampler=_sampler(workers, scheduler, seed),
        eps=pyabc.MedianEpsilon(),
    )


def _sampler(workers: int, scheduler: str | None, seed: int) -> Any:
    from sim.experiments.abc_sampler import SeededSampler

    if scheduler:
        from distributed import Client

        return SeededSampler(seed, client=Client(scheduler))
    return SeededSampler(seed, workers=workers)


def run_posterior(abc: Any, out_dir: Path, prior: Prior, targets: TargetSet, seed: int = 0) -> Any:
    """Start a new history in `out_dir/abc.db`, or resume the one there; returns it."""
    db = f"sqlite:///{(out_dir / DB_NAME).resolve()}"
    # proposals are seeded per evaluation (abc_sampler.py); the main process's global state
    # is seeded too, for whatever pyabc draws there
    np.random.seed(seed % 2**32)
    random.seed(seed)
    observed = dict.fromkeys(targets.targets, 0.0)  # the hinge reads the targets, not these
    done = 0
    if (out_dir / DB_NAME).exists() and _has_generation(out_dir / DB_NAME):
        history = abc.load(db, 1, observed)
        done = history.max_t + 1
        if done >= prior.generations:  # pyabc counts the generations of this call only
            return history
    else:
        (out_dir / DB_NAME).unlink(missing_ok=True)
        abc.new(db, observed)
    return abc.run(
        minimum_epsilon=0.0,
        max_nr_populations=prior.generations - done,
        max_total_nr_simulations=prior.budget,
        min_acceptance_rate=MIN_ACCEPTANCE,
    )


def _has_generation(path: Path) -> bool:
    import sqlite3

    try:
        with sqlite3.connect(path) as con:
            return bool(con.execute("select count(*) from populations where t >= 0").fetchone()[0])
    except sqlite3.Error:
        return False


# -- what a history says -----------------------------------------------------------------
def posterior_table(history: Any, prior: Prior) -> pd.DataFrame:
    """The last generation's particles: one column per key path, and their weights."""
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    names = safe_names(prior)
    out = frame.rename(columns=names)[list(prior.parameters)].reset_index(drop=True)
    out["weight"] = np.asarray(weights) / np.sum(weights)
    return out


def generations_table(history: Any) -> pd.DataFrame:
    """Per generation: epsilon, simulations, acceptance rate, effective sample size."""
    from pyabc.weighted_statistics import effective_sample_size

    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    rows = []
    for t, eps, sims, particles in pops[["t", "epsilon", "samples", "particles"]].itertuples(
        index=False
    ):
        _, weights = history.get_distribution(m=0, t=int(t))
        rows.append(
            {
                "generation": int(t),
                "epsilon": float(eps),
                "simulations": int(sims),
                "accepted": int(particles),
                "acceptance_rate": float(particles) / max(int(sims), 1),
                "ess": float(effective_sample_size(np.asarray(weights))),
            }
        )
    return pd.DataFrame(rows)


def predictive_table(history: Any, targets: TargetSet) -> pd.DataFrame:
    """Per target: the interval, and the weighted 5/50/95% of the last generation's worlds."""
    weights, stats = history.get_weighted_sum_stats(t=history.max_t)
    weights = np.asarray(weights) / np.sum(weights)
    rows = []
    for name, target in targets.targets.items():
        values = np.array([s[name] for s in stats])
        low, high = target.bounds()
        inside = (values >= low) & (values <= high)
        q05, q50, q95 = weighted_quantiles(values, weights, [0.05, 0.5, 0.95])
        rows.append(
            {
                "target": name,
                "app": target.app,
                "metric": target.metric,
                "date": target.date.isoformat(),
                "low": low,
                "high": high,
                "q05": q05,
                "q50": q50,
                "q95": q95,
                "share_inside": float(weights[inside].sum()),
            }
        )
    return pd.DataFrame(rows)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: list[float]) -> list[float]:
    """Quantiles of a weighted sample (the inverse of its weighted empirical CDF)."""
    order = np.argsort(values)
    cdf = np.cumsum(weights[order]) / np.sum(weights)
    at = [min(int(np.searchsorted(cdf, q)), len(values) - 1) for q in qs]
    return [float(values[order][i]) for i in at]


def warnings_of(generations: pd.DataFrame, prior: Prior) -> list[str]:
    """What a strategist must know about how the calibration ended."""
    out = []
    last = generations.iloc[-1]
    if last["epsilon"] > 0:
        out.append(
            f"model misfit: no generation reached epsilon 0 (the last is {last['epsilon']:.3g}): "
            "the particles are the worlds closest to the targets, not worlds that meet them all"
        )
    if int(generations["simulations"].sum()) >= prior.budget:
        out.append(
            f"stopped at the simulation budget ({prior.budget:,}; pyabc checks it after each "
            f"generation, so {int(generations['simulations'].sum()):,} ran)"
        )
    if last["acceptance_rate"] < MIN_ACCEPTANCE:
        out.append(f"acceptance collapsed to {last['acceptance_rate']:.2%} in the last generation")
    if last["ess"] < LOW_ESS_SHARE * last["accepted"]:
        out.append(f"effective sample size collapsed to {last['ess']:.0f} of {last['accepted']}")
    return out
