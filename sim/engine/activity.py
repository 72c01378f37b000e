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

import numpy as np

from sim.engine.column_scans import EMPTY, scratch
from sim.engine.compiled import use_compiled
from sim.engine.kernels import activity as kernels
from sim.engine.kernels.records import ActivityBooks, Rows
from sim.model.encodings import ALONE, ONE, PAST, REG_MONTH, SOLO, SYNCED
from sim.model.streams import uniform16

Members = Rows  # an app's engaged users, as the step reads them (views of the current rows)


@dataclass
class DayCounts:
    """What one activity step counted: actives, their first activity of the month, and the
    suite's newly active (distinct) customers and their first activity of the month."""

    active: int
    first: int
    suite_fresh: int
    suite_first: int


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
    step = _compiled_step if use_compiled(kernels.loop) else _numpy_step
    return step(members, np.uint64(key), scaled, factors, day, month_start, books)


def fixed_point(multipliers: np.ndarray) -> np.ndarray:
    """Multipliers in units of 1/65536 (uint64): a member is active when
    draw x 65536 < threshold x factor, exact integer arithmetic in both twins (2x faster
    compiled than a float comparison). Capped at 65536, which already makes any nonzero
    threshold always active, so that threshold x factor cannot overflow."""
    capped = np.minimum(np.asarray(multipliers, np.float64), float(ONE))
    return np.rint(capped * float(ONE)).astype(np.uint64)


# -- numpy -------------------------------------------------------------------------------------
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
    b.hist[:] -= np.bincount(old + PAST, minlength=len(b.hist))
    b.hist[day + PAST] += len(pos)
    m.last[pos] = day
    is_first = old < month_start
    flags = m.reg[pos] & ~np.int16(REG_MONTH)
    b.cohort[:] += np.bincount(m.reg[pos[is_first]] & REG_MONTH, minlength=len(b.cohort))
    first = m.ids[pos[is_first]]
    if len(b.month_mask):
        _numpy_mask(first, b.month_mask, b.app, b.overlap)
    active = m.ids[pos]
    fresh, suite_first = 0, 0
    if len(b.suite_last):
        alone = flags == ALONE
        b.suite_hist[:] -= np.bincount(old[alone] + PAST, minlength=len(b.suite_hist))
        fresh, suite_first = int(alone.sum()), int(np.count_nonzero(is_first & alone))
        m.reg[pos[flags == SOLO]] |= np.int16(SYNCED)
        shared = active[~alone]
        suite_old = b.suite_last[shared]
        is_fresh = suite_old != day
        fresh += int(np.count_nonzero(is_fresh))
        b.suite_hist[:] -= np.bincount(suite_old[is_fresh] + PAST, minlength=len(b.suite_hist))
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


def _compiled_step(
    m: Members,
    key: np.uint64,
    scaled: bool,
    factors: np.ndarray,
    day: int,
    month_start: int,
    b: ActivityBooks,
) -> tuple[np.ndarray, DayCounts]:
    uniform = scaled and bool((factors == factors[0]).all())  # one factor: no lookups
    positions, first = scratch(len(m.ids))
    n, n_first, fresh, suite_first = kernels.loop(
        m, key, scaled, uniform, factors, np.int16(day), month_start, b, positions, first
    )
    return b.out[:n], DayCounts(n, n_first, fresh, suite_first)
