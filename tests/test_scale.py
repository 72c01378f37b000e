"""Scale invariance: results in customers do not depend on how many customers an agent is."""

from __future__ import annotations

import numpy as np
import pytest

import sim

from .conftest import build

HEADLINES = [
    ("registered", "suite"),
    ("mau", "suite_sum"),
    ("mau", "suite"),
    ("dau", "bank"),
    ("registered", "chat"),
]


def mean_headlines(scenario, scale: float, seeds: range) -> np.ndarray:
    values = []
    for seed in seeds:
        result = sim.run(scenario, seed=seed, scale=scale)
        values.append([result.at("2020-12-31", m, a) for m, a in HEADLINES])
    return np.mean(values, axis=0)


def test_headlines_agree_across_scales(tiny_tree):
    """1:2 (120,000 agents) against 1:20 (12,000 agents), 4 seeds each: within 2%.
    The coarse run's sampling sd of these means is under 1%."""
    scenario = build(tiny_tree)
    fine = mean_headlines(scenario, 2, range(4))
    coarse = mean_headlines(scenario, 20, range(4))
    assert coarse == pytest.approx(fine, rel=0.02)
