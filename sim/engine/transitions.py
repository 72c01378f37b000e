"""The model's transitions, each a small function over one app's state.

Every function takes the state, the day, a random stream and parameters, changes the state,
and returns the agent ids that changed (or how many), so the engine can count flows from what
it gets back. None loops over agents in Python: rare events are binomial counts drawn from
exchangeable member sets (adoption, reactivation) or days drawn in advance (lapse).
"""

from __future__ import annotations

import numpy as np

from sim.engine import draws
from sim.engine.app_state import AppState
from sim.engine.compiled import use_compiled
from sim.engine.kernels import transitions as kernels
from sim.engine.scatter import gather
from sim.engine.suite_book import settle_partners, suite_links
from sim.model.encodings import ENGAGED, GONE, LAPSED, LAST_DAY, OUT, POOL, activity_threshold
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
    engaged = draws.uniforms(rng, len(ids)) >= share
    if not use_compiled(kernels.register):
        app.reg_month[ids] = reg
        app.propensity[ids] = propensity
        enroll(app, ids, segs, engaged, rng, day)
        return ids[engaged]
    app.registered_count += np.bincount(segs, minlength=len(app.registered_count))
    due = (
        lapse_days(app, propensity[engaged], segs[engaged], rng, day) if engaged.any() else NO_DAYS
    )
    start = app.engaged.grow_by(len(due))  # first: it may move the rows
    dormant, dormant_segs = np.empty(len(ids) - len(due), np.int32), np.empty_like(segs)
    partners = np.empty(len(due), np.int32)
    new = (ids, segs, propensity, engaged, due, np.int16(reg))
    n_partners = kernels.register(
        new, app.agents(), app.rows(), start, dormant, dormant_segs, suite_links(app), partners
    )
    settle_partners(app, partners[:n_partners], joined=True)
    app.lapsed.add(dormant, dormant_segs[: len(dormant)])
    return app.engaged.ids[start : start + len(due)].copy()


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
    if not use_compiled(kernels.engage):
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
    start = members.grow_by(len(ids))  # first: it may move the rows
    partners = np.empty(len(ids), np.int32)
    n_partners = kernels.engage(
        ids, segs, propensity, due, app.agents(), app.rows(), start, suite_links(app), partners
    )
    settle_partners(app, partners[:n_partners], joined=True)


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
        wait = draws.geometric(rng, hazard)
    else:
        wait = np.full(len(hazard), horizon, dtype=np.int64)
        live = hazard > 0
        wait[live] = draws.geometric(rng, hazard[live])
    return (day + np.minimum(wait, horizon)).astype(np.int16)


def lapse_due(app: AppState, day: int) -> int:
    """Engaged users whose lapse day is today become dormant; returns how many."""
    positions = app.lapsing(day)
    if len(positions) == 0:
        return 0
    engaged = app.engaged
    if use_compiled(kernels.lapse_rows):
        ids, segs = np.empty(len(positions), np.int32), np.empty(len(positions), np.uint8)
        partners = np.empty(len(positions), np.int32)
        n_partners = kernels.lapse_rows(
            positions, engaged.n, app.rows(), app.agents(), ids, segs, suite_links(app), partners
        )
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


def reactivate(app: AppState, day: int, rng: np.random.Generator, multipliers: np.ndarray) -> int:
    """Dormant users come back at their segment's hazard times the levers' multiplier."""
    rates = app.reactivation_hazard * multipliers[app.seg_index]
    counts = draws.binomial(rng, app.lapsed.sizes(), np.clip(rates, 0.0, 1.0))
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
    return app.pool.take(rng, draws.binomial(rng, remaining, hazard))


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
