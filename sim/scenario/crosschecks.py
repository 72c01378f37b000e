"""Cross-checks of a schema-valid scenario: references, dates and shares that must agree.

The schema checks each value alone; these checks look at the whole scenario once, up front,
so that no run starts on a story that cannot happen (a delist before the launch, migration to
an app already gone, shares that do not sum). Each check returns located problems.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sim.errors import KeyPath, Problem
from sim.scenario.schema import (
    CampaignEvent,
    ChannelEvent,
    DelistEvent,
    EditionEvent,
    LaunchEvent,
    MergeEvent,
    Scenario,
)
from sim.scenario.yamlio import LineMap

SHARE_TOLERANCE = 1e-6
Found = Iterator[tuple[KeyPath, str, object]]

MAX_HORIZON_DAYS = 29_220  # 80 years: days are kept as int16 (up to 32,767)


def check_scenario(sc: Scenario, lines: LineMap) -> list[Problem]:
    """Every cross-field problem of `sc`, located through `lines`."""
    found = [
        *_check_horizon(sc),
        *_check_population(sc),
        *_check_apps(sc),
        *_check_timeline(sc),
    ]
    return [lines.problem(path, msg, value) for path, msg, value in found]


def _check_horizon(sc: Scenario) -> Found:
    if sc.horizon.end <= sc.horizon.start:
        yield ("horizon", "end"), "must be after horizon.start", sc.horizon.end
    elif (sc.horizon.end - sc.horizon.start).days >= MAX_HORIZON_DAYS:
        yield ("horizon", "end"), "horizon longer than 80 years", sc.horizon.end
    for i, day in enumerate(sc.horizon.key_dates):
        if not sc.horizon.start <= day <= sc.horizon.end:
            yield ("horizon", "key_dates", i), "must fall inside the horizon", day


def _check_population(sc: Scenario) -> Found:
    pop = sc.population
    for i in range(1, len(pop.base)):
        if pop.base[i].date <= pop.base[i - 1].date:
            yield ("population", "base", i, "date"), "dates must increase", pop.base[i].date
    total = sum(seg.share for seg in pop.segments.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        yield ("population", "segments"), "segment shares must sum to 1", round(total, 6)
    too_coarse = sc.too_coarse(pop.scale)
    if too_coarse:
        yield ("population", "scale"), too_coarse, pop.scale


def _check_apps(sc: Scenario) -> Found:
    known_segments = set(sc.population.segments)
    for app_id, app in sc.apps.items():
        path: KeyPath = ("apps", app_id)
        if app.segments != "all":
            yield from _unknown(app.segments, known_segments, (*path, "segments"), "segment")
        eligible = set(sc.app_segments(app_id))
        yield from _check_reach(sc, app_id, eligible & known_segments)
        for seg in app.segment_overrides:
            if seg not in eligible:
                msg = f"not a segment of this app; valid: {sorted(eligible)}"
                yield (*path, "segment_overrides", seg), msg, seg
        for src in app.referral_from:
            if src not in sc.apps or src == app_id:
                msg = f"must name another app; valid: {sorted(set(sc.apps) - {app_id})}"
                yield (*path, "referral_from", src), msg, src
        yield from _check_installed_base(sc, app_id)


def _check_reach(sc: Scenario, app_id: str, segments: set[str]) -> Found:
    """An app whose every segment has share 0 can reach no one: a mistake (to leave an app
    out, delete or delist it), which would otherwise show only as a row of zeros."""
    shares = {seg: sc.population.segments[seg].share for seg in sorted(segments)}
    if shares and not any(shares.values()):
        path: KeyPath = ("apps", app_id, "segments")
        yield path, "no customer may use this app: each of its segments has share 0", shares


def _check_installed_base(sc: Scenario, app_id: str) -> Found:
    app = sc.apps[app_id]
    path: KeyPath = ("apps", app_id)
    before_start = app.launch is not None and app.launch <= sc.horizon.start
    if app.installed_base is not None and not before_start:
        msg = "an installed base needs a launch on or before horizon.start"
        yield (*path, "installed_base"), msg, app.launch
    if app.launch is not None and app.launch > sc.horizon.end:
        yield (*path, "launch"), "launch after horizon.end", app.launch
    if app.installed_base is not None:
        population = sc.customers_on(sc.horizon.start)
        if app.installed_base.customers > population:
            msg = (
                f"an installed base larger than the population at horizon.start "
                f"({population:,.0f} customers on {sc.horizon.start})"
            )
            yield (*path, "installed_base", "customers"), msg, app.installed_base.customers


def _unknown(names: list[str], known: set[str], path: KeyPath, what: str) -> Found:
    for i, name in enumerate(names):
        if name not in known:
            yield (*path, i), f"unknown {what}; valid: {sorted(known)}", name


def _check_timeline(sc: Scenario) -> Found:
    launches = _launch_dates(sc)
    delists: dict[str, dt.date] = {}
    for name, ev in sorted(sc.timeline.items(), key=lambda kv: _event_date(kv[1])):
        path: KeyPath = ("timeline", name)
        if ev.app not in sc.apps:
            yield (*path, "app"), f"unknown app; valid: {sorted(sc.apps)}", ev.app
            continue
        yield from _check_event_dates(sc, ev, path)
        if isinstance(ev, LaunchEvent):
            yield from _check_launch(sc, ev, path)
            continue
        yield from _check_live(ev.app, _event_date(ev), launches, delists, path)
        if isinstance(ev, DelistEvent | MergeEvent):
            yield from _check_delist(sc, ev, path, launches, delists)
        if isinstance(ev, CampaignEvent | EditionEvent | ChannelEvent):
            yield from _check_event_segments(sc, ev, path)


def _launch_dates(sc: Scenario) -> dict[str, dt.date]:
    dates = {a: app.launch for a, app in sc.apps.items() if app.launch is not None}
    for ev in sc.timeline.values():
        if isinstance(ev, LaunchEvent):
            dates.setdefault(ev.app, ev.date)
    return dates


def _event_date(ev: object) -> dt.date:
    return getattr(ev, "date", None) or ev.start  # type: ignore[attr-defined]


def _check_event_dates(sc: Scenario, ev: object, path: KeyPath) -> Found:
    start, end = sc.horizon.start, sc.horizon.end
    for key in ("date", "start", "end"):
        when = getattr(ev, key, None)
        if when is not None and not start <= when <= end:
            yield (*path, key), f"outside the horizon {start}..{end}", when
    first, last = getattr(ev, "start", None), getattr(ev, "end", None)
    if first is not None and last is not None and last < first:
        yield (*path, "end"), f"before start ({first})", last


def _check_launch(sc: Scenario, ev: LaunchEvent, path: KeyPath) -> Found:
    if sc.apps[ev.app].launch is not None:
        msg = f"app already has launch: {sc.apps[ev.app].launch} in apps.{ev.app}"
        yield (*path, "app"), msg, ev.app
    if sc.apps[ev.app].installed_base is not None:
        yield (
            (*path, "app"),
            "an app launched by the timeline cannot have an installed base",
            ev.app,
        )


def _check_live(
    app: str,
    when: dt.date,
    launches: dict[str, dt.date],
    delists: dict[str, dt.date],
    path: KeyPath,
) -> Found:
    launched = launches.get(app)
    if launched is None:
        yield (*path, "app"), "app is never launched (give it a launch date)", app
    elif when < launched:
        yield path, f"before the app's launch ({launched})", when
    if app in delists and when >= delists[app]:
        yield path, f"app {app!r} is already delisted on {delists[app]}", when


def _check_delist(
    sc: Scenario,
    ev: DelistEvent | MergeEvent,
    path: KeyPath,
    launches: dict[str, dt.date],
    delists: dict[str, dt.date],
) -> Found:
    targets = ev.migrate_to if isinstance(ev, DelistEvent) else {ev.into: ev.migrate_share}
    key = "migrate_to" if isinstance(ev, DelistEvent) else "into"
    for target in targets:
        tpath = (*path, key, target) if key == "migrate_to" else (*path, key)
        if target not in sc.apps or target == ev.app:
            msg = f"must name another app; valid: {sorted(set(sc.apps) - {ev.app})}"
            yield tpath, msg, target
            continue
        yield from _check_live(target, ev.date, launches, delists, tpath)
    total = sum(targets.values())
    if total > 1.0 + SHARE_TOLERANCE:
        yield (*path, key), "migration shares sum to more than 1", round(total, 6)
    delists[ev.app] = ev.date


def _check_event_segments(
    sc: Scenario, ev: CampaignEvent | EditionEvent | ChannelEvent, path: KeyPath
) -> Found:
    if ev.segments == "all":
        return
    yield from _unknown(ev.segments, set(sc.app_segments(ev.app)), (*path, "segments"), "segment")
