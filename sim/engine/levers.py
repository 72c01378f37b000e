"""The strategy levers: each timeline event of a scenario as a simpy process.

A process waits until its date and then acts on the engine: opens or retires an app, moves
users, applies a multiplier (for good, or for a campaign's window), or starts a release's
decaying boost. Read together, the processes tell the scenario's story in the order it happens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
import simpy

from sim.engine.app_state import Release
from sim.scenario.schema import (
    Boosts,
    CampaignEvent,
    ChannelEvent,
    DelistEvent,
    EditionEvent,
    LaunchEvent,
    MergeEvent,
    ReleaseCadenceEvent,
    ReleaseEvent,
)

if TYPE_CHECKING:
    from sim.engine.population import Population
    from sim.model.calendar import Calendar
    from sim.model.streams import Streams
    from sim.scenario.schema import Scenario


class LeverTarget(Protocol):
    """What a lever needs of an engine (the fast one and the reference one both serve)."""

    scenario: Scenario
    cal: Calendar
    pop: Population
    scale: float
    streams: Streams

    @property
    def app(self) -> Mapping[str, Any]: ...

    def launch(self, app: Any, day: int) -> None: ...

    def delist(self, app: Any, migrate_to: dict[str, float], day: int, name: str) -> None: ...

    def inflow(self, app: Any, segments: list[int], n_agents: int, day: int, name: str) -> None: ...


Process = Generator[simpy.Event, Any, None]


def start_levers(env: simpy.Environment, eng: LeverTarget) -> list[Process]:
    """Start one process per app launch and per timeline event, in date order; on one day,
    launches first (an app delisted or merged into one launched that day receives its
    users), then the other events by name. Returns the processes' generators, for the
    engine to close when its run ends."""
    started: list[Process] = []
    for app_id, spec in eng.scenario.apps.items():
        if spec.launch is not None:
            started.append(_launch(env, eng, app_id, spec.launch))

    def order(item: tuple[str, Any]) -> tuple[dt.date, bool, str]:
        name, ev = item
        return _first_date(ev), not isinstance(ev, LaunchEvent), name

    events = sorted(eng.scenario.timeline.items(), key=order)
    started += [_process_for(env, eng, name, ev) for name, ev in events]
    for process in started:
        env.process(process)
    return started


def close_all(processes: list[Process]) -> None:
    """End every process still waiting when the run stops (a cadence's next release lies
    past the horizon): a waiting generator's frame holds the engine, and the simpy queue
    holds the generator, a reference cycle that would keep the run's arrays alive until
    Python's next full collection."""
    for process in processes:
        process.close()


def _first_date(ev: Any) -> dt.date:
    return ev.date if hasattr(ev, "date") else ev.start


def _process_for(env: simpy.Environment, eng: LeverTarget, name: str, ev: Any) -> Process:
    if isinstance(ev, LaunchEvent):
        return _launch(env, eng, ev.app, ev.date)
    if isinstance(ev, DelistEvent):
        return _delist(env, eng, name, ev)
    if isinstance(ev, MergeEvent):
        return _merge(env, eng, name, ev)
    if isinstance(ev, ReleaseEvent):
        return _release(env, eng, ev)
    if isinstance(ev, ReleaseCadenceEvent):
        return _release_cadence(env, eng, ev)
    if isinstance(ev, CampaignEvent):
        return _campaign(env, eng, name, ev)
    if isinstance(ev, EditionEvent):
        return _edition(env, eng, name, ev)
    assert isinstance(ev, ChannelEvent)
    return _channel(env, eng, name, ev)


def _wait_until(env: simpy.Environment, eng: LeverTarget, when: dt.date) -> simpy.Event:
    """A timeout to the start of `when`'s day (now, if it is already past)."""
    return env.timeout(max(0, eng.cal.day(when) - env.now))


def _launch(env: simpy.Environment, eng: LeverTarget, app_id: str, when: dt.date) -> Process:
    yield _wait_until(env, eng, when)
    eng.launch(eng.app[app_id], int(env.now))


def _delist(env: simpy.Environment, eng: LeverTarget, name: str, ev: DelistEvent) -> Process:
    yield _wait_until(env, eng, ev.date)
    eng.delist(eng.app[ev.app], dict(ev.migrate_to), int(env.now), name)


