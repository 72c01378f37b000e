"""The compiled activity step and its numpy twin give identical results."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import numpy as np
import pytest
from ruamel.yaml import YAML

import sim
import sim.engine.compiled
from sim.engine import activity as kernels
from sim.engine import column_scans
from sim.engine.kernels import activity as compiled_activity
from sim.model.encodings import ALONE, NO_DAY, PAST, SOLO

N_AGENTS, N_DAYS, N_MONTHS = 70_000, 400, 14
DAY, MONTH_START = 200, 190


def _world(rng: np.random.Generator, suite: bool):
    """Members last active never, long ago, earlier this month or today, and the books. In
    the suite, rows shared with other apps, SOLO ones and ALONE ones (`sim.engine.suite_book`), with
    the suite's last days that go with each."""
    days = np.array([NO_DAY, 3, 150, 189, 190, 195, DAY], np.int16)
    ids = rng.choice(N_AGENTS, 30_003, replace=False).astype(np.int32)
    flags = rng.choice(np.array([0, SOLO, ALONE], np.int16), len(ids))
    members = kernels.Members(
        ids=ids,
        threshold=rng.integers(0, 65536, len(ids)).astype(np.uint16),
        last=rng.choice(days, len(ids)),
        reg=rng.integers(0, N_MONTHS + 1, len(ids)).astype(np.int16) | (flags if suite else 0),
        segment=rng.integers(0, 3, len(ids)).astype(np.uint8),
        due=np.zeros(len(ids), np.int16),  # the step does not read it
    )
    suite_last = rng.choice(np.array([NO_DAY, 192, DAY], np.int16), N_AGENTS)
    alone = flags == ALONE
    entry, row = suite_last[ids], members.last
    suite_last[ids] = np.where(alone, np.minimum(entry, row), np.maximum(entry, row))
    truth = _suite_days(suite_last, members)
    hist = np.zeros(N_DAYS + PAST, np.int64)
    books = kernels.ActivityBooks(
        hist=hist + np.bincount(members.last + PAST, minlength=len(hist)),
        cohort=np.zeros(N_MONTHS + 1, np.int64),
        month_mask=rng.choice(np.array([0, 0, 2, 5, 8, 13], np.uint16), N_AGENTS),
        overlap=np.zeros((4, 4), np.int64),
        app=3,
        suite_last=suite_last if suite else np.empty(0, np.int16),
        suite_hist=hist + np.bincount(truth + PAST, minlength=len(hist))
        if suite
        else np.empty(0, np.int64),
        out=np.empty(len(ids), np.int32),
    )
    return members, books


def _suite_days(suite_last: np.ndarray, members: kernels.Members) -> np.ndarray:
    """Each agent's last active day in the suite: the entry, or an ALONE row's day."""
    alone = (members.reg & ~np.int16(kernels.REG_MONTH)) == ALONE
    days = suite_last.copy()
    days[members.ids[alone]] = np.maximum(days[members.ids[alone]], members.last[alone])
    return days


@pytest.mark.parametrize(
    "multipliers",
    [
        [1.0, 1.0, 1.0],
        [1.3, 1.3, 1.3],
        [1.7, 1.0, 0.0],
        [0.35, 2.0, 1e-9],
        [0.5, 1.5, 1.0] + [1.2] * 7,  # more than 8 segments: a lookup per member
    ],
)
@pytest.mark.parametrize("suite", [True, False])
def test_compiled_step_equals_numpy_step(multipliers, suite):
    pytest.importorskip("numba")
    rng = np.random.default_rng(7)
    members, books = _world(rng, suite)
    twin_members, twin_books = copy.deepcopy(members), copy.deepcopy(books)
    factors = kernels.fixed_point(np.array(multipliers))
    scaled = multipliers != [1.0, 1.0, 1.0]
    args = (np.uint64(2**64 - 12345), scaled, factors, DAY, MONTH_START)
    by_numpy = kernels._numpy_step(members, *args, books)
    compiled = kernels._compiled_step(twin_members, *args, twin_books)
    np.testing.assert_array_equal(by_numpy[0], compiled[0])
    assert by_numpy[1] == compiled[1]
    assert 0 < by_numpy[1].first < by_numpy[1].active < len(members.ids)
    np.testing.assert_array_equal(members.last, twin_members.last)
    np.testing.assert_array_equal(members.reg, twin_members.reg)
    assert books.overlap[3, 3] > books.overlap[3, 0] > 0
    np.testing.assert_array_equal(books.overlap, books.overlap.T)
    for name in ("hist", "cohort", "month_mask", "overlap", "suite_last", "suite_hist"):
        np.testing.assert_array_equal(getattr(books, name), getattr(twin_books, name), name)


