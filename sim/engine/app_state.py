"""One app's share of the population state: per-agent arrays, member sets and modifiers.

An agent is in exactly one state per app:

    OUT      not (yet) able to use the app (not mobile, not a customer, segment not eligible)
    POOL     eligible, never registered: a candidate for adoption
    ENGAGED  registered and in use (draws activity every day)
    LAPSED   registered but dormant (may reactivate)
    GONE     was registered when the app was delisted

POOL and LAPSED members are also kept per segment (`SegmentSets`), so the engine touches only
the agents a mechanism concerns and draws uniformly within a segment. ENGAGED members are one
set per app, with their activity threshold, last active day, registration month, segment and
lapse day (drawn when they become engaged) as columns: the daily activity step and the day's
lapse scan then read contiguous arrays (`activity.activity_step`, `AppState.lapsing`).
Strategy levers change the app through `Modifiers`: persistent multipliers per segment
(editions, merges, campaigns) and release boosts that decay with a half-life.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.engine.column_scans import positions_of
from sim.engine.kernels.records import Agents, Rows
from sim.engine.propensity import PropensityTables
from sim.engine.sets import IndexedSet, SegmentSets
from sim.engine.suite_book import SuiteBook
from sim.model.encodings import ABSENT, NO_DAY
from sim.model.params import SegmentParams

KINDS = ("activity", "acquisition", "reactivation", "ceiling")
ENGAGED_COLUMNS: dict[str, type] = {
    "threshold": np.uint16,
    "last": np.int16,
    "reg": np.int16,
    "segment": np.uint8,
    "due": np.int16,  # lapse day
}


@dataclass
class Release:
    """A release's boosts: multiplier 1 + excess * 0.5 ** (days since / half-life)."""

    day: int
    excess: dict[str, float]
    half_life_days: float

    def factor(self, kind: str, day: int) -> float:
        excess = self.excess.get(kind, 0.0)
        if excess == 0.0:  # no boost of this kind (the product below would be 0.0 too)
            return 0.0
        return excess * 0.5 ** ((day - self.day) / self.half_life_days)


@dataclass
class Modifiers:
    """Multipliers on one app's mechanisms, per segment, from the strategy levers."""

    n_segments: int
    persistent: dict[str, list[tuple[str, np.ndarray]]] = field(default_factory=dict)
    releases: list[Release] = field(default_factory=list)
    _products: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def add(self, key: str, kind: str, per_segment: np.ndarray) -> None:
        """Apply a named multiplier (removable by `remove(key)`)."""
        self.persistent.setdefault(key, []).append((kind, per_segment))
        self._products.clear()

    def remove(self, key: str) -> None:
        self.persistent.pop(key, None)
        self._products.clear()

    def current(self, kind: str, day: int) -> np.ndarray:
        """The product of every multiplier of this kind in force on `day`, per segment
        (read-only: it may be the cached product of the persistent ones)."""
        product = self._products.get(kind)
        if product is None:  # levers change these rarely; the engine asks 4 times a day
            product = np.ones(self.n_segments)
            for entries in self.persistent.values():
                for entry_kind, values in entries:
                    if entry_kind == kind:
                        product *= values
            product.flags.writeable = False
            self._products[kind] = product
        if not self.releases:
            return product
        return product * (1.0 + sum(r.factor(kind, day) for r in self.releases))

    def prune(self, day: int) -> None:
        """Forget releases whose boosts have decayed to nothing."""
        self.releases = [r for r in self.releases if max(r.factor(k, day) for k in KINDS) > 1e-4]


