"""The daily activity step as one compiled loop (numba), with a numpy twin that gives the
same numbers.

A day's activity is the hot path of a run: every engaged user of every app draws, and each
active one moves its last-active day in the app's and the suite's histograms. In numpy that is
a dozen passes over temporaries; compiled, it is one pass over the members' columns and one
over the day's actives, whose scattered per-customer entries are prefetched a few actives
ahead (`benchmarks/RESULTS.md` has the speed-ups). The loop runs compiled
when numba is installed and `APPSIM_KERNELS` is not `numpy` (`sim.engine.compiled`); otherwise (or
when a test asks for it) the numpy version runs. Both make the same random draws
(`uniform16`: SplitMix64 of a counter, keyed per app and day, so the compiled loop makes them
on the fly instead of reading them from memory) and return identical results: a run's
numbers do not depend on which one ran. The month-end overlap counts live here too, for the
same reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.engine.column_scans import BLOCK, EMPTY, jit_read_masks, scratch
from sim.engine.compiled import (
    AHEAD,
    below_mask,
    compile_all,
    prefetch,
    use_compiled,
)
from sim.model.encodings import ALONE, ONE, PAST, REG_MONTH, SOLO, SYNCED

GOLDEN, MIX1, MIX2 = (
    np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
)
SATURATED = np.uint64(0xFFFFFFFF)


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
    reg: np.ndarray  # int16: registration month + 1 (0: before the horizon), and flags
    segment: np.ndarray  # uint8


@dataclass
class ActivityBooks:
    """The recorder's arrays an app's activity updates in place."""

    hist: np.ndarray  # per last-active bin: the app's agents (int64)
    cohort: np.ndarray  # this month's first actives per registration month (int64)
    month_mask: np.ndarray  # per agent: bit mask of apps active this month (uint16), or empty
    overlap: np.ndarray  # this month's agents active in both of two apps (int64), or empty
    app: int  # the app's row in overlap; its bit in month_mask is 1 << app
    suite_last: np.ndarray  # per agent: last active day in any suite app (int16), or empty
    suite_hist: np.ndarray  # the suite's histogram (int64), or empty
    out: np.ndarray  # int32, at least as long as the members: the compiled step's actives


def activity_step(
    members: Members,
    key: int,
    multipliers: np.ndarray,
    day: int,
    month_start: int,
    books: ActivityBooks,
) -> tuple[np.ndarray, DayCounts]:
    """A member is active when its draw (`uniform16(key, ...)`, one per member in order) <
    threshold x its segment's multiplier; record the actives in `members` and `books`.
    Returns the active ids (in the members' order; compiled, a view of `books.out`) and
    the counts."""
    if len(members.ids) == 0:
        return EMPTY, DayCounts(0, 0, 0, 0)
    factors = fixed_point(multipliers)
    scaled = bool((factors != ONE).any())
    step = _compiled_step if use_compiled(_jit_loop) else _numpy_step
    return step(members, np.uint64(key), scaled, factors, day, month_start, books)


def fixed_point(multipliers: np.ndarray) -> np.ndarray:
    """Multipliers in units of 1/65536 (uint64): a member is active when
    draw x 65536 < threshold x factor, exact integer arithmetic in both twins (2x faster
    compiled than a float comparison). Capped at 65536, which already makes any nonzero
    threshold always active, so that threshold x factor cannot overflow."""
    capped = np.minimum(np.asarray(multipliers, np.float64), float(ONE))
    return np.rint(capped * float(ONE)).astype(np.uint64)


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
) -> tuple[np.ndarray, DayCounts]:
    draws = uniform16(key, len(m.ids))
    if scaled:
        hit = draws.astype(np.uint64) * ONE < m.threshold.astype(np.uint64) * factors[m.segment]
    else:
        hit = draws < m.threshold
    pos = np.flatnonzero(hit)
    old = m.last[pos]
    b.hist -= np.bincount(old + PAST, minlength=len(b.hist))
    b.hist[day + PAST] += len(pos)
    m.last[pos] = day
    is_first = old < month_start
    flags = m.reg[pos] & ~np.int16(REG_MONTH)
    b.cohort += np.bincount(m.reg[pos[is_first]] & REG_MONTH, minlength=len(b.cohort))
    first = m.ids[pos[is_first]]
    if len(b.month_mask):
        _numpy_mask(first, b.month_mask, b.app, b.overlap)
    active = m.ids[pos]
    fresh, suite_first = 0, 0
    if len(b.suite_last):
        alone = flags == ALONE
        b.suite_hist -= np.bincount(old[alone] + PAST, minlength=len(b.suite_hist))
        fresh, suite_first = int(alone.sum()), int(np.count_nonzero(is_first & alone))
        m.reg[pos[flags == SOLO]] |= np.int16(SYNCED)
        shared = active[~alone]
        suite_old = b.suite_last[shared]
        is_fresh = suite_old != day
        fresh += int(np.count_nonzero(is_fresh))
        b.suite_hist -= np.bincount(suite_old[is_fresh] + PAST, minlength=len(b.suite_hist))
        b.suite_hist[day + PAST] += fresh
        b.suite_last[shared] = day
        suite_first += int(np.count_nonzero(suite_old < month_start))
    return active, DayCounts(len(active), len(first), fresh, suite_first)


def _numpy_mask(first: np.ndarray, month_mask: np.ndarray, app: int, overlap: np.ndarray) -> None:
    """Set the app's bit for its first actives of the month and count, in the month's
    overlap matrix, each one with every app it was already active in this month."""
    bit = np.uint16(1 << app)
    old = month_mask[first]
    new = (old & bit) == 0
    first, old = first[new], old[new]
    month_mask[first] = old | bit
    overlap[app, app] += len(first)
    for other in range(len(overlap)):
        both = np.count_nonzero(old & np.uint16(1 << other)) if other != app else 0
        overlap[app, other] += both
        overlap[other, app] += both


# -- numba -------------------------------------------------------------------------------------
def _select(threshold, segment, key, scaled, uniform, factors, positions):  # fmt: skip
    """Positions of the active members, in order; returns how many. Block by block (4,096
    members, whose draws and masks stay in the first-level cache): the draws, then one bit
    per member in 64-bit masks, each pass a plain loop the compiler vectorises; then the
    set bits are read off the masks (5x faster on unscaled days than comparing and
    compacting member by member, with its chain of dependent counts). Scaled days compare
    draw x 65536 with threshold x factor, saturated to 32 bits (a draw's side is at most
    2**32 - 65536, so saturating keeps every comparison's outcome)."""
    words = np.empty(BLOCK // 4, np.uint64)
    draws = words.view(np.uint16)
    masks = np.empty(BLOCK // 64, np.uint64)
    limits = np.empty(BLOCK if scaled else 0, np.uint32)
    # the factors saturated to 32 bits, which changes no limit (a factor of 2**32 or more
    # saturates any nonzero threshold) and lets the compiler multiply 32-bit lanes (1.4x);
    # padded to 8 for the chain of selects
    lanes = np.zeros(max(8, len(factors)), np.uint32)
    for s in range(len(factors)):
        lanes[s] = min(factors[s], SATURATED)
    whole = len(threshold) // 64 * 64  # members in whole masks; the rest one by one
    n = 0
    for lo in range(0, whole, BLOCK):
        hi = min(lo + BLOCK, whole)
        _jit_draw_words(key, lo // 4, words[: (hi - lo) // 4])
        if not scaled:
            _jit_hit_masks(draws, threshold[lo:hi], masks)
        else:
            _jit_scaled_limits(threshold[lo:hi], segment[lo:hi], uniform, lanes, limits)
            _jit_hit_masks(draws, limits[: hi - lo], masks)
        n = jit_read_masks(masks[: (hi - lo) // 64], lo, positions, n)
    for i in range(whole, len(threshold)):
        bits = _jit_splitmix(key + np.uint64(i // 4) * GOLDEN)
        draw = (bits >> np.uint64(16 * (i % 4))) & np.uint64(0xFFFF)
        positions[n] = i
        n += draw * ONE < np.uint64(threshold[i]) * factors[segment[i]]
    return n


def _draw_words(key, first, words):  # fmt: skip
    for w in range(len(words)):
        words[w] = _jit_splitmix(key + np.uint64(first + w) * GOLDEN)


def _hit_masks(draws, limits, masks):  # fmt: skip
    """Bit b of masks[g]: member 64 g + b is active: its draw is below its threshold, or on
    a scaled day (32-bit limits) draw x 65536 is below its limit."""
    for g in range(len(limits) // 64):
        masks[g] = below_mask(draws, limits, 64 * g)


def _scaled_limits(threshold, segment, uniform, factors, limits):  # fmt: skip
    """threshold x its segment's factor (32-bit factors, at least 8 of them), saturated to
    32 bits; one factor for all when `uniform`: no lookup per member."""
    if uniform:
        factor = np.uint64(factors[0])
        for i in range(len(threshold)):
            limits[i] = min(np.uint64(threshold[i]) * factor, SATURATED)
    elif len(factors) == 8:  # a chain of selects vectorises; a lookup per member does not
        f0, f1, f2, f3 = factors[0], factors[1], factors[2], factors[3]
        f4, f5, f6, f7 = factors[4], factors[5], factors[6], factors[7]
        for i in range(len(threshold)):
            s = segment[i]
            factor = f0
            factor = f1 if s == 1 else factor
            factor = f2 if s == 2 else factor
            factor = f3 if s == 3 else factor
            factor = f4 if s == 4 else factor
            factor = f5 if s == 5 else factor
            factor = f6 if s == 6 else factor
            factor = f7 if s == 7 else factor
            limits[i] = min(np.uint64(threshold[i]) * np.uint64(factor), SATURATED)
    else:
        for i in range(len(threshold)):
            limits[i] = min(np.uint64(threshold[i]) * np.uint64(factors[segment[i]]), SATURATED)


def _record_members(
    positions, ids, last, reg, day, month_start, hist, cohort, active, first, suite_hist, counts
):  # fmt: skip
    """For the active members (ascending positions): move the last-active day in the
    member column and the app's histogram, count first actives of the month by cohort.
    Writes the active and first-active ids; returns how many first actives. In a suite
    app, an active whose row is ALONE also moves the suite's histogram (counts: how many,
    and how many were the month's first); the others' ids go to the front of `positions`,
    for `_suite`. Branch-free, like the selection: whether an active is the month's first,
    or alone, is a coin flip to the branch predictor (1.8x faster than branching on it)."""
    n_first = n_shared = n_alone = n_alone_first = 0
    suite = len(suite_hist) > 0
    for j in range(len(positions)):
        if j + AHEAD < len(positions):  # the actives are sparse: prefetch ahead (1.7x)
            prefetch(last, positions[j + AHEAD])
            prefetch(ids, positions[j + AHEAD])
            prefetch(reg, positions[j + AHEAD])
        i = positions[j]
        old = last[i]
        hist[old + PAST] -= 1
        last[i] = day
        agent = ids[i]
        active[j] = agent
        is_first = old < month_start
        row_reg = reg[i]
        cohort[row_reg & REG_MONTH] += is_first
        first[n_first] = agent
        n_first += is_first
        if suite:
            flags = row_reg & ~REG_MONTH
            alone = flags == ALONE
            suite_hist[old + PAST] -= alone
            n_alone += alone
            n_alone_first += alone & is_first
            positions[n_shared] = agent  # at or below j: already read
            n_shared += 1 - alone
            if flags == SOLO:  # `_suite` brings its entry to today: from now on, alone
                reg[i] = row_reg | SYNCED
    hist[day + PAST] += len(positions)
    counts[0], counts[1], counts[2] = n_shared, n_alone, n_alone_first
    return n_first


def _mask(first, month_mask, app, overlap):  # fmt: skip
    """`_numpy_mask`, compiled."""
    bit = np.uint16(1 << app)
    for j in range(len(first)):
        if j + AHEAD < len(first):
            prefetch(month_mask, first[j + AHEAD])
        agent = first[j]
        old = month_mask[agent]
        if old & bit:
            continue
        month_mask[agent] = old | bit
        overlap[app, app] += 1
        other = 0
        while old:
            if old & 1:
                overlap[app, other] += 1
                overlap[other, app] += 1
            old >>= 1
            other += 1


def _suite(shared, day, month_start, suite_last, suite_hist, alone):  # fmt: skip
    """The suite's last-active days of today's actives that are not alone in their row
    (distinct within the app); `alone` of them were counted by `_record_members`."""
    n_fresh = n_first = 0
    for j in range(len(shared)):
        if j + AHEAD < len(shared):
            prefetch(suite_last, shared[j + AHEAD])
        agent = shared[j]
        old = suite_last[agent]
        if old != day:
            n_fresh += 1
            suite_hist[old + PAST] -= 1
            suite_last[agent] = day
            if old < month_start:
                n_first += 1
    suite_hist[day + PAST] += n_fresh + alone
    return n_fresh, n_first


def _loop(
    ids, threshold, last, reg, segment, key, scaled, uniform, factors, day, month_start, hist,
    cohort, month_mask, overlap, app, suite_last, suite_hist, positions, active, first,
):  # fmt: skip
    """The step, compiled: the members' own columns in sequence, then the per-customer
    arrays (month mask, suite) at the actives' ids, each entry prefetched a few actives
    ahead (as fast as in ascending id order, which would cost a sort)."""
    n = _jit_select(threshold, segment, key, scaled, uniform, factors, positions)
    if n == 0:
        return 0, 0, 0, 0
    counts = np.zeros(3, np.int64)  # actives not alone, alone, alone and the month's first
    n_first = _jit_record_members(
        positions[:n], ids, last, reg, day, month_start, hist, cohort, active, first,
        suite_hist, counts,
    )  # fmt: skip
    if len(month_mask):
        _jit_mask(first[:n_first], month_mask, app, overlap)
    fresh = suite_first = 0
    if len(suite_last):
        fresh, suite_first = _jit_suite(
            positions[: counts[0]], day, month_start, suite_last, suite_hist, counts[1]
        )
    return n, n_first, fresh + counts[1], suite_first + counts[2]


def _compiled_step(
    m: Members,
    key: np.uint64,
    scaled: bool,
    factors: np.ndarray,
    day: int,
    month_start: int,
    b: ActivityBooks,
) -> tuple[np.ndarray, DayCounts]:
    positions, first = scratch(len(m.ids))
    active = b.out
    uniform = scaled and bool((factors == factors[0]).all())  # one factor: no lookups
    assert _jit_loop is not None
    n, n_first, fresh, suite_first = _jit_loop(
        m.ids, m.threshold, m.last, m.reg, m.segment, key, scaled, uniform, factors,
        np.int16(day), month_start, b.hist, b.cohort, b.month_mask, b.overlap, b.app, b.suite_last,
        b.suite_hist, positions, active, first,
    )  # fmt: skip
    return active[:n], DayCounts(n, n_first, fresh, suite_first)


(
    _jit_splitmix,
    _jit_draw_words,
    _jit_hit_masks,
    _jit_scaled_limits,
    _jit_select,
    _jit_record_members,
    _jit_mask,
    _jit_suite,
    _jit_loop,
) = compile_all(
    _splitmix, _draw_words, _hit_masks, _scaled_limits, _select,
    _record_members, _mask, _suite, _loop,
)  # fmt: skip
