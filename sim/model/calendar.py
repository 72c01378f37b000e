"""Simulated time: day indices <-> dates and month boundaries.

Day 0 is the scenario's start. Events due on a future day (an engaged user's lapse) are kept
as a day number in a column of the engaged set, next to the user's activity threshold, not in
a calendar of ids: finding who is due is one scan of a contiguous 2-byte column, cheaper than
filing each new day into a bucket and sorting the buckets out later.
"""

from __future__ import annotations

import datetime as dt

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