def test_segment_multipliers_scale_activity():
    """A segment at multiplier 0 is never active; at 2, twice as often (binomial, 5 sd)."""
    rng = np.random.default_rng(5)
    members, books = _world(rng, suite=True)
    members.threshold[:] = 6554  # 10%
    active, _ = kernels.activity_step(
        members, 99, np.array([0.0, 1.0, 2.0]), DAY, MONTH_START, books
    )
    segment_of = dict(zip(members.ids.tolist(), members.segment.tolist(), strict=True))
    counts = np.bincount([segment_of[a] for a in active.tolist()], minlength=3)
    sizes = np.bincount(members.segment, minlength=3)
    assert counts[0] == 0
    for seg, p in ((1, 0.1), (2, 0.2)):
        sd = np.sqrt(sizes[seg] * p * (1 - p))
        assert abs(counts[seg] - sizes[seg] * p) < 5 * sd


def test_uniform16_is_uniform_and_keyed():
    """Chi-square of 2^20 draws over 256 bins (df 255: 99.9% quantile ~ 330); keys differ."""
    draws = kernels.uniform16(np.uint64(42), 2**20)
    counts = np.bincount(draws >> 8, minlength=256)
    expected = len(draws) / 256
    assert ((counts - expected) ** 2 / expected).sum() < 330
    other = kernels.uniform16(np.uint64(43), 2**20)
    assert np.mean(draws == other) < 1e-3
    np.testing.assert_array_equal(kernels.uniform16(np.uint64(42), 10), draws[:10])


def test_step_keeps_histograms_consistent():
    """After a step, each histogram still counts every agent once, by its last-active day."""
    rng = np.random.default_rng(3)
    members, books = _world(rng, suite=True)
    kernels.activity_step(members, 7, np.ones(3), DAY, MONTH_START, books)
    expected = np.bincount(members.last + PAST, minlength=len(books.hist))
    np.testing.assert_array_equal(books.hist, expected)
    flags = members.reg & ~np.int16(kernels.REG_MONTH)
    assert (flags == SOLO).any(), "SOLO rows not active today stay SOLO"
    days = _suite_days(books.suite_last, members)
    expected = np.bincount(days + PAST, minlength=len(books.suite_hist))
    np.testing.assert_array_equal(books.suite_hist, expected)
    assert (days[members.ids] >= members.last).all()
    synced = (flags == ALONE) & (members.last == DAY)
    assert synced.sum() > (flags == ALONE).sum() / 10, "SOLO rows active today sync"


@pytest.mark.parametrize("kernel", ["numpy", "compiled"])
def test_month_overlap_counted_as_it_goes_equals_the_month_end_count(kernel):
    """Counting each first activity of the month against the apps already used that month
    gives the overlap of the month-end bit masks (agents in both of two apps)."""
    if kernel == "compiled":
        pytest.importorskip("numba")
    mask_step = kernels._numpy_mask if kernel == "numpy" else compiled_activity.mask
    rng = np.random.default_rng(11)
    month_mask = np.zeros(5_000, np.uint16)
    overlap = np.zeros((5, 5), np.int64)
    for _ in range(40):  # days; each app's first actives of the month that day
        for app in range(5):
            users = rng.choice(5_000, 60, replace=False).astype(np.int32)
            first = users[month_mask[users] & (1 << app) == 0]
            mask_step(first, month_mask, app, overlap)
    combos = column_scans.count_masks(month_mask, 5)
    np.testing.assert_array_equal(overlap, sim.engine.recorder._overlap(combos, 5))