def _merge(env: simpy.Environment, eng: LeverTarget, name: str, ev: MergeEvent) -> Process:
    """Merge = delist into the target, which then works differently (richer, or heavier)."""
    yield _wait_until(env, eng, ev.date)
    target = eng.app[ev.into]
    eng.delist(eng.app[ev.app], {ev.into: ev.migrate_share}, int(env.now), name)
    everyone = np.ones(len(eng.pop.segment_names))
    target.modifiers.add(name, "activity", everyone * ev.activity_multiplier)
    target.modifiers.add(name, "acquisition", everyone * ev.acquisition_multiplier)
    target.modifiers.add(name, "reactivation", everyone * ev.reactivation_multiplier)


def _boost(eng: LeverTarget, app_id: str, day: int, spec: Boosts) -> None:
    excess = {
        "activity": spec.activity_boost - 1.0,
        "acquisition": spec.acquisition_boost - 1.0,
        "reactivation": spec.reactivation_boost - 1.0,
    }
    eng.app[app_id].modifiers.releases.append(Release(day, excess, spec.half_life_days))


def _release(env: simpy.Environment, eng: LeverTarget, ev: ReleaseEvent) -> Process:
    yield _wait_until(env, eng, ev.date)
    if eng.app[ev.app].live:
        _boost(eng, ev.app, int(env.now), ev)


def release_dates(ev: ReleaseCadenceEvent, horizon_end: dt.date) -> list[dt.date]:
    """The dates of a cadence's releases, from its start to its end (or the horizon's)."""
    end = min(ev.end or horizon_end, horizon_end)
    if isinstance(ev.every, int):
        step: pd.DateOffset = pd.DateOffset(days=ev.every)
    else:
        step = pd.DateOffset(months=1 if ev.every == "monthly" else 3)
    dates = pd.date_range(ev.start, end, freq=step)
    return [d.date() for d in dates]


def _release_cadence(env: simpy.Environment, eng: LeverTarget, ev: ReleaseCadenceEvent) -> Process:
    for when in release_dates(ev, eng.cal.end):
        yield _wait_until(env, eng, when)
        if eng.app[ev.app].live:
            _boost(eng, ev.app, int(env.now), ev)


def _segment_mask(
    eng: LeverTarget, app_id: str, segments: list[str] | str, value: float
) -> np.ndarray:
    """Per-segment multipliers: `value` for the named segments, 1 elsewhere."""
    names = eng.pop.segment_names
    chosen = eng.scenario.app_segments(app_id) if segments == "all" else segments
    return np.array([value if s in chosen else 1.0 for s in names])


def _campaign(env: simpy.Environment, eng: LeverTarget, name: str, ev: CampaignEvent) -> Process:
    yield _wait_until(env, eng, ev.start)
    mods = eng.app[ev.app].modifiers
    mods.add(
        name, "acquisition", _segment_mask(eng, ev.app, ev.segments, ev.acquisition_multiplier)
    )
    mods.add(
        name, "reactivation", _segment_mask(eng, ev.app, ev.segments, ev.reactivation_multiplier)
    )
    yield env.timeout(eng.cal.day(ev.end) + 1 - env.now)
    mods.remove(name)


def _edition(env: simpy.Environment, eng: LeverTarget, name: str, ev: EditionEvent) -> Process:
    yield _wait_until(env, eng, ev.date)
    mods = eng.app[ev.app].modifiers
    for kind in ("activity", "acquisition", "ceiling", "reactivation"):
        value = getattr(ev, f"{kind}_multiplier")
        mods.add(name, kind, _segment_mask(eng, ev.app, ev.segments, value))


def _channel(env: simpy.Environment, eng: LeverTarget, name: str, ev: ChannelEvent) -> Process:
    """Partners bring a Poisson stream of new users each day while the channel is open."""
    yield _wait_until(env, eng, ev.start)
    last = eng.cal.day(min(ev.end or eng.cal.end, eng.cal.end))
    names = eng.pop.segment_names
    chosen = eng.scenario.app_segments(ev.app) if ev.segments == "all" else ev.segments
    segments = [names.index(s) for s in chosen]
    app = eng.app[ev.app]
    while env.now <= last:
        if app.live:
            rng = eng.streams.daily(int(env.now), "channel_volume", name)
            n = int(rng.poisson(ev.customers_per_day / eng.scale))
            eng.inflow(app, segments, n, int(env.now), name)
        yield env.timeout(1)
