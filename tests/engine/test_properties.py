"""Property tests: random valid worlds keep every invariant; random input never crashes."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

import sim
from sim import ScenarioError, load_scenario
from sim.scenario.load import scenario_from_dict

from .test_engine import check_invariants

START = dt.date(2020, 1, 1)
unit = st.floats(0.0, 1.0)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


@st.composite
def segments(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    weights = [draw(st.floats(0.1, 1.0)) for _ in range(n)]
    shares = [w / sum(weights) for w in weights]
    shares[-1] = 1.0 - sum(shares[:-1])
    return {
        f"s{i}": {
            "share": shares[i],
            "mobile": {
                "ceiling": draw(st.floats(0.3, 1.0)),
                "midpoint": day(draw(st.integers(-900, 300))),
                "width_days": draw(st.floats(30, 600)),
            },
        }
        for i in range(n)
    }


@st.composite
def app(draw: Any, launch: int, seg_names: list[str]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "launch": day(launch),
        "adoption": {
            "p_per_year": draw(st.floats(0, 2)),
            "q_per_year": draw(st.floats(0, 3)),
            "ceiling": draw(unit),
            "never_active_share": draw(unit),
        },
        "engagement": {
            "activity_mean": draw(st.floats(0.01, 0.9)),
            "activity_concentration": draw(st.floats(0.2, 50)),
        },
        "lapse": {
            "hazard_per_day": draw(st.floats(0, 0.05)),
            "propensity_exponent": draw(st.floats(0, 4)),
            "reactivation_hazard_per_day": draw(st.floats(0, 0.05)),
        },
        "suite": draw(st.booleans()),
    }
    if launch <= 0 and draw(st.booleans()):
        spec["installed_base"] = {
            "customers": draw(st.floats(0, 2000)),  # within the smallest start population
            "engaged_share": draw(unit),
        }
    if draw(st.booleans()):
        spec["segments"] = draw(st.lists(st.sampled_from(seg_names), min_size=1, unique=True))
    return spec


@st.composite
def worlds(draw: Any) -> dict[str, Any]:
    horizon = draw(st.integers(60, 300))
    segs = draw(segments())
    n_apps = draw(st.integers(1, 3))
    apps = {
        f"a{i}": draw(app(draw(st.integers(-100, horizon // 2)), list(segs))) for i in range(n_apps)
    }
    for i, spec in enumerate(apps.values()):
        others = [f"a{j}" for j in range(n_apps) if j != i]
        if others and draw(st.booleans()):
            spec["referral_from"] = {draw(st.sampled_from(others)): draw(st.floats(0, 0.05))}
    return {
        "name": "random",
        "horizon": {"start": START, "end": day(horizon)},
        "population": {
            "scale": 10,
            "base": [
                {"date": START, "customers": draw(st.floats(2000, 30000))},
                {"date": day(horizon), "customers": draw(st.floats(30000, 60000))},
            ],
            "segments": segs,
        },
        "apps": apps,
        "timeline": draw(timeline(apps, horizon, list(segs))),
    }


@st.composite
def timeline(
    draw: Any, apps: dict[str, Any], horizon: int, segment_names: list[str]
) -> dict[str, Any]:
    events: dict[str, Any] = {}
    live_from = {a: max(0, (s["launch"] - START).days) for a, s in apps.items()}
    delisted: dict[str, int] = {}
    if len(apps) > 1 and draw(st.booleans()):
        gone = draw(st.sampled_from(sorted(apps)))
        when = draw(st.integers(max(live_from.values()) + 1, horizon + 1))
        if when <= horizon:
            targets = [a for a in apps if a != gone]
            shares = {t: draw(st.floats(0, 1.0 / len(targets))) for t in targets}
            events["close"] = {
                "type": "delist",
                "app": gone,
                "date": day(when),
                "migrate_to": shares,
            }
            delisted[gone] = when
    for k in range(draw(st.integers(0, 4))):
        target = draw(st.sampled_from(sorted(apps)))
        first, last = live_from[target], delisted.get(target, horizon + 1) - 1
        if first > last:
            continue
        start = draw(st.integers(first, last))
        kind = draw(
            st.sampled_from(["release", "release_cadence", "campaign", "edition", "channel"])
        )
        eligible = apps[target].get("segments") or sorted(segment_names)
        events[f"e{k}"] = _event(draw, kind, target, start, min(last, horizon), eligible)
    return events


def _event(
    draw: Any, kind: str, target: str, start: int, last: int, eligible: list[str]
) -> dict[str, Any]:
    boost = st.floats(0.5, 3.0)
    if kind == "release":
        return {
            "type": kind,
            "app": target,
            "date": day(start),
            "activity_boost": draw(boost),
            "acquisition_boost": draw(boost),
            "reactivation_boost": draw(boost),
            "half_life_days": draw(st.floats(1, 60)),
        }
    if kind == "release_cadence":
        return {
            "type": kind,
            "app": target,
            "start": day(start),
            "end": day(last),
            "every": draw(st.sampled_from(["monthly", "quarterly", 7, 45])),
            "activity_boost": draw(boost),
        }
    if kind == "campaign":
        return {
            "type": kind,
            "app": target,
            "start": day(start),
            "end": day(last),
            "acquisition_multiplier": draw(st.floats(0, 5)),
        }
    if kind == "edition":
        return {
            "type": kind,
            "app": target,
            "date": day(start),
            "segments": [eligible[0]],
            "activity_multiplier": draw(st.floats(0, 3)),
        }
    return {
        "type": kind,
        "app": target,
        "start": day(start),
        "end": day(last),
        "customers_per_day": draw(st.floats(0, 500)),
    }


@SETTINGS
@given(worlds(), st.integers(0, 2**31 - 1))
def test_random_worlds_keep_every_invariant(tree, seed):
    try:
        scenario = scenario_from_dict(tree)
    except ScenarioError as exc:  # the generator stays within the rules; a refusal is a bug
        raise AssertionError(str(exc)) from None
    result = sim.run(scenario, seed=seed)
    population = max(p["customers"] for p in tree["population"]["base"]) + 10
    check_invariants(result, population)
    daily = result.daily
    counts = daily.drop(columns=["date", "app", "dau_mau"]).to_numpy()
    assert np.nanmin(counts) >= 0
    for event in tree["timeline"].values():
        if event["type"] == "delist":
            rows = daily[daily["app"] == event["app"]].set_index("date")
            when = np.datetime64(event["date"])
            before = rows["registered"].shift(1).loc[when]
            moved = rows.loc[when, "new_migrated_out"] + rows.loc[when, "new_left"]
            assert moved == before  # every user of a delisted app moves or leaves, once


# -- fuzzing the loader -------------------------------------------------------------------------
def load_text(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        try:
            load_scenario(path)
        except ScenarioError as exc:
            assert all(str(p).startswith(str(path)) for p in exc.problems)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_give_only_clean_errors(data):
    load_text(data)


yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
)
yaml_trees = st.recursive(
    yaml_scalars,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=10), kids, max_size=4),
    ),
    max_leaves=20,
)
KEYS = [
    "name",
    "horizon",
    "population",
    "apps",
    "timeline",
    "extends",
    "start",
    "end",
    "base",
    "segments",
    "share",
    "adoption",
    "type",
    "app",
    "date",
]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), yaml_trees, max_size=6))
def test_random_yaml_trees_give_only_clean_errors(tree):
    from io import StringIO

    buffer = StringIO()
    YAML(typ="safe", pure=True).dump(tree, buffer)
    load_text(buffer.getvalue().encode())
