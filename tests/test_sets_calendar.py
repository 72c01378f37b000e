"""The building blocks: indexed member sets, the calendar, named streams."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.calendar import Calendar
from sim.rng import Streams
from sim.sets import ABSENT, IndexedSet


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
        monkeypatch.setenv("APPSIM_KERNELS", kernels)
        slot = np.full(1000, ABSENT, np.int32)
        members = IndexedSet(slot, columns={"mod7": np.uint16})
        members.add(ids, mod7=ids % 7)
        members.remove(gone)
        np.testing.assert_array_equal(members.column("mod7"), members.members() % 7)
        np.testing.assert_array_equal(slot[members.members()], np.arange(600 - k))
        arrangements.append(members.members().copy())
    np.testing.assert_array_equal(*arrangements)


def test_indexed_set_take_is_uniform():
    rng = np.random.default_rng(1)
    hits = np.zeros(20)
    for _ in range(2000):
        slot = np.full(20, ABSENT, np.int32)
        members = IndexedSet(slot)
        members.add(np.arange(20, dtype=np.int32))
        hits[members.take(rng, 5)] += 1
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
