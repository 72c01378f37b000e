"""The model's transitions, each a small function over one app's state.

Every function takes the state, the day, a random stream and parameters, changes the state,
and returns the agent ids that changed (or how many), so the engine can count flows from what
it gets back. None loops over agents in Python: rare events are binomial counts drawn from
exchangeable member sets (adoption, reactivation) or days drawn in advance (lapse).
"""

from __future__ import annotations

import numpy as np

from sim.engine.app_state import AppState
from sim.engine.compiled import AHEAD, compile_all, prefetch, use_compiled
from sim.engine.scatter import gather
from sim.engine.sets import ABSENT
from sim.engine.suite_book import ahead_suite, join_suite, leave_suite, settle_partners, suite_links
from sim.model.encodings import ENGAGED, GONE, LAPSED, LAST_DAY, OUT, POOL, SOLO, activity_threshold
from sim.model.formulas import adoption_hazard, lapse_hazard, market_potential, word_of_mouth

EMPTY = np.empty(0, dtype=np.int32)
NO_DAYS = np.empty(0, dtype=np.int16)


def admit(app: AppState, ids: range, segment_of: np.ndarray) -> None:
    """Agents `ids` (newly eligible) join the app's adoption pool: those of its segments
    not yet in it. The ids are a run, so this is one pass over neighbouring memory."""
    if len(ids):
        app.eligible_count[app.seg_index] += app.pool.add_run(ids, segment_of, app.state, OUT, POOL)


def draw_propensity(rng: np.random.Generator, app: AppState, segs: np.ndarray) -> np.ndarray:
    """Personal daily activity probabilities ~ Beta(mean, concentration) of each one's segment
    (drawn by inverting the Beta's quantile function: `sim.engine.propensity`)."""
    return app.propensities.draw(rng, segs)


def register(
    app: AppState,
    ids: np.ndarray,
    segs: np.ndarray,
    rng: np.random.Generator,
    day: int,
    reg: int,
    dormant_share: float | None = None,
) -> np.ndarray:
    """Register agents (of segments `segs`) taken out of the pool, in registration month
    `reg` - 1 (0: an installed base, registered before the horizon): draw propensities;
    some start dormant. Returns the ids that start engaged."""
    propensity = draw_propensity(rng, app, segs)
    share = app.never_active[segs] if dormant_share is None else dormant_share
    engaged = rng.random(len(ids)) >= share
    if not use_compiled(_jit_register):
        app.reg_month[ids] = reg
        app.propensity[ids] = propensity
        enroll(app, ids, segs, engaged, rng, day)
        return ids[engaged]
    app.registered_count += np.bincount(segs, minlength=len(app.registered_count))
    due = (
        lapse_days(app, propensity[engaged], segs[engaged], rng, day) if engaged.any() else NO_DAYS
    )
    members = app.engaged
    start = members.grow_by(len(due))
    dormant, dormant_segs = np.empty(len(ids) - len(due), np.int32), np.empty_like(segs)
    c = members.cols
    partners = np.empty(len(due), np.int32)
    bit, engaged_in, _ = suite_links(app)  # a join does not read the suite's last days
    n_partners = _jit_register(
        ids, segs, propensity, engaged, due, np.int16(reg), app.state, app.slot, app.propensity,
        app.last_active, app.reg_month, members.ids, c["threshold"], c["last"], c["reg"],
        c["segment"], c["due"], start, dormant, dormant_segs, bit, engaged_in, partners,
    )  # fmt: skip
    settle_partners(app, partners[:n_partners], joined=True)
    app.lapsed.add(dormant, dormant_segs[: len(dormant)])
    return members.ids[start : start + len(due)].copy()


