"""The compiled loops of `sim.engine.sets`."""

from __future__ import annotations

import numpy as np

from sim.engine.compiled import AHEAD, compile_all, prefetch
from sim.model.encodings import ABSENT

NO_SET = -1  # a segment without a set in a `SegmentSets`


def _plan_removal(ids, slot, dense, new_n, n, holes, movers):  # fmt: skip
    """`_plan_removal_numpy`, compiled: writes holes and movers, returns how many."""
    n_holes = 0
    for j in range(len(ids)):
        if j + AHEAD < len(ids):
            prefetch(slot, ids[j + AHEAD])
        agent = ids[j]
        p = slot[agent]
        if p < new_n:
            holes[n_holes] = p
            n_holes += 1
        else:
            dense[p] = ABSENT  # a leaving tail member: not a mover
        slot[agent] = ABSENT
    n_movers = 0
    for p in range(new_n, n):
        if dense[p] != ABSENT:
            movers[n_movers] = p
            n_movers += 1
    for j in range(n_holes):
        agent = dense[movers[j]]
        dense[holes[j]] = agent
        slot[agent] = holes[j]
    return n_holes


def _count_by_index(segs, set_of, n_sets):  # fmt: skip
    """How many of `segs` fall in each set (np.bincount would first copy a launch's
    millions of segments to int64: 20x slower)."""
    counts = np.zeros(n_sets, np.int64)
    for seg in segs:
        counts[set_of[seg]] += 1
    return counts


def _count_run(lo, hi, segment_of, state, free, set_of, counts):  # fmt: skip
    """How many agents lo .. hi - 1 in state `free` each set would take."""
    for agent in range(lo, hi):
        i = set_of[segment_of[agent]]
        if state[agent] == free and i != NO_SET:
            counts[i] += 1


def _fill_run(lo, hi, segment_of, state, free, mark, set_of, i, dense, row, slot):  # fmt: skip
    """Append set i's agents of lo .. hi - 1 (state `free`) to its dense array from `row`
    on, in id order, and mark them: every write lands next to the previous one."""
    for agent in range(lo, hi):
        if state[agent] == free and set_of[segment_of[agent]] == i:
            state[agent] = mark
            dense[row] = agent
            slot[agent] = row
            row += 1


def _add_by_index(ids, segs, set_of, starts, dense, slot):  # fmt: skip
    """`SegmentSets.add`, compiled: a counting sort of the ids by set (stable), then each
    set's share appended to it. Picking a set from the tuple per id would cost a hard-to-
    predict branch each (2x slower)."""
    n_sets = len(dense)
    bounds = np.zeros(n_sets + 1, np.int64)
    for j in range(len(ids)):
        bounds[set_of[segs[j]] + 1] += 1
    for i in range(n_sets):
        bounds[i + 1] += bounds[i]
    order = np.empty(len(ids), np.int32)
    fill = bounds[:-1].copy()
    for j in range(len(ids)):
        i = set_of[segs[j]]
        order[fill[i]] = j
        fill[i] += 1
    for i in range(n_sets):
        members = dense[i]
        row = starts[i]
        for t in range(bounds[i], bounds[i + 1]):
            if t + AHEAD < len(ids):
                prefetch(slot, ids[order[t + AHEAD]])
            agent = ids[order[t]]
            members[row] = agent
            slot[agent] = row
            row += 1


def _take_by_index(uniforms, counts, sizes, dense, slot, taken):  # fmt: skip
    """`SegmentSets.take`, compiled: `_take_into_tail` in each segment's set in turn. A
    draw's position depends on its uniform only, so the members a few draws ahead, then
    their slots, are prefetched: the draws land anywhere in sets of millions."""
    j = 0
    for i in range(len(counts)):
        members = dense[i]
        n = sizes[i]
        k = counts[i]
        for d in range(k):
            if d + AHEAD < k:
                prefetch(members, pick(uniforms[j + AHEAD], n - 1 - d - AHEAD))
            if d + AHEAD // 2 < k:
                soon = n - 1 - d - AHEAD // 2
                prefetch(slot, members[pick(uniforms[j + AHEAD // 2], soon)])
                prefetch(slot, members[soon])
            last = n - 1 - d
            p = pick(uniforms[j], last)
            agent = members[p]
            moved = members[last]
            members[p] = moved
            slot[moved] = p
            slot[agent] = ABSENT  # after the line above: when p is the last, moved is agent
            taken[j] = agent
            j += 1


def _pick(uniform, last):  # fmt: skip
    """The position a uniform picks among 0 .. last (floor(u (last + 1)), at most last)."""
    return min(np.int64(uniform * (last + 1)), last)


(
    plan_removal,
    count_by_index,
    add_by_index,
    take_by_index,
    pick,
    count_run,
    fill_run,
) = compile_all(
    _plan_removal, _count_by_index, _add_by_index, _take_by_index, _pick, _count_run, _fill_run
)
