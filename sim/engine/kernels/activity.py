"""The compiled loops of `sim.engine.activity`: the day's activity step as one pass over the
members' rows and one over the actives' scattered per-customer entries (the module docstring
of `sim.engine.activity` says what it computes; `benchmarks/RESULTS.md` how fast)."""

from __future__ import annotations

import numpy as np

from sim.engine.compiled import AHEAD, below_mask, compile_all, prefetch
from sim.engine.kernels.column_scans import BLOCK, read_masks
from sim.model.encodings import ALONE, ONE, PAST, REG_MONTH, SOLO, SYNCED
from sim.model.streams import GOLDEN
from sim.model.streams import splitmix as _splitmix

SATURATED = np.uint64(0xFFFFFFFF)


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
        draw_words(key, lo // 4, words[: (hi - lo) // 4])
        if not scaled:
            hit_masks(draws, threshold[lo:hi], masks)
        else:
            scaled_limits(threshold[lo:hi], segment[lo:hi], uniform, lanes, limits)
            hit_masks(draws, limits[: hi - lo], masks)
        n = read_masks(masks[: (hi - lo) // 64], lo, positions, n)
    for i in range(whole, len(threshold)):
        bits = splitmix(key + np.uint64(i // 4) * GOLDEN)
        draw = (bits >> np.uint64(16 * (i % 4))) & np.uint64(0xFFFF)
        positions[n] = i
        n += draw * ONE < np.uint64(threshold[i]) * factors[segment[i]]
    return n


def _draw_words(key, first, words):  # fmt: skip
    for w in range(len(words)):
        words[w] = splitmix(key + np.uint64(first + w) * GOLDEN)


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


def _record_members(positions, members, day, month_start, books, active, first, counts):
    """For the active members (ascending positions): move the last-active day in the
    member column and the app's histogram, count first actives of the month by cohort.
    Writes the active and first-active ids; returns how many first actives. In a suite
    app, an active whose row is ALONE also moves the suite's histogram (counts: how many,
    and how many were the month's first); the others' ids go to the front of `positions`,
    for `_suite`. Branch-free, like the selection: whether an active is the month's first,
    or alone, is a coin flip to the branch predictor (1.8x faster than branching on it)."""
    ids, last, reg = members.ids, members.last, members.reg
    hist, cohort, suite_hist = books.hist, books.cohort, books.suite_hist
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


def _loop(members, key, scaled, uniform, factors, day, month_start, books, positions, first):
    """The step, compiled: the members' own columns in sequence, then the per-customer
    arrays (month mask, suite) at the actives' ids, each entry prefetched a few actives
    ahead (as fast as in ascending id order, which would cost a sort)."""
    n = select(members.threshold, members.segment, key, scaled, uniform, factors, positions)
    if n == 0:
        return 0, 0, 0, 0
    counts = np.zeros(3, np.int64)  # actives not alone, alone, alone and the month's first
    n_first = record_members(
        positions[:n], members, day, month_start, books, books.out, first, counts
    )
    if len(books.month_mask):
        mask(first[:n_first], books.month_mask, books.app, books.overlap)
    fresh = suite_first = 0
    if len(books.suite_last):
        fresh, suite_first = suite(
            positions[: counts[0]], day, month_start, books.suite_last, books.suite_hist,
            counts[1],
        )  # fmt: skip
    return n, n_first, fresh + counts[1], suite_first + counts[2]


(
    splitmix,
    draw_words,
    hit_masks,
    scaled_limits,
    select,
    record_members,
    mask,
    suite,
    loop,
) = compile_all(
    _splitmix,
    _draw_words,
    _hit_masks,
    _scaled_limits,
    _select,
    _record_members,
    _mask,
    _suite,
    _loop,
)
