"""The posterior method on synthetic truth (simulation-based calibration), and its seeds.

The engine is too slow for repeated calibrations in a test (a tiny world's ABC-SMC takes
about a minute), so these checks use `sbc.ToyModel`, a closed-form stand-in for a world,
through the same code path as `appsim calibrate --posterior`: `posterior.build_abc` (the
hinge distance, pyabc's ABC-SMC with the median epsilon, the seeded sampler) and
`posterior.run_posterior`. benchmarks/sbc.py runs the same check on the engine.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from sim.experiments import posterior as post
from sim.experiments import sbc
from sim.experiments.abc_sampler import SeededSampler, next_batch
from sim.experiments.prior import Prior
from sim.experiments.targets import TargetSet

PRIOR = Prior.model_validate(
    {
        "scale": 1,
        "population": 16,
        "budget": 3000,
        "generations": 4,
        "parameters": {
            "x.a": {"dist": "uniform", "low": 0.0, "high": 1.0, "source": "test"},
            "x.b": {"dist": "uniform", "low": 0.0, "high": 1.0, "source": "test"},
        },
    }
)
WHERE = {"app": "bank", "date": "2020-12-31", "relation": ">=", "value": 1.0}
LIKE = TargetSet.model_validate(
    {"targets": {"mau": {"metric": "mau", **WHERE}, "dau": {"metric": "dau", **WHERE}}}
)
WEIGHTS = [[2.0, 0.5], [0.3, 2.0]]  # each figure moved mostly by one parameter
TOL = 0.2  # the series targets' tolerance: value / 1.2 .. value x 1.2


def toy(targets: TargetSet, seed: int) -> sbc.ToyModel:
    return sbc.ToyModel(post.safe_names(PRIOR), list(targets.targets), WEIGHTS, seed)


@pytest.fixture(autouse=True)
def _quiet_pyabc():
    logging.getLogger("ABC").setLevel(logging.WARNING)


def _calibrate(tmp_path, seed: int, workers: int = 1) -> pd.DataFrame:
    observed = toy(LIKE, sbc.TRUTH_SEED)({"p00": 0.3, "p01": 0.7})
    targets = sbc.synthetic_targets(observed, LIKE, TOL)
    prior = PRIOR.model_copy(update={"generations": 2})
    abc = post.build_abc(toy(targets, seed), prior, targets, workers, None, seed)
    folder = tmp_path / f"seed{seed}-w{workers}"
    folder.mkdir()
    return post.posterior_table(post.run_posterior(abc, folder, prior, targets, seed), prior)


def test_the_same_seed_gives_the_same_posterior_on_any_number_of_workers(tmp_path):
    first = _calibrate(tmp_path, seed=5)
    pd.testing.assert_frame_equal(first, _calibrate(tmp_path, seed=5, workers=2))
    other = _calibrate(tmp_path, seed=6)
    assert not np.allclose(first["x.a"].to_numpy(), other["x.a"].to_numpy())


def test_batches_follow_the_acceptance_rate_not_the_workers():
    assert next_batch(20, 0, 0, np.inf) == 20  # nothing known: as if all were accepted
    assert next_batch(10, 10, 40, np.inf) == 40  # a quarter accepted: 40 more for 10
    assert next_batch(1, 5, 6, np.inf) == 4  # at least a few
    assert next_batch(10, 10, 40, 7) == 7  # never past the budget
    assert SeededSampler(1, workers=8).workers == 8


def test_posterior_intervals_cover_a_known_truth_about_as_often_as_they_say():
    """Eight truths from the prior, each calibrated: the 90% intervals of both parameters (16
    intervals) must hold the truth at least 70% of the time and at most always (interval
    targets make ABC conservative), and be sharper than the prior (mean width under half the
    prior's 90% width: the prior itself would pass on coverage alone). Intervals shrunk to
    their midpoints (+/- 0.001) cover the same truths far less often, and fail."""
    rows = sbc.run_sbc(toy, PRIOR, LIKE, TOL, reps=8)
    result = sbc.summary(rows)
    assert 0.7 <= result["coverage"] <= 1.0, result
    assert result["width_ratio"] < 0.5, result
    middle = (rows["q05"] + rows["q95"]) / 2
    point_covers = np.isclose(middle, rows["truth"], atol=1e-3).mean()
    assert point_covers < 0.7
