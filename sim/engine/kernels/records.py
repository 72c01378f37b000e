"""The records compiled loops take: an app's columns grouped as they travel together.

numba takes a NamedTuple of arrays as one argument (typed by its fields), so a loop's
signature names what it works on (the engaged rows, the app's per-customer arrays, the
suite's links) instead of twenty positional arrays. Built per call from views; the arrays
themselves are the app's, updated in place.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Rows(NamedTuple):
    """An app's engaged set, row by row (`sim.engine.app_state.ENGAGED_COLUMNS`)."""

    ids: np.ndarray  # int32
    threshold: np.ndarray  # uint16: active when a 16-bit draw is below it (x the multiplier)
    last: np.ndarray  # int16: last active day
    reg: np.ndarray  # int16: registration month + 1 (0: before the horizon), and flags
    segment: np.ndarray  # uint8
    due: np.ndarray  # int16: lapse day


class Agents(NamedTuple):
    """An app's per-customer arrays (`sim.engine.app_state.AppState`)."""

    state: np.ndarray  # uint8: OUT, POOL, ENGAGED, LAPSED, GONE
    slot: np.ndarray  # int32: row in the app's set that holds the agent, or ABSENT
    propensity: np.ndarray  # float32
    last_active: np.ndarray  # int16 (for engaged agents the row's `last` is current)
    reg_month: np.ndarray  # int16


class Links(NamedTuple):
    """The suite's book as one app's transitions see it (`sim.engine.suite_book`)."""

    bit: np.int64  # the app's bit in `engaged_in`, or -1 outside the book
    engaged_in: np.ndarray  # uint8 per customer: the suite apps it is engaged in
    suite_last: np.ndarray  # int16 per customer: last active day in any suite app


class ActivityBooks(NamedTuple):
    """The recorder's arrays an app's activity step updates in place."""

    hist: np.ndarray  # per last-active bin: the app's agents (int64)
    cohort: np.ndarray  # this month's first actives per registration month (int64)
    month_mask: np.ndarray  # per agent: bit mask of apps active this month (uint16), or empty
    overlap: np.ndarray  # this month's agents active in both of two apps (int64), or empty
    app: int  # the app's row in overlap; its bit in month_mask is 1 << app
    suite_last: np.ndarray  # per agent: last active day in any suite app (int16), or empty
    suite_hist: np.ndarray  # the suite's histogram (int64), or empty
    out: np.ndarray  # int32, at least as long as the members: the compiled step's actives
