"""The building blocks: indexed member sets, the day-bucket calendar, named streams."""

from __future__ import annotations

import datetime as dt

import numpy as np

from sim.calendar import Calendar, DayBuckets
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
    members.remove(left[:5])  # the one-by-one path
    np.testing.assert_array_equal(members.get("mod7", left[5:]), left[5:] % 7)
    assert (slot[gone] == ABSENT).all()


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


def test_day_buckets_return_each_id_on_its_day():
    buckets = DayBuckets(200)
    rng = np.random.default_rng(2)
    days = rng.integers(0, 250, 1000)
    ids = np.arange(1000, dtype=np.int32)
    buckets.add(days[:500], ids[:500])
    seen = {}
    for day in range(200):
        if day == 40:  # adding while a block is open must still work
            late = days[500:] >= 40
            buckets.add(days[500:][late], ids[500:][late])
        for i in buckets.pop(day):
            seen[int(i)] = day
    expected = {
        int(i): int(d) for i, d in zip(ids, days, strict=True) if d < 200 and (i < 500 or d >= 40)
    }
    assert seen == expected


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
