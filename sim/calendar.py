"""Simulated time: day indices <-> dates, month boundaries, and a day-bucketed event calendar.

Day 0 is the scenario's start. `DayBuckets` keeps agent ids due on future days without one
Python object per event: ids go into coarse blocks of days and are sorted into single days only
when their block comes up, so adding a batch costs a few array operations whatever its spread.
Buckets hold copies, never views, so a finished batch does not pin a large array in memory.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd

NEVER = np.iinfo(np.int32).max


class Calendar:
    """The horizon as day indices, with month boundaries precomputed."""

    def __init__(self, start: dt.date, end: dt.date):
        self.start = start
        self.end = end
        self.n_days = (end - start).days + 1
        self.dates = pd.date_range(start, end, freq="D")
        self.month_of_day = _month_numbers(self.dates)
        firsts = np.flatnonzero(np.diff(self.month_of_day, prepend=-1))
        self.month_start_days = firsts
        self.month_end_days = np.append(firsts[1:] - 1, self.n_days - 1)
        self.n_months = len(firsts)
        self.month_labels = self.dates[firsts].to_period("M")

    def day(self, when: dt.date) -> int:
        """Day index of a date (may be negative or past the end)."""
        return (when - self.start).days

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=int(day))

    def month_start(self, day: int) -> int:
        """First day index of the month containing `day`."""
        return int(self.month_start_days[self.month_of_day[day]])

    def is_month_end(self, day: int) -> bool:
        return day == self.month_end_days[self.month_of_day[day]]


def _month_numbers(dates: pd.DatetimeIndex) -> np.ndarray:
    months = dates.year * 12 + dates.month
    return np.asarray(months - months[0], dtype=np.int32)


class DayBuckets:
    """Agent ids due on given days; `pop(day)` returns (a superset of) those due that day.

    Callers validate what they pop against their own `due` arrays, so stale entries (an agent
    whose plans changed) are harmless and never need to be searched out.
    """

    BLOCK = 32

    def __init__(self, n_days: int):
        self.n_days = n_days
        n_blocks = n_days // self.BLOCK + 1
        self._blocks: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(n_blocks)]
        self._days: dict[int, list[np.ndarray]] = {}
        self._open_block = -1

    def add(self, days: np.ndarray, ids: np.ndarray) -> None:
        """Schedule `ids[i]` on `days[i]`; days past the horizon are dropped."""
        keep = days < self.n_days
        days, ids = days[keep], ids[keep]
        if len(ids) == 0:
            return
        blocks = days // self.BLOCK
        current = blocks == self._open_block
        if current.any():
            self._add_to_days(days[current], ids[current])
            days, ids, blocks = days[~current], ids[~current], blocks[~current]
        self._add_to_blocks(days, ids, blocks)

    def pop(self, day: int) -> np.ndarray:
        """Ids scheduled for `day` (call with increasing days)."""
        block = day // self.BLOCK
        if block != self._open_block:
            self._open(block)
        parts = self._days.pop(day, [])
        if not parts:
            return np.empty(0, dtype=np.int32)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _open(self, block: int) -> None:
        self._open_block = block
        self._days.clear()
        pending = self._blocks[block]
        self._blocks[block] = []
        if pending:
            days = np.concatenate([d for d, _ in pending])
            ids = np.concatenate([i for _, i in pending])
            self._add_to_days(days, ids)

    def _add_to_days(self, days: np.ndarray, ids: np.ndarray) -> None:
        for day, group in _group_by(days, ids):
            self._days.setdefault(day, []).append(group)

    def _add_to_blocks(self, days: np.ndarray, ids: np.ndarray, blocks: np.ndarray) -> None:
        for block, (bdays, bids) in _split_by(blocks, days, ids):
            self._blocks[block].append((bdays, bids))


def _group_by(days: np.ndarray, ids: np.ndarray) -> list[tuple[int, np.ndarray]]:
    return [(int(key), part[1]) for key, part in _split_by(days, days, ids)]


def _split_by(keys: np.ndarray, *arrays: np.ndarray) -> list[tuple[int, tuple[np.ndarray, ...]]]:
    """Group parallel arrays by `keys`; each group is a fresh copy (no views kept)."""
    if len(keys) == 0:
        return []
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    cuts = np.flatnonzero(np.diff(sorted_keys)) + 1
    bounds = np.concatenate(([0], cuts, [len(keys)]))
    sorted_arrays = [a[order] for a in arrays]
    groups = []
    for lo, hi in itertools.pairwise(bounds):
        groups.append((int(sorted_keys[lo]), tuple(a[lo:hi].copy() for a in sorted_arrays)))
    return groups