def _register(
    ids, segs, propensity, engaged, due, reg, state, slot, app_propensity, last_active,
    reg_month, m_ids, m_threshold, m_last, m_reg, m_segment, m_due, start, dormant,
    dormant_segs, bit, engaged_in, partners,
):  # fmt: skip
    """`register` after its draws, compiled: one pass over the agents writes their
    propensity and registration month, and the engaged ones' state and row of the engaged
    set (as `_engage`), in order; the dormant ones are marked and listed for their set.
    The numpy path makes some twenty passes, several over scattered entries. Returns how
    many agents are listed in `partners` for the suite's book (`sim.engine.suite_book`)."""
    row, n_dormant, n_partners = start, 0, 0
    for j in range(len(ids)):
        if j + AHEAD < len(ids):
            ahead = ids[j + AHEAD]
            prefetch(state, ahead)
            prefetch(slot, ahead)
            prefetch(app_propensity, ahead)
            prefetch(last_active, ahead)
            prefetch(reg_month, ahead)
            ahead_suite(ahead, bit, engaged_in)
        agent = ids[j]
        app_propensity[agent] = propensity[j]
        reg_month[agent] = reg
        if engaged[j]:
            n_partners = _jit_put_engaged(
                agent, row, segs[j], propensity[j], due[row - start], reg, state, slot,
                last_active, m_ids, m_threshold, m_last, m_reg, m_segment, m_due, bit,
                engaged_in, partners, n_partners,
            )  # fmt: skip
            row += 1
        else:
            state[agent] = LAPSED
            dormant[n_dormant] = agent
            dormant_segs[n_dormant] = segs[j]
            n_dormant += 1
    return n_partners


def enroll(
    app: AppState,
    ids: np.ndarray,
    segs: np.ndarray,
    engaged: np.ndarray,
    rng: np.random.Generator,
    day: int,
) -> None:
    """Make agents registered users, engaged where `engaged` is true, dormant elsewhere."""
    app.registered_count += np.bincount(segs, minlength=len(app.registered_count))
    engage(app, ids[engaged], segs[engaged], rng, day)
    dormant = ids[~engaged]
    app.state[dormant] = LAPSED
    app.lapsed.add(dormant, segs[~engaged])


def engage(
    app: AppState, ids: np.ndarray, segs: np.ndarray, rng: np.random.Generator, day: int
) -> None:
    """Put registered agents (in no set of the app) into use, each with the day it will
    lapse: a geometric waiting time whose daily hazard falls with the propensity."""
    if len(ids) == 0:
        return
    propensity = gather(app.propensity, ids)
    due = lapse_days(app, propensity, segs, rng, day)
    members = app.engaged
    if not use_compiled(_jit_engage):
        app.state[ids] = ENGAGED
        members.add(
            ids,
            threshold=activity_threshold(propensity).astype(np.uint16),
            last=app.last_active[ids],
            reg=app.reg_month[ids],
            segment=segs,
            due=due,
        )
        return
    start = members.grow_by(len(ids))
    c = members.cols
    partners = np.empty(len(ids), np.int32)
    bit, engaged_in, _ = suite_links(app)
    n_partners = _jit_engage(
        ids, segs, propensity, due, app.state, app.last_active, app.reg_month, members.slot,
        members.ids, c["threshold"], c["last"], c["reg"], c["segment"], c["due"], start,
        bit, engaged_in, partners,
    )  # fmt: skip
    settle_partners(app, partners[:n_partners], joined=True)


def _engage(
    ids, segs, propensity, due, state, last_active, reg_month, slot,
    m_ids, m_threshold, m_last, m_reg, m_segment, m_due, start, bit, engaged_in, partners,
):  # fmt: skip
    """`engage` after its draws, compiled: one pass over the agents, writing their state and
    their row of the engaged set (the numpy path makes a dozen passes). The agents are
    scattered over the per-customer arrays: their entries are prefetched a few ahead.
    Returns how many agents are listed in `partners` for the suite's book."""
    n_partners = 0
    for j in range(len(ids)):
        if j + AHEAD < len(ids):
            ahead = ids[j + AHEAD]
            prefetch(state, ahead)
            prefetch(slot, ahead)
            prefetch(last_active, ahead)
            prefetch(reg_month, ahead)
            ahead_suite(ahead, bit, engaged_in)
        agent = ids[j]
        n_partners = _jit_put_engaged(
            agent, start + j, segs[j], propensity[j], due[j], reg_month[agent], state, slot,
            last_active, m_ids, m_threshold, m_last, m_reg, m_segment, m_due, bit, engaged_in,
            partners, n_partners,
        )  # fmt: skip
    return n_partners


