"""The compiled loops of `sim.engine.scatter`."""

from __future__ import annotations

from sim.engine.compiled import AHEAD, compile_all, prefetch


def _gather(values, ids, out):  # fmt: skip
    for j in range(len(ids)):
        if j + AHEAD < len(ids):
            prefetch(values, ids[j + AHEAD])
        out[j] = values[ids[j]]


def _count_up(counts, ids):  # fmt: skip
    fresh = 0
    for j in range(len(ids)):
        if j + AHEAD < len(ids):
            prefetch(counts, ids[j + AHEAD])
        before = counts[ids[j]]
        fresh += before == 0
        counts[ids[j]] = before + 1
    return fresh


(gather, count_up,) = compile_all(
    _gather, _count_up
)  # fmt: skip
