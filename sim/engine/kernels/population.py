"""The compiled loops of `sim.engine.population`."""

from __future__ import annotations

from sim.engine.compiled import compile_all


def _sort_by_day(segment, eligible, n_days, by_segment, by_eligible, day_start):  # fmt: skip
    """`_by_day`, compiled: a counting sort (stable), which writes the renumbered arrays
    directly instead of a permutation and two gathers (10x faster at 1:10)."""
    for e in eligible:
        day_start[min(e, n_days) + 1] += 1
    for d in range(n_days + 1):
        day_start[d + 1] += day_start[d]
    fill = day_start[:-1].copy()
    for i in range(len(eligible)):
        d = min(eligible[i], n_days)
        row = fill[d]
        fill[d] = row + 1
        by_segment[row] = segment[i]
        by_eligible[row] = eligible[i]


(sort_by_day,) = compile_all(
    _sort_by_day
)  # fmt: skip