def _put_engaged(
    agent, row, seg, propensity, due, reg, state, slot, last_active,
    m_ids, m_threshold, m_last, m_reg, m_segment, m_due, bit, engaged_in, partners,
    n_partners,
):  # fmt: skip
    """Agent `agent` (of segment `seg`, registration month `reg` - 1) becomes engaged at
    `row` of the engaged set, with its activity threshold and lapse day; the suite's book
    (`sim.engine.suite_book`) learns it and gives the row's flags. Returns how many partners are
    listed."""
    state[agent] = ENGAGED
    slot[agent] = row
    m_ids[row] = agent
    m_threshold[row] = _jit_threshold(np.float64(propensity))
    m_last[row] = last_active[agent]
    flags, n_partners = join_suite(agent, bit, engaged_in, partners, n_partners)
    m_reg[row] = reg | flags
    m_segment[row] = seg
    m_due[row] = due
    return n_partners


def lapse_days(
    app: AppState, propensity: np.ndarray, segs: np.ndarray, rng: np.random.Generator, day: int
) -> np.ndarray:
    """The day each of these newly engaged users will lapse: a geometric waiting time
    (capped to what int16 days hold)."""
    exponent = app.common_lapse_exponent
    exponent = app.lapse_exponent[segs] if exponent is None else exponent
    hazard = lapse_hazard(app.lapse_hazard[segs], propensity.astype(np.float64), exponent)
    horizon = LAST_DAY - day  # any wait past it (tiny hazards give huge ones) is "never"
    if hazard.min() > 0:  # the usual case: no mask to build
        wait = rng.geometric(hazard)
    else:
        wait = np.full(len(hazard), horizon, dtype=np.int64)
        live = hazard > 0
        wait[live] = rng.geometric(hazard[live])
    return (day + np.minimum(wait, horizon)).astype(np.int16)


def lapse_due(app: AppState, day: int) -> int:
    """Engaged users whose lapse day is today become dormant; returns how many."""
    positions = app.lapsing(day)
    if len(positions) == 0:
        return 0
    engaged = app.engaged
    if use_compiled(_jit_lapse_rows):
        ids, segs = np.empty(len(positions), np.int32), np.empty(len(positions), np.uint8)
        partners = np.empty(len(positions), np.int32)
        c = engaged.cols
        n_partners = _jit_lapse_rows(
            positions, engaged.n, engaged.ids, c["threshold"], c["last"], c["reg"],
            c["segment"], c["due"], app.state, app.last_active, app.slot, ids, segs,
            *suite_links(app), partners,
        )  # fmt: skip
        engaged.n -= len(positions)
        settle_partners(app, partners[:n_partners], joined=False)
    else:
        ids = engaged.members()[positions]
        segs = engaged.column("segment")[positions]
        app.state[ids] = LAPSED
        app.last_active[ids] = engaged.column("last")[positions]
        engaged.remove(ids)
    app.lapsed.add(ids, segs)
    return len(ids)


