"""The compiled loops of `sim.engine.transitions`: writing the agents that register, become
engaged or lapse, one pass each over scattered per-customer entries (prefetched a few agents
ahead) where the numpy path makes a dozen or twenty."""

from __future__ import annotations

import numpy as np

from sim.engine.compiled import AHEAD, compile_all, prefetch
from sim.engine.kernels.suite_book import ahead_suite, join_suite, leave_suite
from sim.model.encodings import ABSENT, ENGAGED, LAPSED, SOLO, activity_threshold


def _prefetch_agent(agents, agent, links):  # fmt: skip
    """Ask for the entries of an agent a few ahead that `put_engaged` will write."""
    prefetch(agents.state, agent)
    prefetch(agents.slot, agent)
    prefetch(agents.last_active, agent)
    prefetch(agents.reg_month, agent)
    ahead_suite(agent, links)


def _register(new, agents, rows, start, dormant, dormant_segs, links, partners):  # fmt: skip
    """`register` after its draws (`new`: ids, segs, propensity, engaged, due), compiled:
    one pass over the agents writes their propensity and registration month, and the
    engaged ones' state and row of the engaged set (as `engage`), in order; the dormant
    ones are marked and listed for their set. Returns how many agents are listed in
    `partners` for the suite's book (`sim.engine.suite_book`)."""
    ids, segs, propensity, engaged, due, reg = new
    row, n_dormant, n_partners = start, 0, 0
    for j in range(len(ids)):
        if j + AHEAD < len(ids):
            ahead = ids[j + AHEAD]
            prefetch_agent(agents, ahead, links)
            prefetch(agents.propensity, ahead)
        agent = ids[j]
        agents.propensity[agent] = propensity[j]
        agents.reg_month[agent] = reg
        if engaged[j]:
            n_partners = put_engaged(
                agent, row, segs[j], propensity[j], due[row - start], reg, agents, rows, links,
                partners, n_partners,
            )  # fmt: skip
            row += 1
        else:
            agents.state[agent] = LAPSED
            dormant[n_dormant] = agent
            dormant_segs[n_dormant] = segs[j]
            n_dormant += 1
    return n_partners


def _engage(ids, segs, propensity, due, agents, rows, start, links, partners):  # fmt: skip
    """`engage` after its draws, compiled: one pass over the agents, writing their state and
    their row of the engaged set from `start` on. Returns how many agents are listed in
    `partners` for the suite's book."""
    n_partners = 0
    for j in range(len(ids)):
        if j + AHEAD < len(ids):
            prefetch_agent(agents, ids[j + AHEAD], links)
        agent = ids[j]
        n_partners = put_engaged(
            agent, start + j, segs[j], propensity[j], due[j], agents.reg_month[agent], agents,
            rows, links, partners, n_partners,
        )  # fmt: skip
    return n_partners


def _put_engaged(
    agent, row, seg, propensity, due, reg, agents, rows, links, partners, n_partners
):  # fmt: skip
    """Agent `agent` (of segment `seg`, registration month `reg` - 1) becomes engaged at
    `row` of the engaged set, with its activity threshold and lapse day; the suite's book
    learns it and gives the row's flags. Returns how many partners are listed."""
    agents.state[agent] = ENGAGED
    agents.slot[agent] = row
    rows.ids[row] = agent
    rows.threshold[row] = threshold(np.float64(propensity))
    rows.last[row] = agents.last_active[agent]
    flags, n_partners = join_suite(agent, links, partners, n_partners)
    rows.reg[row] = reg | flags
    rows.segment[row] = seg
    rows.due[row] = due
    return n_partners


def _lapse_rows(positions, n, rows, agents, ids, segs, links, partners):  # fmt: skip
    """`lapse_due` between the scan and the dormant set, compiled: the lapsing rows
    (ascending `positions` of the engaged set's n) leave their state and last active day
    with the agent and their id and segment in `ids` and `segs`; then the rows that stay in
    the tail fill the holes below the new size, in ascending order: the arrangement of
    `IndexedSet.remove`. The suite's book learns who left; returns how many agents it
    listed in `partners`."""
    k = len(positions)
    for j in range(k):
        if j + AHEAD < k:
            prefetch(rows.ids, positions[j + AHEAD])
        ids[j] = rows.ids[positions[j]]
    n_partners = leave_rows(positions, rows, agents, ids, segs, links, partners)
    fill_holes(positions, n, rows, agents.slot)
    return n_partners


def _leave_rows(positions, rows, agents, ids, segs, links, partners):  # fmt: skip
    """The lapsing agents leave their rows: state, last active day and slot, and the book."""
    k = len(positions)
    n_partners = 0
    for j in range(k):
        if j + AHEAD < k:
            prefetch(rows.last, positions[j + AHEAD])
            prefetch(rows.reg, positions[j + AHEAD])
            ahead = ids[j + AHEAD]
            prefetch(agents.state, ahead)
            prefetch(agents.last_active, ahead)
            prefetch(agents.slot, ahead)
            ahead_suite(ahead, links)
        if j + AHEAD // 2 < k and rows.reg[positions[j + AHEAD // 2]] & SOLO:
            # `leave_suite` folds a SOLO row's day
            prefetch(links.suite_last, ids[j + AHEAD // 2])
        p = positions[j]
        agent = ids[j]
        n_partners = leave_suite(agent, rows.reg[p], rows.last[p], links, partners, n_partners)
        segs[j] = rows.segment[p]
        agents.state[agent] = LAPSED
        agents.last_active[agent] = rows.last[p]
        agents.slot[agent] = ABSENT
    return n_partners


def _fill_holes(positions, n, rows, slot):  # fmt: skip
    """The rows that stay in the tail (past n - k) fill the holes below it, in order."""
    k = len(positions)
    new_n = n - k
    n_holes = 0
    while n_holes < k and positions[n_holes] < new_n:
        n_holes += 1
    mover, leaving = new_n, n_holes  # the tail's rows; its first leaving one
    for h in range(n_holes):
        while leaving < k and positions[leaving] == mover:
            leaving += 1
            mover += 1
        if h + AHEAD < n_holes:
            ahead = positions[h + AHEAD]
            prefetch(rows.ids, ahead)
            prefetch(rows.threshold, ahead)
            prefetch(rows.last, ahead)
            prefetch(rows.reg, ahead)
            prefetch(rows.due, ahead)
            prefetch(rows.segment, ahead)
            prefetch(slot, rows.ids[min(mover + AHEAD, n - 1)])
        hole = positions[h]
        agent = rows.ids[mover]
        rows.ids[hole] = agent
        slot[agent] = hole
        rows.threshold[hole] = rows.threshold[mover]
        rows.last[hole] = rows.last[mover]
        rows.reg[hole] = rows.reg[mover]
        rows.segment[hole] = rows.segment[mover]
        rows.due[hole] = rows.due[mover]
        mover += 1


(
    prefetch_agent,
    register,
    engage,
    put_engaged,
    lapse_rows,
    leave_rows,
    fill_holes,
    threshold,
) = compile_all(
    _prefetch_agent, _register, _engage, _put_engaged, _lapse_rows, _leave_rows, _fill_holes,
    activity_threshold,
)  # fmt: skip
