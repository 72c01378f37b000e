"""The model's transitions, each a small function over one app's state.

Every function takes the state, the day, a random stream and parameters, changes the state,
and returns the agent ids that changed, so the engine can count flows from what it gets back.
None loops over agents in Python; rare events are binomial counts drawn from exchangeable
member sets (adoption, reactivation) or pre-scheduled days (lapse).
"""

from __future__ import annotations

import numpy as np

from .apps import ENGAGED, GONE, LAPSED, OUT, POOL, AppState
from .calendar import NEVER
from .params import SegmentParams

EMPTY = np.empty(0, dtype=np.int32)


def admit(app: AppState, seg: int, ids: np.ndarray) -> np.ndarray:
    """Newly eligible agents join the app's adoption pool."""
    ids = ids[app.state[ids] == OUT]
    app.state[ids] = POOL
    app.pool[seg].add(ids)
    app.eligible_count[seg] += len(ids)
    return ids


def draw_propensity(rng: np.random.Generator, par: SegmentParams, n: int) -> np.ndarray:
    """Personal daily activity probabilities ~ Beta(mean, concentration)."""
    a = par.activity_mean * par.activity_concentration
    b = (1.0 - par.activity_mean) * par.activity_concentration
    return rng.beta(a, b, size=n).astype(np.float32)


def register(
    app: AppState,
    seg: int,
    ids: np.ndarray,
    day: int,
    rng: np.random.Generator,
    dormant_share: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Register pool members (already out of the pool); returns (engaged, dormant) ids."""
    par = app.params[seg]
    app.propensity[ids] = draw_propensity(rng, par, len(ids))
    share = par.never_active_share if dormant_share is None else dormant_share
    dormant = rng.random(len(ids)) < share
    return engage(app, seg, ids[~dormant], day, rng), make_dormant(app, seg, ids[dormant])


def engage(app: AppState, seg: int, ids: np.ndarray, day: int, rng: np.random.Generator) -> np.ndarray:
    """Put agents (in no set of the app) into use, and schedule their lapse."""
    app.state[ids] = ENGAGED
    app.engaged[seg].add(ids, app.propensity[ids])
    schedule_lapse(app, seg, ids, day, rng)
    return ids


def make_dormant(app: AppState, seg: int, ids: np.ndarray) -> np.ndarray:
    app.state[ids] = LAPSED
    app.lapsed[seg].add(ids)
    return ids


def lapse_hazard(par: SegmentParams, propensity: np.ndarray) -> np.ndarray:
    """Daily lapse hazard, falling with the user's own activity propensity."""
    base = 1.0 - propensity.astype(np.float64)
    return par.lapse_hazard * base**par.lapse_exponent


def schedule_lapse(
    app: AppState, seg: int, ids: np.ndarray, day: int, rng: np.random.Generator
) -> None:
    """Draw each user's lapse day (geometric waiting time) into the lapse calendar."""
    if len(ids) == 0:
        return
    hazard = lapse_hazard(app.params[seg], app.propensity[ids])
    wait = np.full(len(ids), NEVER, dtype=np.int64)
    live = hazard > 0
    wait[live] = rng.geometric(np.minimum(hazard[live], 1.0))
    due = np.minimum(day + wait, np.iinfo(np.int16).max)
    app.lapse_due[ids] = due
    app.lapse_calendar.add(due, ids)


def lapse_due(app: AppState, segment_of: np.ndarray, day: int) -> dict[int, np.ndarray]:
    """Engaged users whose lapse day is today become dormant; returns them by segment."""
    ids = app.lapse_calendar.pop(day)
    ids = ids[(app.state[ids] == ENGAGED) & (app.lapse_due[ids] == day)]
    out = {}
    for seg, group in split_by_segment(ids, segment_of, app.segments):
        app.engaged[seg].remove(group)
        out[seg] = make_dormant(app, seg, group)
    return out


def reactivate(
    app: AppState, seg: int, day: int, rng: np.random.Generator, multiplier: float
) -> np.ndarray:
    """Dormant users come back at the segment's hazard times the levers' multiplier."""
    pool = app.lapsed[seg]
    rate = min(1.0, app.params[seg].reactivation_hazard * multiplier)
    k = int(rng.binomial(len(pool), rate)) if len(pool) and rate > 0 else 0
    return engage(app, seg, pool.take(rng, k), day, rng) if k else EMPTY


def bass_adoptions(
    app: AppState, seg: int, rng: np.random.Generator, word_of_mouth: float, acq: float, ceil: float
) -> np.ndarray:
    """Bass diffusion: (p + q * F) of the segment's remaining market potential adopt today.

    F (`word_of_mouth`) is the app's engaged users over its whole market potential; the
    remaining potential is ceiling x eligible agents, less those already registered.
    """
    par = app.params[seg]
    potential = min(1.0, par.ceiling * ceil) * app.eligible_count[seg]
    remaining = int(potential) - len(app.engaged[seg]) - len(app.lapsed[seg])
    hazard = min(1.0, (par.p_per_day + par.q_per_day * word_of_mouth) * acq)
    if remaining <= 0 or hazard <= 0:
        return EMPTY
    k = min(int(rng.binomial(remaining, hazard)), len(app.pool[seg]))
    return app.pool[seg].take(rng, k)


def market_potential(app: AppState, ceilings: np.ndarray) -> float:
    """The app's total market potential in agents (for Bass word of mouth)."""
    return float(sum(
        min(1.0, app.params[s].ceiling * ceilings[s]) * app.eligible_count[s] for s in app.segments
    ))


def daily_activity(app: AppState, seg: int, rng: np.random.Generator, multiplier: float) -> np.ndarray:
    """Engaged users of a segment active today: one uniform draw against each propensity."""
    members = app.engaged[seg]
    if len(members) == 0:
        return EMPTY
    draws = rng.random(len(members), dtype=np.float32)
    if multiplier != 1.0:
        draws *= np.float32(1.0 / multiplier)
    return members.members()[draws < members.values()]


def pick_from_pool(app: AppState, candidates: np.ndarray, segment_of: np.ndarray) -> dict[int, np.ndarray]:
    """Take those of `candidates` (distinct) that are in the app's pool out of it, by segment."""
    candidates = candidates[app.state[candidates] == POOL]
    out = {}
    for seg, group in split_by_segment(candidates, segment_of, app.segments):
        app.pool[seg].remove(group)
        out[seg] = group
    return out


def split_by_segment(ids: np.ndarray, segment_of: np.ndarray, segments: list[int]):  # type: ignore[no-untyped-def]
    """Yield (segment, ids of that segment) for the non-empty groups."""
    if len(ids) == 0:
        return
    seg_of_ids = segment_of[ids]
    for seg in segments:
        group = ids[seg_of_ids == seg]
        if len(group):
            yield seg, group


def retire(app: AppState) -> tuple[np.ndarray, np.ndarray]:
    """Delist the app: every registered user is gone, the pool empties; returns (engaged, lapsed)."""
    engaged = np.concatenate([s.clear() for s in app.engaged.values()] or [EMPTY])
    lapsed = np.concatenate([s.clear() for s in app.lapsed.values()] or [EMPTY])
    for pool in app.pool.values():
        app.state[pool.clear()] = OUT
    app.state[engaged] = GONE
    app.state[lapsed] = GONE
    app.live, app.delisted = False, True
    return engaged, lapsed
