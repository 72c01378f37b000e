"""Simulation-based calibration of the posterior method: does it cover a known truth?

One repetition draws "true" parameters from the prior, simulates them once (with a seed
of their own), turns each simulated figure into a target interval exactly as a series
target is made (value / (1 + tol) .. value x (1 + tol)), calibrates with the same ABC-SMC
(`posterior.build_abc` and `run_posterior`: the same hinge, the same pyabc setup, the same
sampler), and asks whether the posterior's central 90% interval of each parameter holds the
truth. Over many repetitions about 90% should (more is the conservative side of an interval
target; much less means over-confident worlds). Coverage alone is passed by the prior
itself, so the width of the posterior's intervals against the prior's is reported too.

`ToyModel` is a closed-form stand-in of a world (two figures, each a noisy exponential of
the parameters) for checks that must take seconds; `benchmarks/sbc.py` runs the real engine.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import posterior as post
from sim.experiments.prior import Prior
from sim.experiments.series_targets import interval_target
from sim.experiments.targets import TargetSet

LEVEL = 0.9  # the central interval checked
TRUTH_SEED = 10**6  # the truths' simulations use seeds apart from any calibration's

# a model for one calibration: from its targets and its seed to particle -> target values
ModelFactory = Callable[[TargetSet, int], Callable[[dict[str, float]], dict[str, float]]]


@dataclass
class ToyModel:
    """Target k is `base x exp(sum_j weights[k][j] x value_j + noise_sd x N(0, 1))`, the
    noise drawn from the world's own seed (`posterior.seed_of`), as a simulated world's."""

    names: dict[str, str]  # pyabc's parameter name -> key path (`posterior.safe_names`)
    targets: list[str]
    weights: list[list[float]]
    seed: int = 0
    base: float = 1e6
    noise_sd: float = 0.02

    def __call__(self, particle: dict[str, float]) -> dict[str, float]:
        values = {path: float(particle[name]) for name, path in self.names.items()}
        rng = np.random.default_rng(post.seed_of(values, self.seed))
        x = np.array(list(values.values()))
        noise = rng.normal(0.0, self.noise_sd, size=len(self.targets))
        levels = self.base * np.exp(np.asarray(self.weights) @ x + noise)
        return dict(zip(self.targets, map(float, levels), strict=True))


def synthetic_targets(simulated: dict[str, float], like: TargetSet, tol: float) -> TargetSet:
    """Targets at the figures `simulated`, where and what `like`'s are, each the interval a
    series target of tolerance `tol` would be."""
    # a figure of 0 (an app nobody uses yet) is read as 1, as the hinge reads it
    out = {
        name: interval_target(
            t.metric, t.app, t.date, max(simulated[name], 1.0), tol, "synthetic truth"
        )
        for name, t in like.targets.items()
    }
    return TargetSet(source="synthetic truth", targets=out)


def repetition(
    make_model: ModelFactory, prior: Prior, like: TargetSet, tol: float, seed: int
) -> pd.DataFrame:
    """One truth, its targets, its calibration: a row per parameter (truth, the posterior's
    5% and 95%, covered, the interval's width over the prior's, the last epsilon)."""
    rng = np.random.default_rng(seed)
    truth = {p: float(v[0]) for p, v in prior.sample(1, rng).items()}
    names = post.safe_names(prior)
    particle = {name: truth[path] for name, path in names.items()}
    observed = make_model(like, TRUTH_SEED + seed)(particle)
    targets = synthetic_targets(observed, like, tol)
    abc = post.build_abc(make_model(targets, seed), prior, targets, 1, None, seed)
    with tempfile.TemporaryDirectory(prefix="appsim-sbc-") as folder:
        history = post.run_posterior(abc, Path(folder), prior, targets, seed)
        table = post.posterior_table(history, prior)
        epsilon = float(history.get_all_populations()["epsilon"].iloc[-1])
    return coverage_rows(table, truth, prior, seed, epsilon)


def coverage_rows(
    posterior: pd.DataFrame, truth: dict[str, float], prior: Prior, rep: int, epsilon: float
) -> pd.DataFrame:
    """Whether each parameter's central interval (at LEVEL) of `posterior` holds the truth."""
    tail = (1 - LEVEL) / 2
    weights = posterior["weight"].to_numpy()
    rows = []
    for path, parameter in prior.parameters.items():
        low, high = post.weighted_quantiles(posterior[path].to_numpy(), weights, [tail, 1 - tail])
        rv = parameter.frozen()
        prior_width = float(rv.ppf(1 - tail) - rv.ppf(tail))
        rows.append(
            {
                "rep": rep,
                "parameter": path,
                "truth": truth[path],
                "q05": low,
                "q95": high,
                "covered": bool(low <= truth[path] <= high),
                "width_ratio": (high - low) / prior_width,
                "epsilon": epsilon,
            }
        )
    return pd.DataFrame(rows)


def run_sbc(
    make_model: ModelFactory,
    prior: Prior,
    like: TargetSet,
    tol: float,
    reps: int,
    on_done: Callable[[pd.DataFrame], Any] | None = None,
) -> pd.DataFrame:
    """`reps` repetitions at seeds 0..reps-1, their rows together."""
    frames = []
    for rep in range(reps):
        frames.append(repetition(make_model, prior, like, tol, rep))
        if on_done:
            on_done(frames[-1])
    return pd.concat(frames, ignore_index=True)


def summary(rows: pd.DataFrame) -> dict[str, float]:
    """Coverage of the 90% intervals (overall and per parameter), mean width against the
    prior's, and the share of calibrations that reached epsilon 0."""
    per_rep = rows.groupby("rep")["epsilon"].first()
    out = {
        "coverage": float(rows["covered"].mean()),
        "width_ratio": float(rows["width_ratio"].mean()),
        "reached_zero": float((per_rep == 0).mean()),
        "intervals": float(len(rows)),
    }
    for path, group in rows.groupby("parameter", sort=False):
        out[f"coverage {path}"] = float(group["covered"].mean())
    return out
