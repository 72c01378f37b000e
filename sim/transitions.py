"""The model's transitions, each a small function over one app's state.

Every function takes the state, the day, a random stream and parameters, changes the state,
and returns the agent ids that changed (or how many), so the engine can count flows from what
it gets back. None loops over agents in Python: rare events are binomial counts drawn from
exchangeable member sets (adoption, reactivation) or pre-scheduled days (lapse).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .apps import ENGAGED, GONE, LAPSED, NOT_DUE, OUT, POOL, AppState

EMPTY = np.empty(0, dtype=np.int32)


def admit(app: AppState, seg: int, ids: np.ndarray) -> np.ndarray:
    """Newly eligible agents join the app's adoption pool."""
    if len(ids) == 0:
        return ids
    ids = ids[app.state[ids] == OUT]
    app.state[ids] = POOL
    app.pool[seg].add(ids)
    app.eligible_count[seg] += len(ids)
    return ids


def draw_propensity(rng: np.random.Generator, app: AppState, segs: np.ndarray) -> np.ndarray:
    """Personal daily activity probabilities ~ Beta(mean, concentration) of each one's segment."""
    return rng.beta(app.beta_a[segs], app.beta_b[segs]).astype(np.float32)


def register(
    app: AppState,
    ids: np.ndarray,
    segs: np.ndarray,
    rng: np.random.Generator,
    dormant_share: float | None = None,
) -> np.ndarray:
    """Register agents (of segments `segs`) taken out of the pool: draw propensities; some
    start dormant. Returns the ids that start engaged."""
    app.propensity[ids] = draw_propensity(rng, app, segs)
    share = app.never_active[segs] if dormant_share is None else dormant_share
    engaged = rng.random(len(ids)) >= share
    enroll(app, ids, segs, engaged)
    return ids[engaged]


def enroll(app: AppState, ids: np.ndarray, segs: np.ndarray, engaged: np.ndarray) -> None:
    """Make agents registered users, engaged where `engaged` is true, dormant elsewhere."""
    app.registered_count += np.bincount(segs, minlength=len(app.registered_count))
    engage(app, ids[engaged], segs[engaged])
    dormant = ids[~engaged]
    app.state[dormant] = LAPSED
    for seg, group in _by_segment(dormant, segs[~engaged], app.segments):
        app.lapsed[seg].add(group)


def engage(app: AppState, ids: np.ndarray, segs: np.ndarray | int) -> None:
    """Put registered agents (in no set of the app) into use; their lapse day is drawn at
    the end of the day (`AppState.schedule_lapses`)."""
    app.state[ids] = ENGAGED
    app.engaged.add(
        ids,
        threshold=activity_threshold(app.propensity[ids]),
        last=app.last_active[ids],
        reg=app.reg_month[ids],
        segment=segs,
        due=NOT_DUE,
    )
    app.newly_engaged.append(ids.copy())


def activity_threshold(propensity: np.ndarray) -> np.ndarray:
    """Propensity as a 16-bit threshold: active when a uniform 16-bit draw is below it."""
    return np.minimum(np.rint(propensity * 65536.0), 65535).astype(np.uint16)


def lapse_due(app: AppState, segment_of: np.ndarray, day: int) -> int:
    """Engaged users whose lapse day is today become dormant; returns how many."""
    ids = app.lapsing(day)
    app.state[ids] = LAPSED
    app.last_active[ids] = app.engaged.get("last", ids)
    app.engaged.remove(ids)
    for seg, group in split_by_segment(ids, segment_of, app.segments):
        app.lapsed[seg].add(group)
    return len(ids)


def reactivate(app: AppState, day: int, rng: np.random.Generator, multipliers: np.ndarray) -> int:
    """Dormant users come back at their segment's hazard times the levers' multiplier."""
    segs = app.segments
    sizes = np.array([len(app.lapsed[s]) for s in segs])
    rates = app.reactivation_hazard * multipliers[app.seg_index]
    counts = rng.binomial(sizes, np.clip(rates, 0.0, 1.0))
    back = [(app.lapsed[s].take(rng, int(k)), s) for s, k in zip(segs, counts, strict=True) if k]
    if back:
        ids, seg_of = _concat(back)
        engage(app, ids, seg_of)
    return int(counts.sum())


def bass_adoptions(
    app: AppState, rng: np.random.Generator, acquisition: np.ndarray, ceilings: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bass diffusion: (p + q F) of each segment's remaining market potential adopt today.

    The remaining potential is ceiling x eligible agents less those registered; F (word of
    mouth) is, as in Bass's model, the app's registered users over its whole market potential.
    Returns the adopters (taken out of the pool) and their segments.
    """
    segs, index = app.segments, app.seg_index
    potential = np.minimum(1.0, app.ceiling * ceilings[index])
    potential = np.floor(potential * app.eligible_count[index])
    total = potential.sum()
    word_of_mouth = min(1.0, app.registered_count.sum() / total) if total > 0 else 0.0
    hazard = np.clip((app.p_per_day + app.q_per_day * word_of_mouth) * acquisition[index], 0, 1)
    remaining = np.maximum(potential - app.registered_count[index], 0).astype(np.int64)
    counts = rng.binomial(remaining, hazard)
    return _concat(
        [(app.pool[s].take(rng, int(k)), s) for s, k in zip(segs, counts, strict=True) if k]
    )


def pick_from_pool(app: AppState, candidates: np.ndarray, segment_of: np.ndarray) -> np.ndarray:
    """Take those of `candidates` (distinct) that are in the app's pool out of it; returns
    them, in the candidates' order."""
    candidates = candidates[app.state[candidates] == POOL]
    for seg, group in split_by_segment(candidates, segment_of, app.segments):
        app.pool[seg].remove(group)
    return candidates


def split_by_segment(
    ids: np.ndarray, segment_of: np.ndarray, segments: list[int]
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (segment, ids of that segment) for the non-empty groups."""
    if len(ids):
        yield from _by_segment(ids, segment_of[ids], segments)


def _by_segment(
    ids: np.ndarray, segs: np.ndarray, segments: list[int]
) -> Iterator[tuple[int, np.ndarray]]:
    if len(ids) == 0:
        return
    first = int(segs[0])
    if (segs == first).all():  # the common case: one segment (no copies)
        yield first, ids
        return
    for seg in segments:
        group = ids[segs == seg]
        if len(group):
            yield seg, group


def _concat(groups: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Ids of several segments as one array, with each one's segment."""
    if not groups:
        return EMPTY, np.empty(0, np.uint8)
    ids = np.concatenate([g for g, _ in groups])
    segs = np.repeat(np.array([s for _, s in groups], np.uint8), [len(g) for g, _ in groups])
    return ids, segs


def retire(app: AppState) -> tuple[np.ndarray, np.ndarray]:
    """Delist the app: registered users are gone, the pool empties. Returns (engaged, lapsed)."""
    engaged = app.engaged.clear()
    lapsed = np.concatenate([s.clear() for s in app.lapsed.values()] or [EMPTY])
    for pool in app.pool.values():
        app.state[pool.clear()] = OUT
    app.state[engaged] = GONE
    app.state[lapsed] = GONE
    app.registered_count[:] = 0
    app.live, app.delisted = False, True
    return engaged, lapsed
