"""The reference engine: the same model written the textbook way, one simpy process per agent.

Each customer's life is a process: it waits until it can use apps (joined and mobile), then
every day, for each open app, it may adopt (Bass), lapse (on its drawn lapse day) or come
back, is active or not, and may be referred to another app by its activity. The levers are
the very same simpy processes as in the fast engine (`levers.py`), acting through the same
small interface (`launch`, `delist`, `inflow`, `app[...]`, `modifiers`).

It exists to cross-check the fast engine statistically and to measure how much faster that
one is, so it refuses populations that would take it hours (see `MAX_AGENT_DAYS`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy

from sim.engine.app_state import Modifiers
from sim.engine.levers import start_levers
from sim.engine.population import build_population
from sim.errors import UsageError
from sim.model.calendar import Calendar
from sim.model.encodings import THRESHOLD_UNIT, activity_threshold
from sim.model.formulas import adoption_hazard, lapse_hazard, market_potential, word_of_mouth
from sim.model.params import SegmentParams, resolve_app
from sim.model.streams import Streams
from sim.scenario.schema import Scenario

MAX_AGENT_DAYS = 150_000_000  # ~ ten minutes of this engine on one core (4 us an agent-day)
OUT, POOL, ENGAGED, LAPSED, GONE = "out", "pool", "engaged", "lapsed", "gone"


class RefApp:
    """One app: who is in which state, and the levers' multipliers."""

    def __init__(self, app_id: str, params: dict[int, SegmentParams], suite: bool, n_seg: int):
        self.id, self.params, self.suite = app_id, params, suite
        self.segments = list(params)
        self.state: dict[int, str] = {}
        self.propensity: dict[int, float] = {}
        self.lapse_day: dict[int, int] = {}
        self.last_active: dict[int, int] = {}
        self.modifiers = Modifiers(n_seg)
        self.live = self.delisted = False

    def members(self, state: str, seg: int | None = None, segment_of: Any = None) -> list[int]:
        return [
            a for a, s in self.state.items() if s == state and (seg is None or segment_of[a] == seg)
        ]


