"""Propensities drawn by inverting a table of Beta quantiles (`sim.engine.propensity`): against the
exact inverse (scipy's), in the bulk and far into both tails, and as a sampler."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from sim.engine.propensity import PropensityTables

MEANS = (0.001, 0.01, 0.04, 0.1, 0.3, 0.5, 0.9)
CONCENTRATIONS = (0.2, 1.0, 2.0, 5.0, 20.0, 100.0, 1000.0)


def _probabilities() -> np.ndarray:
    """A fine grid, and points down to 1e-15 from either end (the tail tables)."""
    bulk = np.linspace(0.0, 1.0, 100_001)[1:-1]
    ends = np.logspace(-15, -2, 1001)
    return np.concatenate([bulk, ends, 1.0 - ends])


@pytest.mark.parametrize("mean", MEANS)
def test_quantiles_are_those_of_the_beta(mean):
    """At every probability u, the drawn value's place in the exact distribution,
    F(Q_table(u)), is within 1e-4 of the exact quantile's, F(Q(u)) (the sampler's
    distance from the Beta in the Kolmogorov sense). Left out: values below 1e-30 or
    within 1e-9 of 1, where float64 itself cannot tell the quantiles apart (below 1e-30 a
    propensity is 0 anyway: its float32 activity threshold rounds to 0 below 8e-6)."""
    u = _probabilities()
    for concentration in CONCENTRATIONS:
        a, b = mean * concentration, (1.0 - mean) * concentration
        tables = PropensityTables(np.array([a]), np.array([b]), [0])
        drawn = tables.quantiles(u, np.zeros(len(u), np.intp))
        exact = special.betaincinv(a, b, u)
        telling = (exact > 1e-30) & (exact < 1.0 - 1e-9)
        gap = np.abs(special.betainc(a, b, drawn) - special.betainc(a, b, exact))[telling]
        assert gap.max() < 1e-4, (a, b)
        ordered = drawn[np.argsort(u)]  # monotone, to rounding where bulk and tails meet
        assert (np.diff(ordered) >= -1e-12 * ordered[1:]).all(), (a, b)


def test_each_segment_reads_its_own_table():
    """Segments listed out of order, two with the same Beta, one the app does not serve:
    each segment's quantiles are those of a table made for its Beta alone."""
    a, b = np.array([5.0, 0.2, 0.0, 5.0, 0.05]), np.array([5.0, 1.8, 0.0, 5.0, 4.95])
    segments = [4, 3, 1, 0]
    tables = PropensityTables(a, b, segments)
    assert len(tables.bulk) == 3
    u = _probabilities()
    for s in segments:
        alone = PropensityTables(a[[s]], b[[s]], [0])
        np.testing.assert_array_equal(
            tables.quantiles(u, np.full(len(u), tables.table_of[s], np.intp)),
            alone.quantiles(u, np.zeros(len(u), np.intp)),
            err_msg=f"segment {s}",
        )


def test_draws_follow_each_segments_beta():
    """Two segments with their own Betas: each one's draws pass a Kolmogorov-Smirnov test
    against its distribution (200,000 draws: fixed seed, p > 0.001) and their means are
    within 4 standard errors of a / (a + b)."""
    a, b = np.array([0.2, 5.0, 0.0]), np.array([1.8, 5.0, 0.0])
    tables = PropensityTables(a, b, [0, 1])
    rng = np.random.default_rng(11)
    segs = rng.integers(0, 2, 200_000).astype(np.uint8)
    drawn = tables.draw(rng, segs)
    assert drawn.dtype == np.float32
    for s in (0, 1):
        mine = drawn[segs == s].astype(np.float64)
        assert stats.kstest(mine, stats.beta(a[s], b[s]).cdf).pvalue > 1e-3
        mean, var = a[s] / (a[s] + b[s]), stats.beta(a[s], b[s]).var()
        assert abs(mine.mean() - mean) < 4 * np.sqrt(var / len(mine))


def test_tails_are_drawn_as_often_as_the_beta_has_them():
    """Beyond the 0.1% and 99.9% quantiles: 0.1% of 1,000,000 draws each, within 4
    binomial standard errors."""
    a, b = 0.2, 1.8
    tables = PropensityTables(np.array([a]), np.array([b]), [0])
    drawn = tables.draw(np.random.default_rng(3), np.zeros(1_000_000, np.uint8))
    low, high = special.betaincinv(a, b, [0.001, 0.999])
    se = np.sqrt(0.001 * 0.999 / len(drawn))
    assert abs(np.mean(drawn < low) - 0.001) < 4 * se
    assert abs(np.mean(drawn > high) - 0.001) < 4 * se


def test_compiled_and_numpy_draws_are_identical(monkeypatch):
    """The bulk's compiled interpolation is the numpy lines' arithmetic: same values."""
    pytest.importorskip("numba")
    import sim.engine.compiled

    tables = PropensityTables(np.array([0.2, 5.0]), np.array([1.8, 5.0]), [0, 1])
    segs = np.random.default_rng(2).integers(0, 2, 100_000).astype(np.uint8)
    compiled = tables.draw(np.random.default_rng(4), segs)
    monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", True)
    np.testing.assert_array_equal(tables.draw(np.random.default_rng(4), segs), compiled)
