"""Scattered reads and counts (`sim.engine.scatter`) equal their numpy twins."""

from __future__ import annotations

import numpy as np
import pytest

import sim.engine.compiled
from sim.engine.scatter import count_up, gather


def test_gather_and_count_up_equal_numpy(monkeypatch):
    pytest.importorskip("numba")
    rng = np.random.default_rng(11)
    values = rng.random(100_000).astype(np.float32)
    ids = rng.choice(len(values), 30_000, replace=False).astype(np.int32)
    counts = rng.choice(np.array([0, 0, 1, 2], np.uint8), len(values))
    compiled_counts = counts.copy()
    compiled = gather(values, ids), count_up(compiled_counts, ids)
    monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", True)
    numpy_counts = counts.copy()
    twin = gather(values, ids), count_up(numpy_counts, ids)
    np.testing.assert_array_equal(compiled[0], values[ids])
    np.testing.assert_array_equal(twin[0], values[ids])
    assert compiled[1] == twin[1] == np.count_nonzero(counts[ids] == 0) > 0
    np.testing.assert_array_equal(compiled_counts, numpy_counts)
    np.testing.assert_array_equal(compiled_counts[ids], counts[ids] + 1)
