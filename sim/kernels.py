"""The daily activity step as one compiled loop (numba), with a numpy twin that gives the
same numbers.

A day's activity is the hot path of a run: every engaged user of every app draws, and each
active one moves its last-active day in the app's and the suite's histograms. In numpy that is
a dozen passes over temporaries and random gathers; fused into one loop it is one pass over the
members. The loop runs compiled when numba is installed and `APPSIM_KERNELS` is not `numpy`;
otherwise (or when a test asks for it) the numpy version runs. Both read the same random draws
and return identical results, so a run's numbers do not depend on which one ran.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .apps import NO_DAY

BLOCK_BITS = 14  # actives are recorded in blocks of 2^14 consecutive ids (cache-sized)
EMPTY = np.empty(0, np.int32)
PAST = -NO_DAY  # bin of day d is d + PAST: bins below PAST hold pre-horizon history, bin 0 "never"


@dataclass
class DayCounts:
    """What one activity step counted: actives, their first activity of the month, and the
    suite's newly active (distinct) customers and their first activity of the month."""

    active: int
    first: int
    suite_fresh: int
    suite_first: int


@dataclass
class ActivityBooks:
    """Where an app's activity is kept: the arrays the step reads and updates in place."""

    last: np.ndarray  # per agent: last active day in the app (int16)
    reg_month: np.ndarray  # per agent: registration month + 1 (int16)
    hist: np.ndarray  # per last-active bin: agents of the app (int64, one recorder row)
    cohort: np.ndarray  # this month's first actives per registration month (int64)
    month_mask: np.ndarray  # per agent: bit mask of apps active this month (uint16), or empty
    bit: int  # the app's bit in month_mask
    suite_last: np.ndarray  # per agent: last active day in any suite app, or empty
    suite_hist: np.ndarray  # the suite's histogram row, or empty


def activity_step(
    ids: np.ndarray,
    thresholds: np.ndarray,
    draws: np.ndarray,
    multiplier: float,
    day: int,
    month_start: int,
    books: ActivityBooks,
) -> tuple[np.ndarray, np.ndarray, DayCounts]:
    """Members `ids` with `thresholds` are active when draw x (1 / multiplier) < threshold;
    record them in `books`. Returns the active ids (ordered by block of ids), those that
    got their first bit in the month mask, and the counts."""
    if multiplier <= 0.0 or len(ids) == 0:
        return EMPTY, EMPTY, DayCounts(0, 0, 0, 0)
    inverse = np.float32(min(1.0 / multiplier, 1e30))  # finite: a draw of 0 stays active
    step = _compiled_step if use_compiled() else _numpy_step
    return step(ids, thresholds, draws, multiplier != 1.0, inverse, day, month_start, books)


def use_compiled() -> bool:
    return _jit_loop is not None and os.environ.get("APPSIM_KERNELS", "") != "numpy"


# -- numpy -------------------------------------------------------------------------------------
def _numpy_step(
    ids: np.ndarray,
    thresholds: np.ndarray,
    draws: np.ndarray,
    scaled: bool,
    inverse: np.float32,
    day: int,
    month_start: int,
    b: ActivityBooks,
) -> tuple[np.ndarray, np.ndarray, DayCounts]:
    keys = draws.astype(np.float32) * inverse if scaled else draws
    active = ids[keys < thresholds]
    active = active[np.argsort(active >> BLOCK_BITS, kind="stable")]
    first = _touch(b.hist, b.last, active, b.last[active], day, month_start)
    b.cohort += np.bincount(b.reg_month[first], minlength=len(b.cohort))
    unmasked = EMPTY
    if len(b.month_mask):
        unmasked = first[b.month_mask[first] == 0]
        b.month_mask[first] |= np.uint16(b.bit)
    fresh, suite_first = 0, 0
    if len(b.suite_last):
        old = b.suite_last[active]
        is_fresh = old != day
        fresh = int(np.count_nonzero(is_fresh))
        suite_first = len(
            _touch(b.suite_hist, b.suite_last, active[is_fresh], old[is_fresh], day, month_start)
        )
    return active, unmasked, DayCounts(len(active), len(first), fresh, suite_first)


def _touch(
    hist: np.ndarray, last: np.ndarray, ids: np.ndarray, old: np.ndarray, day: int, start: int
) -> np.ndarray:
    """Move ids' last-active day from `old` to `day` in `hist`; return those active for the
    first time this month."""
    hist -= np.bincount(old + PAST, minlength=len(hist))
    hist[day + PAST] += len(ids)
    last[ids] = day
    return ids[old < start]