def _lapse_rows(
    positions, n, m_ids, m_threshold, m_last, m_reg, m_segment, m_due,
    state, last_active, slot, ids, segs, bit, engaged_in, suite_last, partners,
):  # fmt: skip
    """`lapse_due` between the scan and the dormant set, compiled: the lapsing rows
    (ascending `positions` of the engaged set's n) leave their state and last active day
    with the agent and their id and segment in `ids` and `segs`; then the rows that stay in
    the tail fill the holes below the new size, in ascending order: the arrangement of
    `IndexedSet.remove` (one pass each instead of a dozen numpy passes, and the rows and
    the agents' scattered entries prefetched a few ahead). The suite's book
    (`sim.engine.suite_book`) learns who left; returns how many agents it listed in `partners`."""
    k = len(positions)
    n_partners = 0
    new_n = n - k
    for j in range(k):
        if j + AHEAD < k:
            prefetch(m_ids, positions[j + AHEAD])
        ids[j] = m_ids[positions[j]]
    for j in range(k):
        if j + AHEAD < k:
            prefetch(m_last, positions[j + AHEAD])
            prefetch(m_reg, positions[j + AHEAD])
            ahead = ids[j + AHEAD]
            prefetch(state, ahead)
            prefetch(last_active, ahead)
            prefetch(slot, ahead)
            ahead_suite(ahead, bit, engaged_in)
        if j + AHEAD // 2 < k and m_reg[positions[j + AHEAD // 2]] & SOLO:
            prefetch(suite_last, ids[j + AHEAD // 2])  # `leave_suite` folds a SOLO row's day
        p = positions[j]
        agent = ids[j]
        n_partners = leave_suite(
            agent, m_reg[p], m_last[p], bit, engaged_in, suite_last, partners, n_partners
        )
        segs[j] = m_segment[p]
        state[agent] = LAPSED
        last_active[agent] = m_last[p]
        slot[agent] = ABSENT
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
            prefetch(m_ids, ahead)
            prefetch(m_threshold, ahead)
            prefetch(m_last, ahead)
            prefetch(m_reg, ahead)
            prefetch(m_due, ahead)
            prefetch(m_segment, ahead)
            prefetch(slot, m_ids[min(mover + AHEAD, n - 1)])
        hole = positions[h]
        agent = m_ids[mover]
        m_ids[hole] = agent
        slot[agent] = hole
        m_threshold[hole] = m_threshold[mover]
        m_last[hole] = m_last[mover]
        m_reg[hole] = m_reg[mover]
        m_segment[hole] = m_segment[mover]
        m_due[hole] = m_due[mover]
        mover += 1
    return n_partners


def reactivate(app: AppState, day: int, rng: np.random.Generator, multipliers: np.ndarray) -> int:
    """Dormant users come back at their segment's hazard times the levers' multiplier."""
    rates = app.reactivation_hazard * multipliers[app.seg_index]
    counts = rng.binomial(app.lapsed.sizes(), np.clip(rates, 0.0, 1.0))
    ids, segs = app.lapsed.take(rng, counts)
    if len(ids):
        engage(app, ids, segs, rng, day)
    return len(ids)


def bass_adoptions(
    app: AppState, rng: np.random.Generator, acquisition: np.ndarray, ceilings: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bass diffusion: (p + q F) of each segment's remaining market potential adopt today.

    The remaining potential is ceiling x eligible agents less those registered; F (word of
    mouth) is, as in Bass's model, the app's registered users over its whole market potential.
    Returns the adopters (taken out of the pool) and their segments.
    """
    index = app.seg_index
    potential = market_potential(app.ceiling, ceilings[index], app.eligible_count[index])
    mouth = word_of_mouth(app.registered_count.sum(), potential.sum())
    hazard = adoption_hazard(app.p_per_day, app.q_per_day, mouth, acquisition[index])
    remaining = np.maximum(potential - app.registered_count[index], 0).astype(np.int64)
    return app.pool.take(rng, rng.binomial(remaining, hazard))


def pick_from_pool(app: AppState, candidates: np.ndarray, segment_of: np.ndarray) -> np.ndarray:
    """Take those of `candidates` (distinct) that are in the app's pool out of it; returns
    them, in the candidates' order."""
    candidates = candidates[gather(app.state, candidates) == POOL]
    app.pool.remove(candidates, gather(segment_of, candidates))
    return candidates


def retire(app: AppState) -> tuple[np.ndarray, np.ndarray]:
    """Delist the app: registered users are gone, the pool empties. Returns (engaged, lapsed)."""
    engaged = app.engaged.clear()
    if app.book is not None:
        app.book.retire(app, engaged)
    lapsed = app.lapsed.clear()
    app.state[app.pool.clear()] = OUT
    app.state[engaged] = GONE
    app.state[lapsed] = GONE
    app.registered_count[:] = 0
    app.live, app.delisted = False, True
    return engaged, lapsed


_jit_engage, _jit_lapse_rows, _jit_register, _jit_put_engaged, _jit_threshold = compile_all(
    _engage, _lapse_rows, _register, _put_engaged, activity_threshold
)
