"""The fast engine: simpy keeps the clock and runs the levers; numpy arrays hold the customers.

Strategy events (launches, delistings, releases, campaigns...) are simpy processes that fire at
integer times (the start of their day); the day loop runs at day + 0.5, so whatever a lever
changes on a day is in force for that whole day. See `Engine.step` for the order of a day.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from sim.engine import transitions as tr
from sim.engine.activity import activity_step
from sim.engine.app_state import AppState
from sim.engine.levers import close_all, start_levers
from sim.engine.population import Population, build_population
from sim.engine.recorder import Recorder
from sim.engine.scatter import gather
from sim.engine.sets import distinct_positions
from sim.engine.suite_book import SuiteBook
from sim.model.calendar import Calendar
from sim.model.encodings import ENGAGED, LAPSED, PAST, POOL
from sim.model.params import resolve_app
from sim.model.streams import Streams
from sim.scenario.schema import Scenario

Progress = Callable[[int], None]


class Engine:
    """One run of one scenario with one seed at one scale."""

    def __init__(self, scenario: Scenario, seed: int, scale: float | None = None):
        self.scenario = scenario
        self.scale = scenario.run_scale(scale)
        self.cal = Calendar(scenario.horizon.start, scenario.horizon.end)
        self.streams = Streams(seed)
        self.pop: Population = build_population(
            scenario.population, self.cal, self.scale, self.streams
        )
        self.apps = [self._make_app(i, a) for i, a in enumerate(scenario.apps)]
        self.app = {a.id: a for a in self.apps}
        book = SuiteBook(self.apps, self.pop.n_agents)
        self.rec = Recorder(self.cal, self.apps, book.suite_last)
        for app in self.apps:
            app.book = book
        self.active_today: dict[str, np.ndarray] = {}

    def _make_app(self, index: int, app_id: str) -> AppState:
        spec = self.scenario.apps[app_id]
        params = resolve_app(self.scenario, app_id)
        n_seg = len(self.pop.segment_names)
        return AppState(app_id, index, spec.suite, params, self.pop.n_agents, n_seg)

    # -- running -----------------------------------------------------------------------
    def run(self, progress: Progress | None = None) -> Recorder:
        """Simulate every day of the horizon; returns the filled recorder."""
        env = simpy.Environment()
        processes = [*start_levers(env, self), self._days(env, progress)]
        env.process(processes[-1])
        try:
            env.run(until=self.cal.n_days)
        finally:
            close_all(processes)
            for app in self.apps:
                app.book = None  # the book and the apps refer to each other: a cycle
        return self.rec

    def _days(self, env: simpy.Environment, progress: Progress | None):
        yield env.timeout(0.5)
        for day in range(self.cal.n_days):
            self.step(day)
            if progress:
                progress(day)
            yield env.timeout(1)

    def step(self, day: int) -> None:
        """One simulated day, in this order:

        1. levers dated today have already run (they fire at the start of the day);
        2. agents who became eligible today (joined the bank or went mobile) enter the
           adoption pools of the live apps;
        3. per live app: lapses due today, reactivations, Bass adoptions;
        4. per live app: the engaged users' activity draws (DAU, windows, cohorts);
        5. cross-app referrals from today's active users (they are active from tomorrow);
        6. stocks are recorded, and at a month's end the month is closed.
        """
        live = [a for a in self.apps if a.live]
        for app in live:
            tr.admit(app, self.pop.eligible_between(day, day), self.pop.segment)
        for app in live:
            self._lapse_and_return(app, day)
            self._adopt(app, day)
        self.active_today = {app.id: self._activity(app, day) for app in live}
        for app in live:
            self._referrals(app, day)
        self.rec.close_day(day)
        for app in self.apps:
            app.modifiers.prune(day)

    # -- mechanisms, per app -----------------------------------------------------------
    def _lapse_and_return(self, app: AppState, day: int) -> None:
        self.rec.count("new_lapsed", app, day, tr.lapse_due(app, day))
        rng = self.streams.daily(day, "reactivation", app.id)
        back = tr.reactivate(app, day, rng, app.modifiers.current("reactivation", day))
        self.rec.count("new_reactivated", app, day, back)

    def _adopt(self, app: AppState, day: int) -> None:
        acquisition = app.modifiers.current("acquisition", day)
        ceilings = app.modifiers.current("ceiling", day)
        rng = self.streams.daily(day, "adoption", app.id)
        ids, segs = tr.bass_adoptions(app, rng, acquisition, ceilings)
        self.register(app, ids, day, "adoption", segs=segs)

    def _activity(self, app: AppState, day: int) -> np.ndarray:
        rng = self.streams.daily(day, "activity", app.id)
        multipliers = app.modifiers.current("activity", day)
        # one raw word: what rng.integers(0, 2**64, dtype=np.uint64) returns, in a fifth of
        # its time
        key = int(rng.bit_generator.random_raw())
        members = app.activity_members()
        books = self.rec.books(app, day, len(members.ids))
        start = self.cal.month_start(day)
        active, counts = activity_step(members, key, multipliers, day, start, books)
        self.rec.count_activity(app, day, counts)
        return active

    def _referrals(self, app: AppState, day: int) -> None:
        spec = self.scenario.apps[app.id]
        for src, rate in spec.referral_from.items():
            active = self.active_today.get(src)
            if active is None or len(active) == 0 or rate <= 0:
                continue
            rng = self.streams.daily(day, "referral", src, app.id)
            k = int(rng.binomial(len(active), rate))
            chosen = active[distinct_positions(rng, len(active), k)] if k else tr.EMPTY
            ids = tr.pick_from_pool(app, chosen, self.pop.segment)
            self.register(app, ids, day, f"referral:{src}", dormant_share=0.0)

    # -- services for the levers -------------------------------------------------------
    def register(
        self,
        app: AppState,
        ids: np.ndarray,
        day: int,
        via: str,
        dormant_share: float | None = None,
        segs: np.ndarray | None = None,
    ) -> None:
        """Register agents already taken out of the app's pool (counted as new registrations),
        of segments `segs` (looked up if not given). `via` names the route (adoption, a
        referral, a channel): each has its own stream."""
        if len(ids) == 0:
            return
        rng = self.streams.daily(day, "registration", via, app.id)
        month = int(self.cal.month_of_day[day])
        segs = gather(self.pop.segment, ids) if segs is None else segs
        tr.register(app, ids, segs, rng, day, month + 1, dormant_share)
        self.rec.registered(app, ids, day, month)

    def launch(self, app: AppState, day: int) -> None:
        """Open the app: everyone eligible so far enters its pool; seed any installed base."""
        app.reopen()  # a launch after a delisting: its arrays were released
        app.live = True
        tr.admit(app, self.pop.eligible_between(0, day), self.pop.segment)
        base = self.scenario.apps[app.id].installed_base
        if base is not None:
            self._install_base(app, base.customers / self.scale, base.engaged_share, day)

    def _install_base(self, app: AppState, n_agents: float, engaged_share: float, day: int) -> None:
        rng = self.streams.get("installed_base", app.id)
        sizes = app.pool.sizes()
        n = min(round(n_agents), int(sizes.sum()))
        per_seg = rng.multivariate_hypergeometric(sizes, n) if n else np.zeros_like(sizes)
        ids, segs = app.pool.take(rng, per_seg)
        engaged = tr.register(app, ids, segs, rng, day, 0, dormant_share=1.0 - engaged_share)
        self.rec.registered(app, ids, 0, -1, flow=False)  # a stock at the start
        self._seed_history(app, engaged, rng)

    def _seed_history(self, app: AppState, ids: np.ndarray, rng: np.random.Generator) -> None:
        """Installed users' last active day before the horizon: geometric in their propensity."""
        days_ago = rng.geometric(np.maximum(app.propensity[ids].astype(np.float64), 1e-6))
        recent = days_ago < PAST
        self.rec.seed_history(app, ids[recent], days_ago[recent])

    def delist(self, app: AppState, migrate_to: dict[str, float], day: int, name: str) -> None:
        """Retire the app; each user moves to one of `migrate_to` (by share) or leaves."""
        engaged, lapsed = tr.retire(app)
        users = np.concatenate([engaged, lapsed])
        was_engaged = np.concatenate([np.ones(len(engaged), bool), np.zeros(len(lapsed), bool)])
        self.rec.deregistered(app, users)
        listed = [a for a in self.apps if a.suite and a.live and a is not app]
        for other in listed:
            other.sync_last_active()
        self.rec.forget_activity(app, [other.last_active for other in listed])
        rng = self.streams.get("migration", name)
        targets = list(migrate_to)
        choice = np.searchsorted(
            np.cumsum(list(migrate_to.values())), rng.random(len(users)), side="right"
        )
        moved = 0
        for t, target in enumerate(targets):
            pick = choice == t
            moved += self._migrate(app, self.app[target], users[pick], was_engaged[pick], day, rng)
        self.rec.count("new_migrated_out", app, day, moved)
        self.rec.count("new_left", app, day, len(users) - moved)
        app.release()

    def _migrate(
        self,
        src: AppState,
        dst: AppState,
        ids: np.ndarray,
        was_engaged: np.ndarray,
        day: int,
        rng: np.random.Generator,
    ) -> int:
        """Move users into `dst`; they keep their activity propensity. Returns how many moved."""
        state = dst.state[ids]
        can = (state == POOL) | (state == ENGAGED) | (state == LAPSED)
        new = state == POOL
        month = int(self.cal.month_of_day[day])
        group = tr.pick_from_pool(dst, ids[new], self.pop.segment)  # all of them: distinct
        dst.propensity[group] = src.propensity[group]
        dst.reg_month[group] = month + 1
        tr.enroll(dst, group, self.pop.segment[group], was_engaged[new], rng, day)
        self.rec.registered(dst, group, day, month)
        self.rec.count("new_migrated_in", dst, day, len(group))
        wake = ids[(state == LAPSED) & was_engaged]
        wake_segs = self.pop.segment[wake]
        dst.lapsed.remove(wake, wake_segs)
        tr.engage(dst, wake, wake_segs, rng, day)
        self.rec.count("new_reactivated", dst, day, len(wake))
        return int(can.sum())

    def inflow(
        self, app: AppState, segments: list[int], n_agents: int, day: int, name: str
    ) -> None:
        """A channel brings `n_agents` new users, spread over segments by pool size."""
        rng = self.streams.daily(day, "channel", name)
        chosen = set(segments)  # (np.isin on a handful of segments costs 30 us)
        sizes = app.pool.sizes() * np.array([s in chosen for s in app.params])
        n = min(n_agents, int(sizes.sum()))
        if n <= 0:
            return
        ids, segs = app.pool.take(rng, rng.multivariate_hypergeometric(sizes, n))
        self.register(app, ids, day, f"channel:{name}", segs=segs)