# -- numba -------------------------------------------------------------------------------------
def _draw(ids, thresholds, draws, scaled, inverse, out):  # fmt: skip
    """The active members' ids, in member order, into `out`; returns how many."""
    n = 0
    for i in range(len(ids)):
        out[n] = ids[i]  # written always, kept only when active: no branch to mispredict
        if scaled:
            n += np.float32(draws[i]) * inverse < np.float32(thresholds[i])
        else:
            n += draws[i] < thresholds[i]
    return n


def _sort_by_block(ids, out):  # fmt: skip
    """Stable counting sort of `ids` by id >> BLOCK_BITS, into `out`."""
    counts = np.zeros((ids.max() >> BLOCK_BITS) + 2, np.int64)
    for agent in ids:
        counts[(agent >> BLOCK_BITS) + 1] += 1
    for block in range(len(counts) - 1):
        counts[block + 1] += counts[block]
    for agent in ids:
        block = agent >> BLOCK_BITS
        out[counts[block]] = agent
        counts[block] += 1


def _record(
    active, day, month_start, last, reg_month, hist, cohort, month_mask, bit, suite_last,
    suite_hist, unmasked,
):  # fmt: skip
    """Every update of `_numpy_step` for the active ids; returns the counts."""
    n_first = n_unmasked = n_fresh = n_suite_first = 0
    with_mask, with_suite = len(month_mask) > 0, len(suite_last) > 0
    for agent in active:
        old = last[agent]
        hist[old + PAST] -= 1
        last[agent] = day
        if old < month_start:
            n_first += 1
            cohort[reg_month[agent]] += 1
            if with_mask:
                if month_mask[agent] == 0:
                    unmasked[n_unmasked] = agent
                    n_unmasked += 1
                month_mask[agent] |= bit
        if with_suite:
            suite_old = suite_last[agent]
            if suite_old != day:
                n_fresh += 1
                suite_hist[suite_old + PAST] -= 1
                suite_last[agent] = day
                if suite_old < month_start:
                    n_suite_first += 1
    hist[day + PAST] += len(active)
    if with_suite:
        suite_hist[day + PAST] += n_fresh
    return n_first, n_unmasked, n_fresh, n_suite_first


def _loop(
    ids, thresholds, draws, scaled, inverse, day, month_start, last, reg_month, hist, cohort,
    month_mask, bit, suite_last, suite_hist, unsorted, active, unmasked,
):  # fmt: skip
    """Draw, then record the actives in blocks of nearby ids: the per-agent arrays are then
    read block by block from cache rather than at random from memory (3x faster at 1:100)."""
    n = _jit_draw(ids, thresholds, draws, scaled, inverse, unsorted)
    if n == 0:
        return 0, 0, 0, 0, 0
    _jit_sort_by_block(unsorted[:n], active)
    counts = _jit_record(
        active[:n], day, month_start, last, reg_month, hist, cohort, month_mask, bit,
        suite_last, suite_hist, unmasked,
    )  # fmt: skip
    return n, counts[0], counts[1], counts[2], counts[3]


def _compiled_step(
    ids: np.ndarray,
    thresholds: np.ndarray,
    draws: np.ndarray,
    scaled: bool,
    inverse: np.float32,
    day: int,
    month_start: int,
    b: ActivityBooks,
) -> tuple[np.ndarray, np.ndarray, DayCounts]:
    unsorted, active, unmasked = (np.empty(len(ids), np.int32) for _ in range(3))
    assert _jit_loop is not None
    n, first, n_unmasked, fresh, suite_first = _jit_loop(
        ids, thresholds, draws, scaled, inverse, np.int16(day), month_start, b.last,
        b.reg_month, b.hist, b.cohort, b.month_mask, np.uint16(b.bit), b.suite_last,
        b.suite_hist, unsorted, active, unmasked,
    )  # fmt: skip
    counts = DayCounts(n, first, fresh, suite_first)
    return active[:n].copy(), unmasked[:n_unmasked].copy(), counts


def _compile() -> tuple[Any, ...]:
    try:
        import numba
    except ImportError:  # numba is optional: the numpy twin gives the same results
        return None, None, None, None
    jit = numba.njit(cache=True, nogil=True)
    return jit(_draw), jit(_sort_by_block), jit(_record), jit(_loop)


_jit_draw, _jit_sort_by_block, _jit_record, _jit_loop = _compile()