class AppState:
    """Arrays and member sets of one app over all agents."""

    def __init__(
        self,
        app_id: str,
        index: int,
        suite: bool,
        params: dict[int, SegmentParams],
        n_agents: int,
        n_segments: int,
    ):
        self.id, self.index, self.suite, self.params = app_id, index, suite, params
        self.state = np.zeros(n_agents, dtype=np.uint8)
        self._allocate(n_agents)
        # per-segment parameters as arrays, to look up per agent
        self.lapse_hazard, self.lapse_exponent, self.never_active = (
            np.zeros(n_segments) for _ in range(3)
        )
        beta_a, beta_b = np.zeros(n_segments), np.zeros(n_segments)  # of the propensities
        # and over the app's own segments, in order: the daily adoption and reactivation
        listed = list(params.values())
        self.seg_index = np.array(list(params), dtype=np.int64)
        self.serves = np.zeros(n_segments, dtype=bool)
        self.serves[self.seg_index] = True
        self.ceiling = np.array([par.ceiling for par in listed])
        self.p_per_day = np.array([par.p_per_day for par in listed])
        self.q_per_day = np.array([par.q_per_day for par in listed])
        self.reactivation_hazard = np.array([par.reactivation_hazard for par in listed])
        for s, par in params.items():
            self.lapse_hazard[s], self.lapse_exponent[s] = par.lapse_hazard, par.lapse_exponent
            self.never_active[s] = par.never_active_share
            beta_a[s] = par.activity_mean * par.activity_concentration
            beta_b[s] = (1.0 - par.activity_mean) * par.activity_concentration
        self.propensities = PropensityTables(beta_a, beta_b, list(params))
        # one lapse exponent for the whole app (the usual case) is a scalar power: numpy then
        # takes its fast paths (x ** 1.0 is a copy, 5x faster than an array of ones as powers)
        exponents = {par.lapse_exponent for par in listed}
        self.common_lapse_exponent = exponents.pop() if len(exponents) == 1 else None
        self.eligible_count = np.zeros(n_segments, dtype=np.int64)
        self.registered_count = np.zeros(n_segments, dtype=np.int64)
        self.modifiers = Modifiers(n_segments)
        self.live = False
        self.delisted = False
        self.book: SuiteBook | None = None  # the engine's, shared by its apps

    @property
    def segments(self) -> list[int]:
        return list(self.params)

    def n_engaged(self) -> int:
        return len(self.engaged)

    def n_lapsed(self) -> int:
        return len(self.lapsed)

    def n_registered(self) -> int:
        return self.n_engaged() + self.n_lapsed()

    def release(self) -> None:
        """Once delisted (and its users migrated), the app keeps only its states, which the
        registered-overlap counts read: its other per-customer arrays and its sets' storage
        (about 0.8 GB per app at 1:10) go back to the system, for the apps still listed to
        grow into: memory this process has touched before is quicker to use again than new
        memory (much quicker on the development machine, see benchmarks/RESULTS.md). A
        launch after the delisting allocates them again (`reopen`)."""
        self._allocate(0)

    def reopen(self) -> None:
        """Make a released app's per-customer arrays again, as new (its former users keep
        their state, GONE)."""
        if len(self.slot) != len(self.state):
            self._allocate(len(self.state))

    def _allocate(self, n_agents: int) -> None:
        """The per-customer arrays but the states, and empty pool, engaged and dormant sets."""
        self.slot = np.full(n_agents, ABSENT, dtype=np.int32)
        self.propensity = np.zeros(n_agents, dtype=np.float32)
        # last active day; for engaged agents it is kept in the engaged set (`sync_last_active`)
        self.last_active = np.full(n_agents, NO_DAY, dtype=np.int16)
        self.reg_month = np.zeros(n_agents, dtype=np.int16)  # 0: before the horizon
        self.pool = SegmentSets(self.slot, list(self.params))
        self.engaged = IndexedSet(self.slot, columns=ENGAGED_COLUMNS)
        self.lapsed = SegmentSets(self.slot, list(self.params))

    def sync_last_active(self) -> None:
        """Copy the engaged users' last active days into `last_active`."""
        self.last_active[self.engaged.members()] = self.engaged.column("last")

    def activity_members(self) -> Rows:
        """The engaged users' rows (views of the current members), for the activity step."""
        col = self.engaged.column
        return Rows(self.engaged.members(), **{name: col(name) for name in ENGAGED_COLUMNS})

    def rows(self) -> Rows:
        """The engaged set's whole arrays (rows past its size included), for the compiled
        transitions that write them; valid until the set next grows."""
        return Rows(self.engaged.ids, **self.engaged.cols)

    def agents(self) -> Agents:
        """The per-customer arrays, for the compiled transitions."""
        return Agents(self.state, self.slot, self.propensity, self.last_active, self.reg_month)

    def lapsing(self, day: int) -> np.ndarray:
        """Positions in the engaged set of the users whose lapse day is today, ascending."""
        return positions_of(self.engaged.column("due"), day)
