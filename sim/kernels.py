"""The daily activity step as one compiled loop (numba), with a numpy twin that gives the
same numbers.

A day's activity is the hot path of a run: every engaged user of every app draws, and each
active one moves its last-active day in the app's and the suite's histograms. In numpy that is
a dozen passes over temporaries; compiled, it is one pass over the members' columns and one
over the day's actives in ascending order (1.7x faster at 1:300, `benchmarks/RESULTS.md`).
The loop runs compiled when numba is installed and `APPSIM_KERNELS` is not `numpy`;
otherwise (or when a test asks for it) the numpy version runs. Both make the same random
draws (`uniform16`: SplitMix64 of a counter, keyed per app and day, so the compiled loop
makes them on the fly instead of reading them from memory) and return identical results: a
run's numbers do not depend on which one ran.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

EMPTY = np.empty(0, np.int32)
GOLDEN, MIX1, MIX2 = (
    np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
)
NO_DAY = -64  # the last active day of an agent never active
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
class Members:
    """An app's engaged users: the columns of its member set, updated in place."""

    ids: np.ndarray  # int32
    threshold: np.ndarray  # uint16: active when a 16-bit draw is below it (x the multiplier)
    last: np.ndarray  # int16: last active day
    reg: np.ndarray  # int16: registration month + 1 (0: before the horizon)
    segment: np.ndarray  # uint8


@dataclass
class ActivityBooks:
    """The recorder's arrays an app's activity updates in place."""

    hist: np.ndarray  # per last-active bin: the app's agents (int64)
    cohort: np.ndarray  # this month's first actives per registration month (int64)
    month_mask: np.ndarray  # per agent: bit mask of apps active this month (uint16), or empty
    bit: int  # the app's bit in month_mask
    suite_last: np.ndarray  # per agent: last active day in any suite app (int16), or empty
    suite_hist: np.ndarray  # the suite's histogram (int64), or empty


def activity_step(
    members: Members,
    key: int,
    multipliers: np.ndarray,
    day: int,
    month_start: int,
    books: ActivityBooks,
) -> tuple[np.ndarray, np.ndarray, DayCounts]:
    """A member is active when its draw (`uniform16(key, ...)`, one per member in order) <
    threshold x its segment's multiplier; record the actives in `members` and `books`.
    Returns the active ids (ascending), those that got their first bit in the month mask,
    and the counts."""
    if len(members.ids) == 0:
        return EMPTY, EMPTY, DayCounts(0, 0, 0, 0)
    scaled = bool((multipliers != 1.0).any())
    factors = multipliers.astype(np.float32)
    step = _compiled_step if use_compiled() else _numpy_step
    return step(members, np.uint64(key), scaled, factors, day, month_start, books)


def use_compiled() -> bool:
    return _jit_loop is not None and os.environ.get("APPSIM_KERNELS", "") != "numpy"


# -- numpy -------------------------------------------------------------------------------------
def uniform16(key: np.uint64, n: int) -> np.ndarray:
    """n uniform 16-bit draws: the four 16-bit lanes of SplitMix64(key + j x golden) for
    j = 0, 1, ... (little-endian lane order, as the compiled loop reads them)."""
    counters = np.arange((n + 3) // 4, dtype=np.uint64)
    return _splitmix(key + counters * GOLDEN).view(np.uint16)[:n]


def _splitmix(z: Any) -> Any:
    """SplitMix64's finaliser (Steele, Lea and Flood 2014), on a uint64 or an array of them."""
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))


def _numpy_step(
    m: Members,
    key: np.uint64,
    scaled: bool,
    factors: np.ndarray,
    day: int,
    month_start: int,
    b: ActivityBooks,
) -> tuple[np.ndarray, np.ndarray, DayCounts]:
    draws = uniform16(key, len(m.ids))
    if scaled:
        hit = draws.astype(np.float32) < m.threshold.astype(np.float32) * factors[m.segment]
    else:
        hit = draws < m.threshold
    pos = np.flatnonzero(hit)
    old = m.last[pos]
    b.hist -= np.bincount(old + PAST, minlength=len(b.hist))
    b.hist[day + PAST] += len(pos)
    m.last[pos] = day
    first_pos = pos[old < month_start]
    b.cohort += np.bincount(m.reg[first_pos], minlength=len(b.cohort))
    first = m.ids[first_pos]
    unmasked = EMPTY
    if len(b.month_mask):
        unmasked = first[b.month_mask[first] == 0]
        b.month_mask[first] |= np.uint16(b.bit)
    active = m.ids[pos]
    active = np.sort(active)
    fresh, suite_first = 0, 0
    if len(b.suite_last):
        suite_old = b.suite_last[active]
        is_fresh = suite_old != day
        fresh = int(np.count_nonzero(is_fresh))
        b.suite_hist -= np.bincount(suite_old[is_fresh] + PAST, minlength=len(b.suite_hist))
        b.suite_hist[day + PAST] += fresh
        b.suite_last[active] = day
        suite_first = int(np.count_nonzero(suite_old < month_start))
    return active, unmasked, DayCounts(len(active), len(first), fresh, suite_first)


