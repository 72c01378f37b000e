"""The building blocks: indexed member sets, the calendar, named streams."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import sim.engine.compiled
from sim.engine.sets import IndexedSet, SegmentSets
from sim.model.calendar import Calendar
from sim.model.encodings import ABSENT
from sim.model.streams import Streams


def test_indexed_set_add_remove_keeps_slots_consistent():
    rng = np.random.default_rng(0)
    slot = np.full(1000, ABSENT, np.int32)
    members = IndexedSet(slot, columns={"mod7": np.uint16, "day": np.int16})
    ids = rng.permutation(1000)[:600].astype(np.int32)
    members.add(ids, mod7=ids % 7, day=-(ids % 5))
    gone = rng.choice(ids, 250, replace=False)
    members.remove(gone)
    left = np.setdiff1d(ids, gone)
    assert sorted(members.members()) == sorted(left)
    np.testing.assert_array_equal(members.ids[slot[left]], left)
    np.testing.assert_array_equal(members.get("mod7", left), left % 7)
    np.testing.assert_array_equal(members.column("day")[slot[left]], -(left % 5))
    members.remove(left[:5])  # a handful
    np.testing.assert_array_equal(members.get("mod7", left[5:]), left[5:] % 7)
    assert (slot[gone] == ABSENT).all()


@pytest.mark.parametrize("k", [1, 5, 300, 599])
def test_compiled_removal_matches_numpy(monkeypatch, k):
    """Both removal paths leave the same members in the same order, columns aligned."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(k)
    ids = rng.permutation(1000)[:600].astype(np.int32)
    gone = rng.choice(ids, k, replace=False)
    arrangements = []
    for kernels in ("numba", "numpy"):
        monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", kernels == "numpy")
        slot = np.full(1000, ABSENT, np.int32)
        members = IndexedSet(slot, columns={"mod7": np.uint16})
        members.add(ids, mod7=ids % 7)
        members.remove(gone)
        np.testing.assert_array_equal(members.column("mod7"), members.members() % 7)
        np.testing.assert_array_equal(slot[members.members()], np.arange(600 - k))
        arrangements.append(members.members().copy())
    np.testing.assert_array_equal(*arrangements)


@pytest.mark.parametrize("k", [0, 1, 7, 100, 399, 400])
def test_compiled_take_and_add_match_numpy(monkeypatch, k):
    """Both shuffles take the same members and leave the same arrangement, slots aligned,
    including draws that land in the tail (k near n: the numpy path's one-by-one branch)."""
    pytest.importorskip("numba")
    ids = np.random.default_rng(k).permutation(1000)[:600].astype(np.int32)
    segs = np.where(np.arange(600) % 3 == 0, 5, 2)  # two segments, 200 and 400 members
    segment_of = np.zeros(1000, np.int64)
    segment_of[ids] = segs
    outcomes = []
    for kernels in ("numba", "numpy"):
        monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", kernels == "numpy")
        slot = np.full(1000, ABSENT, np.int32)
        sets = SegmentSets(slot, [2, 5])
        sets.add(ids, segs)
        taken, taken_segs = sets.take(np.random.default_rng(99), np.array([k, 150]))
        assert len(np.unique(taken)) == len(taken) == k + 150
        np.testing.assert_array_equal(segment_of[taken], taken_segs)
        assert (slot[taken] == ABSENT).all()
        for members in sets.sets:
            np.testing.assert_array_equal(slot[members.members()], np.arange(len(members)))
        assert len(sets) == 600 - k - 150
        outcomes.append([taken] + [m.members().copy() for m in sets.sets])
    for a, b in zip(*outcomes, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("run", [range(0, 0), range(3, 4), range(0, 1000), range(250, 777)])
def test_compiled_admission_of_a_run_matches_numpy(monkeypatch, run):
    """Admitting a run of ids takes, in both paths, exactly the free agents of segments
    with a set, in id order per set, marks them and counts them per set."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(len(run))
    segment_of = rng.integers(0, 7, 1000).astype(np.uint8)  # segments 1, 3, 6 have no set
    busy = rng.random(1000) < 0.3
    outcomes = []
    for kernels in ("numba", "numpy"):
        monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", kernels == "numpy")
        slot = np.full(1000, ABSENT, np.int32)
        state = np.where(busy, 9, 0).astype(np.uint8)
        sets = SegmentSets(slot, [0, 2, 4, 5])
        counts = sets.add_run(run, segment_of, state, free=0, mark=1)
        ids = np.arange(run.start, run.stop)
        expected = ids[~busy[ids] & np.isin(segment_of[ids], [0, 2, 4, 5])]
        np.testing.assert_array_equal(np.flatnonzero(state == 1), expected)
        for members, seg, k in zip(sets.sets, [0, 2, 4, 5], counts, strict=True):
            np.testing.assert_array_equal(members.members(), expected[segment_of[expected] == seg])
            np.testing.assert_array_equal(slot[members.members()], np.arange(k))
        outcomes.append([counts, state, slot])
    for a, b in zip(*outcomes, strict=True):
        np.testing.assert_array_equal(a, b)


def test_segment_take_is_uniform():
    rng = np.random.default_rng(1)
    hits = np.zeros(20)
    for _ in range(2000):
        slot = np.full(20, ABSENT, np.int32)
        members = SegmentSets(slot, [0])
        members.add(np.arange(20, dtype=np.int32), np.zeros(20, np.int64))
        hits[members.take(rng, np.array([5]))[0]] += 1
    # each id drawn with probability 1/4: 500 expected, sd ~19
    assert np.abs(hits - 500).max() < 5 * 19


def test_calendar_months():
    cal = Calendar(dt.date(2019, 12, 30), dt.date(2020, 3, 2))
    assert cal.n_months == 4
    assert cal.month_start(3) == 2  # 2020-01-02 -> Jan 1 is day 2
    assert cal.is_month_end(1) and not cal.is_month_end(2)


def test_streams_depend_on_name_not_order():
    a, b = Streams(5), Streams(5)
    x1 = a.get("adoption", "bank").random(3)
    b.get("something", "else").random(10)
    x2 = b.get("adoption", "bank").random(3)
    np.testing.assert_array_equal(x1, x2)
    assert not np.array_equal(x1, Streams(6).get("adoption", "bank").random(3))