class ReferenceEngine:
    """Agents as simpy processes; same scenario semantics as `engine.Engine`."""

    def __init__(self, scenario: Scenario, seed: int, scale: float | None = None):
        self.scenario = scenario
        self.scale = scenario.run_scale(scale)
        self.cal = Calendar(scenario.horizon.start, scenario.horizon.end)
        self.streams = Streams(seed)
        self.pop = build_population(scenario.population, self.cal, self.scale, self.streams)
        refuse_if_too_big(self.pop.n_agents, self.cal.n_days)
        n_seg = len(self.pop.segment_names)
        self.apps = [
            RefApp(a, resolve_app(scenario, a), scenario.apps[a].suite, n_seg)
            for a in scenario.apps
        ]
        self.app = {a.id: a for a in self.apps}
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 7919]))
        self.adopt_chance: dict[tuple[str, int], float] = {}
        self.rows: list[dict[str, Any]] = []
        self.active_today: dict[str, set[int]] = {}

    # -- running ---------------------------------------------------------------------------
    def run(self) -> pd.DataFrame:
        """Simulate; return the daily table (registered, engaged, dau, mau per app and suite)."""
        env = simpy.Environment()
        start_levers(env, self)
        env.process(self._day_start(env))
        for agent in range(self.pop.n_agents):
            env.process(self._life(env, agent))
        env.process(self._day_end(env))
        env.run(until=self.cal.n_days)
        return pd.DataFrame(self.rows)

    def _day_start(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        """Before the customers act: each app's Bass chance for a pool member today."""
        yield env.timeout(0.25)
        while True:
            day = int(env.now)
            self.active_today = {a.id: set() for a in self.apps}
            for app in self.apps:
                if app.live:
                    self._admit_newly_eligible(app, day)
                    self._bass_chances(app, day)
            yield env.timeout(1)

    def _life(self, env: simpy.Environment, agent: int) -> Generator[simpy.Event, Any, None]:
        """One customer: waits to go mobile, then lives each day in every open app."""
        eligible = int(self.pop.eligible_day[agent])
        if eligible >= self.cal.n_days:
            return
        yield env.timeout(max(0, eligible) + 0.5)
        while True:
            day = int(env.now)
            for app in self.apps:
                if app.live:
                    self._live_day(app, agent, day)
            yield env.timeout(1)

    def _day_end(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        """After everyone: referrals from today's active users, then the day's counts."""
        yield env.timeout(0.75)
        while True:
            day = int(env.now)
            for app in self.apps:
                if app.live:
                    self._referrals(app, day)
            self._record(day)
            yield env.timeout(1)

    # -- one agent, one app, one day (the fast engine's order: lapse, return, adopt, use) -------
    def _live_day(self, app: RefApp, agent: int, day: int) -> None:
        state = app.state.get(agent, OUT)
        seg = int(self.pop.segment[agent])
        if state == ENGAGED and app.lapse_day[agent] == day:
            app.state[agent] = state = LAPSED  # and may come back today, as in the fast engine
        if state == LAPSED:
            rate = app.params[seg].reactivation_hazard * self._mult(app, "reactivation", seg, day)
            if self.rng.random() < rate:
                self._engage(app, agent, day)
                state = ENGAGED
        elif state == POOL and self.rng.random() < self.adopt_chance.get((app.id, seg), 0.0):
            self._register(app, agent, day, None)
            state = app.state[agent]
        if state == ENGAGED and self._is_active(app, agent, seg, day):
            app.last_active[agent] = day
            self.active_today[app.id].add(agent)

    def _is_active(self, app: RefApp, agent: int, seg: int, day: int) -> bool:
        threshold = activity_threshold(app.propensity[agent]) / THRESHOLD_UNIT  # as fast's
        return bool(self.rng.random() < threshold * self._mult(app, "activity", seg, day))

    def _mult(self, app: RefApp, kind: str, seg: int, day: int) -> float:
        return float(app.modifiers.current(kind, day)[seg])

    # -- transitions -----------------------------------------------------------------------
    def _register(self, app: RefApp, agent: int, day: int, dormant_share: float | None) -> None:
        par = app.params[int(self.pop.segment[agent])]
        a = par.activity_mean * par.activity_concentration
        b = (1 - par.activity_mean) * par.activity_concentration
        app.propensity[agent] = float(np.float32(self.rng.beta(a, b)))
        share = par.never_active_share if dormant_share is None else dormant_share
        if self.rng.random() < share:
            app.state[agent] = LAPSED
        else:
            self._engage(app, agent, day)

    def _engage(self, app: RefApp, agent: int, day: int) -> None:
        par = app.params[int(self.pop.segment[agent])]
        hazard = lapse_hazard(par.lapse_hazard, app.propensity[agent], par.lapse_exponent)
        wait = int(self.rng.geometric(hazard)) if hazard > 0 else 10**9
        app.state[agent] = ENGAGED
        app.lapse_day[agent] = day + wait

    def _admit_newly_eligible(self, app: RefApp, day: int) -> None:
        for seg in app.segments:
            for agent in self.pop.newly_eligible(seg, day, day).tolist():
                app.state.setdefault(agent, POOL)

    def _bass_chances(self, app: RefApp, day: int) -> None:
        acquisition = app.modifiers.current("acquisition", day)
        ceilings = app.modifiers.current("ceiling", day)
        seg_of = self.pop.segment
        counts = {s: {POOL: 0, "registered": 0} for s in app.segments}
        for agent, state in app.state.items():
            key = POOL if state == POOL else "registered" if state in (ENGAGED, LAPSED) else None
            if key:
                counts[int(seg_of[agent])][key] += 1
        eligible = {s: c[POOL] + c["registered"] for s, c in counts.items()}
        potential = {
            s: market_potential(app.params[s].ceiling, ceilings[s], eligible[s])
            for s in app.segments
        }
        registered = sum(c["registered"] for c in counts.values())
        mouth = word_of_mouth(registered, sum(potential.values()))
        for s in app.segments:
            par = app.params[s]
            hazard = adoption_hazard(par.p_per_day, par.q_per_day, mouth, acquisition[s])
            remaining = max(potential[s] - counts[s]["registered"], 0)
            pool = counts[s][POOL]
            self.adopt_chance[(app.id, s)] = min(1.0, remaining * hazard / pool) if pool else 0.0

    def _referrals(self, app: RefApp, day: int) -> None:
        for src, rate in self.scenario.apps[app.id].referral_from.items():
            for agent in sorted(self.active_today.get(src, ())):
                if app.state.get(agent) == POOL and self.rng.random() < rate:
                    self._register(app, agent, day, 0.0)

    # -- the levers' interface -------------------------------------------------------------
    def launch(self, app: RefApp, day: int) -> None:
        app.live = True
        for seg in app.segments:
            for agent in self.pop.newly_eligible(seg, 0, day).tolist():
                app.state.setdefault(agent, POOL)
        base = self.scenario.apps[app.id].installed_base
        if base is not None:
            self._install(app, round(base.customers / self.scale), base.engaged_share)

    def _install(self, app: RefApp, n: int, engaged_share: float) -> None:
        pool = app.members(POOL)
        for agent in self.rng.choice(pool, size=min(n, len(pool)), replace=False).tolist():
            self._register(app, agent, 0, 1.0 - engaged_share)

    def delist(self, app: RefApp, migrate_to: dict[str, float], day: int, name: str) -> None:
        targets, shares = list(migrate_to), np.cumsum(list(migrate_to.values()))
        for agent, state in list(app.state.items()):
            if state not in (ENGAGED, LAPSED):
                continue
            pick = int(np.searchsorted(shares, self.rng.random(), side="right"))
            if pick < len(targets):
                self._migrate(app, self.app[targets[pick]], agent, state, day)
        app.state = {a: GONE for a, s in app.state.items() if s in (ENGAGED, LAPSED)}
        app.live, app.delisted = False, True

    def _migrate(self, src: RefApp, dst: RefApp, agent: int, state: str, day: int) -> None:
        now = dst.state.get(agent, OUT)
        if now == POOL:
            dst.propensity[agent] = src.propensity[agent]
            if state == ENGAGED:
                self._engage(dst, agent, day)
            else:
                dst.state[agent] = LAPSED
        elif now == LAPSED and state == ENGAGED:
            self._engage(dst, agent, day)

    def inflow(self, app: RefApp, segments: list[int], n_agents: int, day: int, name: str) -> None:
        pool = [a for a in app.members(POOL) if int(self.pop.segment[a]) in segments]
        chosen = self.rng.choice(pool, size=min(n_agents, len(pool)), replace=False)
        for agent in chosen.tolist():
            self._register(app, agent, day, None)

    # -- counting ----------------------------------------------------------------------------
    def _record(self, day: int) -> None:
        date = self.cal.dates[day]
        window = range(day - 29, day + 1)
        suite_registered: set[int] = set()
        suite_active: set[int] = set()
        for app in self.apps:
            registered = [a for a, s in app.state.items() if s in (ENGAGED, LAPSED)]
            active = [] if app.delisted else [a for a, d in app.last_active.items() if d in window]
            self.rows.append(
                {
                    "date": date,
                    "app": app.id,
                    "registered": len(registered) * self.scale,
                    "engaged": sum(s == ENGAGED for s in app.state.values()) * self.scale,
                    "dau": len(self.active_today[app.id]) * self.scale,
                    "mau": len(active) * self.scale,
                }
            )
            if app.suite:
                suite_registered.update(registered)
                suite_active.update(active)
        self.rows.append(
            {
                "date": date,
                "app": "suite",
                "registered": len(suite_registered) * self.scale,
                "mau": len(suite_active) * self.scale,
            }
        )
        suite_rows = [r for r in self.rows[-len(self.apps) - 1 : -1] if self.app[r["app"]].suite]
        total = {k: sum(r[k] for r in suite_rows) for k in ("registered", "engaged", "dau", "mau")}
        self.rows.append({"date": date, "app": "suite_sum", **total})


def refuse_if_too_big(n_agents: int, n_days: int) -> None:
    """The reference engine is for small worlds: refuse what would take it hours."""
    if n_agents * n_days > MAX_AGENT_DAYS:
        raise UsageError(
            f"the reference engine simulates one process per customer: {n_agents:,} agents x "
            f"{n_days:,} days is over its limit of {MAX_AGENT_DAYS:,} agent-days (hours of "
            "run time); use a coarser --scale, a shorter horizon, or the fast engine"
        )


def run_reference(scenario: Scenario, seed: int = 0, scale: float | None = None) -> pd.DataFrame:
    """The reference engine's daily table for one run."""
    return ReferenceEngine(scenario, seed, scale).run()