# -- numba -------------------------------------------------------------------------------------
def _select(threshold, segment, key, scaled, factors, positions):  # fmt: skip
    """Positions of the active members, in order; returns how many. Every position is
    written and the count advanced by the comparison: no branch to mispredict (3x faster
    than branching on a 10% chance)."""
    n = 0
    size = len(threshold)
    for word in range((size + 3) // 4):
        bits = _jit_splitmix(key + np.uint64(word) * GOLDEN)
        for lane in range(min(4, size - 4 * word)):
            i = 4 * word + lane
            draw = (bits >> np.uint64(16 * lane)) & np.uint64(0xFFFF)
            positions[n] = i
            if scaled:
                n += np.float32(draw) < np.float32(threshold[i]) * factors[segment[i]]
            else:
                n += draw < threshold[i]
    return n


def _record_members(
    positions, ids, last, reg, day, month_start, hist, cohort, active, first
):  # fmt: skip
    """For the active members (ascending positions): move the last-active day in the
    member column and the app's histogram, count first actives of the month by cohort.
    Writes the active and first-active ids; returns how many first actives."""
    n_first = 0
    for j in range(len(positions)):
        i = positions[j]
        old = last[i]
        hist[old + PAST] -= 1
        last[i] = day
        active[j] = ids[i]
        if old < month_start:
            cohort[reg[i]] += 1
            first[n_first] = ids[i]
            n_first += 1
    hist[day + PAST] += len(positions)
    return n_first


def _counting_pass(ids, shift, bits, out):  # fmt: skip
    """Stable counting sort of `ids` by the digit (id >> shift) & (2^bits - 1), into `out`."""
    counts = np.zeros((1 << bits) + 1, np.int64)
    digit_mask = (1 << bits) - 1
    for agent in ids:
        counts[((agent >> shift) & digit_mask) + 1] += 1
    for digit in range(1 << bits):
        counts[digit + 1] += counts[digit]
    for agent in ids:
        digit = (agent >> shift) & digit_mask
        out[counts[digit]] = agent
        counts[digit] += 1


def _sort_ids(ids, work, out):  # fmt: skip
    """Ascending sort of non-negative ids into `out`: radix sort in two counting passes."""
    width = 1
    while (1 << width) <= ids.max():
        width += 1
    low = (width + 1) // 2
    _jit_counting_pass(ids, 0, low, work)
    _jit_counting_pass(work[: len(ids)], low, max(width - low, 1), out)


def _mask(first, month_mask, bit, unmasked):  # fmt: skip
    n = 0
    for agent in first:
        if month_mask[agent] == 0:
            unmasked[n] = agent
            n += 1
        month_mask[agent] |= bit
    return n


def _suite(active, day, month_start, suite_last, suite_hist):  # fmt: skip
    """The suite's last-active days of today's actives (distinct within the app)."""
    n_fresh = n_first = 0
    for agent in active:
        old = suite_last[agent]
        if old != day:
            n_fresh += 1
            suite_hist[old + PAST] -= 1
            suite_last[agent] = day
            if old < month_start:
                n_first += 1
    suite_hist[day + PAST] += n_fresh
    return n_fresh, n_first


def _loop(
    ids, threshold, last, reg, segment, key, scaled, factors, day, month_start, hist, cohort,
    month_mask, bit, suite_last, suite_hist, positions, unsorted, active, first, unmasked,
):  # fmt: skip
    """The step, compiled: the members' own columns in sequence, then the per-agent arrays
    (month mask, suite) for the actives in ascending ids, which the memory prefetcher can
    follow (5x faster than random order at 1:100)."""
    n = _jit_select(threshold, segment, key, scaled, factors, positions)
    if n == 0:
        return 0, 0, 0, 0, 0
    n_first = _jit_record_members(
        positions[:n], ids, last, reg, day, month_start, hist, cohort, unsorted, first
    )
    _jit_sort_ids(unsorted[:n], positions, active)  # positions are spent: reuse them
    n_unmasked = _jit_mask(first[:n_first], month_mask, bit, unmasked) if len(month_mask) else 0
    fresh = suite_first = 0
    if len(suite_last):
        fresh, suite_first = _jit_suite(active[:n], day, month_start, suite_last, suite_hist)
    return n, n_first, n_unmasked, fresh, suite_first


def _compiled_step(
    m: Members,
    key: np.uint64,
    scaled: bool,
    factors: np.ndarray,
    day: int,
    month_start: int,
    b: ActivityBooks,
) -> tuple[np.ndarray, np.ndarray, DayCounts]:
    positions, unsorted, active, first, unmasked = _scratch(len(m.ids))
    assert _jit_loop is not None
    n, n_first, n_unmasked, fresh, suite_first = _jit_loop(
        m.ids, m.threshold, m.last, m.reg, m.segment, key, scaled, factors, np.int16(day),
        month_start, b.hist, b.cohort, b.month_mask, np.uint16(b.bit), b.suite_last,
        b.suite_hist, positions, unsorted, active, first, unmasked,
    )  # fmt: skip
    counts = DayCounts(n, n_first, fresh, suite_first)
    return active[:n].copy(), unmasked[:n_unmasked].copy(), counts


_SCRATCH: list[np.ndarray] = []


def _scratch(n: int) -> list[np.ndarray]:
    """Five int32 work arrays of length >= n, reused from call to call: fresh ones would
    cost a page fault per 4 KiB on every call, more than the step itself."""
    if not _SCRATCH or len(_SCRATCH[0]) < n:
        _SCRATCH[:] = [np.empty(max(n, 2 * len(a)), np.int32) for a in _SCRATCH or [EMPTY] * 5]
    return _SCRATCH


def _compile() -> tuple[Any, ...]:
    try:
        import numba
    except ImportError:  # numba is optional: the numpy twin gives the same results
        return (None,) * 8
    jit = numba.njit(cache=True, nogil=True)
    kernels = (
        _splitmix, _select, _record_members, _counting_pass, _sort_ids, _mask, _suite, _loop
    )  # fmt: skip
    return tuple(jit(f) for f in kernels)


(
    _jit_splitmix,
    _jit_select,
    _jit_record_members,
    _jit_counting_pass,
    _jit_sort_ids,
    _jit_mask,
    _jit_suite,
    _jit_loop,
) = _compile()
