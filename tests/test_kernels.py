"""The compiled activity step and its numpy twin give identical results."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import sim
from sim import kernels
from sim.apps import NO_DAY

from .conftest import build

N_AGENTS, N_DAYS, N_MONTHS = 70_000, 400, 14
DAY, MONTH_START = 200, 190


def _books(rng: np.random.Generator, suite: bool) -> kernels.ActivityBooks:
    """Books with agents last active never, long ago, earlier this month and today."""
    last = rng.choice(np.array([NO_DAY, 3, 150, 189, 190, 195, DAY], np.int16), N_AGENTS)
    suite_last = np.maximum(last, rng.choice(np.array([NO_DAY, 192, DAY], np.int16), N_AGENTS))
    mask = rng.choice(np.array([0, 0, 2, 5], np.uint16), N_AGENTS)
    hist = np.zeros(N_DAYS + kernels.PAST, np.int64)
    return kernels.ActivityBooks(
        last=last,
        reg_month=rng.integers(0, N_MONTHS + 1, N_AGENTS).astype(np.int16),
        hist=hist + np.bincount(last + kernels.PAST, minlength=len(hist)),
        cohort=np.zeros(N_MONTHS + 1, np.int64),
        month_mask=mask,
        bit=1 << 3,
        suite_last=suite_last if suite else np.empty(0, np.int16),
        suite_hist=hist + np.bincount(suite_last + kernels.PAST, minlength=len(hist))
        if suite
        else np.empty(0, np.int64),
    )


@pytest.mark.parametrize("multiplier", [1.0, 1.7, 0.35])
@pytest.mark.parametrize("suite", [True, False])
def test_compiled_step_equals_numpy_step(multiplier, suite):
    pytest.importorskip("numba")
    rng = np.random.default_rng(7)
    ids = rng.choice(N_AGENTS, 30_000, replace=False).astype(np.int32)
    thresholds = rng.integers(0, 65536, len(ids)).astype(np.uint16)
    draws = rng.integers(0, 65536, len(ids)).astype(np.uint16)
    inverse = np.float32(1.0 / multiplier)
    scaled = multiplier != 1.0
    books = _books(rng, suite)
    twin = copy.deepcopy(books)
    by_numpy = kernels._numpy_step(ids, thresholds, draws, scaled, inverse, DAY, MONTH_START, books)
    compiled = kernels._compiled_step(
        ids, thresholds, draws, scaled, inverse, DAY, MONTH_START, twin
    )
    np.testing.assert_array_equal(by_numpy[0], compiled[0])
    np.testing.assert_array_equal(np.sort(by_numpy[1]), np.sort(compiled[1]))
    assert by_numpy[2] == compiled[2]
    assert 0 < by_numpy[2].first < by_numpy[2].active < len(ids)
    for name in ("last", "hist", "cohort", "month_mask", "suite_last", "suite_hist"):
        np.testing.assert_array_equal(getattr(books, name), getattr(twin, name), err_msg=name)


def test_step_keeps_histograms_consistent():
    """After a step, each histogram still counts every agent once, by its last-active day."""
    rng = np.random.default_rng(3)
    books = _books(rng, suite=True)
    ids = rng.choice(N_AGENTS, 20_000, replace=False).astype(np.int32)
    thresholds = np.full(len(ids), 30_000, np.uint16)
    draws = rng.integers(0, 65536, len(ids)).astype(np.uint16)
    kernels.activity_step(ids, thresholds, draws, 1.0, DAY, MONTH_START, books)
    expected = np.bincount(books.last + kernels.PAST, minlength=len(books.hist))
    np.testing.assert_array_equal(books.hist, expected)
    expected = np.bincount(books.suite_last + kernels.PAST, minlength=len(books.suite_hist))
    np.testing.assert_array_equal(books.suite_hist, expected)


def test_runs_are_identical_with_either_kernel(tiny_tree, monkeypatch):
    """A release cadence (multipliers != 1) and a delisting, compiled or not: same hash."""
    pytest.importorskip("numba")
    tiny_tree["timeline"]["senior_edition"] = {
        "type": "edition",
        "app": "bank",
        "date": "2020-03-01",
        "segments": ["old"],
        "activity_multiplier": 0.6,
        "source": "assumption (test)",
    }
    tiny_tree["timeline"]["retire_chat"] = {
        "type": "delist",
        "app": "chat",
        "date": "2020-09-01",
        "migrate_to": {"bank": 0.5},
    }
    scenario = build(tiny_tree)
    compiled = sim.run(scenario, seed=4, scale=20).output_hash()
    monkeypatch.setenv("APPSIM_KERNELS", "numpy")
    assert not kernels.use_compiled()
    assert sim.run(scenario, seed=4, scale=20).output_hash() == compiled