def test_state_combinations_counted_compiled_equal_numpy(monkeypatch):
    pytest.importorskip("numba")
    rng = np.random.default_rng(12)
    states = [rng.integers(0, 5, 10_000).astype(np.uint8) for _ in range(4)]
    compiled = column_scans.count_state_masks(states, 2, 3)
    monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", True)
    np.testing.assert_array_equal(compiled, column_scans.count_state_masks(states, 2, 3))
    registered = [(s == 2) | (s == 3) for s in states]
    both_first_two = np.count_nonzero(registered[0] & registered[1])
    assert sum(c for combo, c in enumerate(compiled) if combo & 3 == 3) == both_first_two


@pytest.mark.parametrize("kernel", ["numpy", "compiled"])
def test_huge_multipliers_make_every_possible_member_active(monkeypatch, kernel):
    """Multipliers far past 65536 (stacked levers) saturate instead of overflowing."""
    if kernel == "compiled":
        pytest.importorskip("numba")
    else:
        monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", True)
    members, books = _world(np.random.default_rng(13), suite=False)
    active, _ = kernels.activity_step(
        members, 3, np.array([1e15, 2.0**33, 1e6]), DAY, MONTH_START, books
    )
    assert len(active) == np.count_nonzero(members.threshold)


def test_runs_with_numba_jit_disabled(tiny_tree, tmp_path):
    """NUMBA_DISABLE_JIT (for debugging) runs the numpy twins, not the loops as Python."""
    pytest.importorskip("numba")
    path = tmp_path / "tiny.yaml"
    YAML().dump(tiny_tree, path)
    run = f"sim.run(sim.load_scenario({str(path)!r}), seed=1, scale=50)"
    program = f"import sim; print({run}.output_hash())"
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    scenario = sim.load_scenario(path)
    assert done.stdout.strip() == sim.run(scenario, seed=1, scale=50).output_hash()


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 4096, 4097, 20_000])
def test_positions_of_equals_flatnonzero(size):
    """The compiled scan (whole 64-member masks by blocks, then a tail) finds every match."""
    pytest.importorskip("numba")
    values = np.random.default_rng(size).integers(0, 5, size).astype(np.int16)
    found = column_scans.positions_of(values, 3)
    np.testing.assert_array_equal(found, np.flatnonzero(values == 3))
    assert found.dtype == np.intp


@pytest.mark.parametrize("limit_type", [np.uint16, np.uint32])
def test_hit_masks_equal_elementwise_comparison(limit_type):
    """The vector compare into 64-bit masks: bit b of mask g is draw < threshold (16-bit) or
    draw x 65536 < limit (32-bit), at the extremes too; the compiled loops against numpy."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(23)
    draws = rng.integers(0, 65536, 4096).astype(np.uint16)
    draws[:4] = [0, 65535, 0, 65535]
    top = np.iinfo(limit_type).max
    limits = rng.integers(0, int(top) + 1, 4096, dtype=np.uint64).astype(limit_type)
    limits[:4] = [0, 0, top, top]
    if limit_type == np.uint32:
        limits[4:8] = draws[4:8].astype(np.uint32) << 16  # equal: not below
        limits[8:12] = (draws[8:12].astype(np.uint32) << 16) + 1
    masks = np.empty(64, np.uint64)
    compiled_activity.hit_masks(draws, limits, masks)
    shift = 16 if limit_type == np.uint32 else 0
    below = (draws.astype(np.uint64) << np.uint64(shift)) < limits
    bits = np.unpackbits(masks.view(np.uint8), bitorder="little").astype(bool)
    np.testing.assert_array_equal(bits, below)
    assert below[:12].tolist() == [False, False, True, limit_type == np.uint32] + (
        [False] * 4 + [True] * 4 if shift else below[4:12].tolist()
    )
