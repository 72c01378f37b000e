"""The simulated customers: who they are and from which day each can use an app.

Each agent stands for `scale` customers. The customer base grows along the scenario's dated
series (piecewise linear, flat outside it); the i-th agent to join does so on the first day the
base exceeds i agents. Each agent has a segment and a day on which it goes mobile (a logistic
curve per segment); it is *eligible* for apps from the later of joining and going mobile.
Agents are numbered in order of eligibility (ties in order of joining), so each day's
newcomers are one run of neighbouring ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from sim.engine.compiled import use_compiled
from sim.engine.kernels import population as kernels
from sim.model.calendar import NEVER, Calendar
from sim.model.streams import Streams
from sim.scenario.schema import Population as PopulationSpec

BLOCK = 1 << 16  # agents drawn per block: a block's floats (512 KiB) stay in cache


@dataclass
class Population:
    """Struct of arrays over agents, numbered in order of eligibility."""

    scale: float
    segment_names: list[str]
    segment: np.ndarray  # uint8, segment index per agent
    eligible_day: np.ndarray  # int32, NEVER if the agent never goes mobile in the horizon
    day_start: np.ndarray  # the first id eligible on day d (n_days + 1 entries)

    @property
    def n_agents(self) -> int:
        return len(self.segment)

    def eligible_between(self, first_day: int, last_day: int) -> range:
        """The ids of the agents whose eligibility day is in [first_day, last_day]."""
        return range(int(self.day_start[first_day]), int(self.day_start[last_day + 1]))

    def newly_eligible(self, seg: int, first_day: int, last_day: int) -> np.ndarray:
        """Agents of segment `seg` whose eligibility day is in [first_day, last_day]."""
        ids = self.eligible_between(first_day, last_day)
        return ids.start + np.flatnonzero(self.segment[ids.start : ids.stop] == seg)


def agents_per_day(spec: PopulationSpec, cal: Calendar, scale: float) -> np.ndarray:
    """Number of agents in the population on each day (the base series over `scale`)."""
    xs = np.array([cal.day(p.date) for p in spec.base], dtype=float)
    ys = np.array([p.customers for p in spec.base], dtype=float)
    days = np.arange(cal.n_days, dtype=float)
    counts = np.rint(np.interp(days, xs, ys) / scale).astype(np.int64)
    return np.maximum.accumulate(counts)  # the modelled base never shrinks


def build_population(
    spec: PopulationSpec, cal: Calendar, scale: float, streams: Streams
) -> Population:
    """Draw every agent's segment and eligibility day."""
    counts = agents_per_day(spec, cal, scale)
    n = int(counts[-1])
    # in order of joining: counts[d] - counts[d - 1] agents join on day d
    join_day = np.repeat(np.arange(cal.n_days, dtype=np.int32), np.diff(counts, prepend=0))
    names = list(spec.segments)
    shares = np.array([spec.segments[s].share for s in names])
    rng = streams.get("population", "segment")
    segment = _segment_of(rng, n, np.cumsum(shares / shares.sum()))
    mobile_day = _mobile_days(spec, names, _split_by_segment(segment, len(names)), cal, streams)
    eligible = np.maximum(join_day, mobile_day, out=mobile_day)
    # renumber by eligibility: a day's newcomers are then one run of ids, which each app
    # admits in one pass over neighbouring memory
    segment, eligible, day_start = _by_day(segment, eligible, cal.n_days)
    return Population(scale, names, segment, eligible, day_start)


def _segment_of(rng: np.random.Generator, n: int, edges: np.ndarray) -> np.ndarray:
    """n agents' segments from uniform draws: how many cumulative shares are <= each draw
    (capped at the last segment). A compare per segment: 10x faster than a binary search."""
    segment = np.zeros(n, dtype=np.uint8)
    for block, u in _uniform_blocks(rng, n):
        for edge in edges[:-1]:
            segment[block] += u >= edge
    return segment


def _uniform_blocks(rng: np.random.Generator, n: int) -> Iterator[tuple[slice, np.ndarray]]:
    """n uniforms of `rng` (the same as one call's), block by block in one reused buffer.
    Whole-population temporaries (tens of millions of floats) would each be a trip to
    memory and fresh pages; a block's stay in cache (the segment and mobile-day draws 5x
    faster at 1:10)."""
    buffer = np.empty(min(n, BLOCK))
    for lo in range(0, n, BLOCK):
        u = buffer[: min(BLOCK, n - lo)]
        rng.random(out=u)
        yield slice(lo, lo + len(u)), u


def _split_by_segment(segment: np.ndarray, n_segments: int) -> list[np.ndarray]:
    """Each segment's agent ids, ascending (a scan per segment: 4x faster than a sort)."""
    return [np.flatnonzero(segment == s).astype(np.int32) for s in range(n_segments)]


def _mobile_days(
    spec: PopulationSpec,
    names: list[str],
    members: list[np.ndarray],
    cal: Calendar,
    streams: Streams,
) -> np.ndarray:
    """Day each agent goes mobile: inverse of the segment's logistic adoption curve."""
    out = np.full(sum(len(m) for m in members), NEVER, dtype=np.int32)
    for name, ids in zip(names, members, strict=True):
        curve = spec.segments[name].mobile
        midpoint = cal.day(curve.midpoint)
        rng = streams.get("population", "mobile", name)
        for block, u in _uniform_blocks(rng, len(ids)):
            ok = u < curve.ceiling
            u = u[ok]
            offset = curve.width_days * np.log(u / (curve.ceiling - u))
            out[ids[block][ok]] = np.clip(midpoint + np.ceil(offset), 0, NEVER)
    return out


def _by_day(
    segment: np.ndarray, eligible: np.ndarray, n_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The agents renumbered by eligibility day, ties in order of joining: their segments,
    their days, and the first id of each day (n_days + 1 entries). Days past the horizon
    count as one (those agents are never reached)."""
    if use_compiled(kernels.sort_by_day):
        by_segment, by_eligible = np.empty_like(segment), np.empty_like(eligible)
        day_start = np.zeros(n_days + 2, np.int64)
        kernels.sort_by_day(segment, eligible, n_days, by_segment, by_eligible, day_start)
        return by_segment, by_eligible, day_start[: n_days + 1]
    # numpy sorts 16-bit keys by radix: 5x faster than a comparison sort at 1:10
    key_type = np.uint16 if n_days < np.iinfo(np.uint16).max else np.int64
    order = np.argsort(np.minimum(eligible, n_days).astype(key_type), kind="stable")
    segment, eligible = segment[order], eligible[order]
    return segment, eligible, np.searchsorted(eligible, np.arange(n_days + 1), side="left")
