"""The fast engine against the textbook one (one simpy process per customer).

For each mechanism alone, and for all of them together, the means over seeds of registered,
engaged, DAU and MAU per app, and of the suite's de-duplicated registered and MAU, must agree
at several dates within 4 standard errors of the difference of the two means (plus one
agent's worth, for counts near zero). A broken mechanism shifts a mean by many standard
errors: e.g. doubling the referral rate in the fast engine fails the referral case.
"""

from __future__ import annotations

import copy
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.engine.reference import ReferenceEngine, run_reference
from sim.errors import UsageError

from ..conftest import ROOT, build

SEEDS = range(6)
SCALE = 150  # 1,600 agents: about a second per reference run
DATES = ["2020-02-15", "2020-04-15", "2020-06-30"]
METRICS = ("registered", "engaged", "dau", "mau")


def short(tree: dict[str, Any]) -> dict[str, Any]:
    tree = copy.deepcopy(tree)
    tree["horizon"]["end"] = "2020-06-30"
    tree["timeline"] = {}
    # a large installed base, so that each mechanism acts on hundreds of agents
    tree["apps"]["bank"]["installed_base"] = {"customers": 100000, "engaged_share": 0.8}
    return tree


def values(daily: pd.DataFrame, apps: list[str]) -> dict[tuple[str, str, str], float]:
    out = {}
    for app in [*apps, "suite"]:
        rows = daily[daily["app"] == app].set_index("date")
        for metric in METRICS if app != "suite" else ("registered", "mau"):
            for date in DATES:
                out[(app, metric, date)] = float(rows.loc[pd.Timestamp(date), metric])
    return out


def _engine_values(job: tuple[Any, str, int]) -> dict[tuple[str, str, str], float]:
    scenario, engine, seed = job
    if engine == "reference":
        daily = run_reference(scenario, seed=seed, scale=SCALE)
    else:
        daily = sim.run(scenario, seed=seed, scale=SCALE).daily
    return values(daily, list(scenario.apps))


def assert_agree(tree: dict[str, Any]) -> None:
    scenario = build(tree)
    jobs = [(scenario, engine, s) for engine in ("fast", "reference") for s in SEEDS]
    # the runs are independent: two processes (the machine's cores) halve the wall time
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        runs = list(pool.map(_engine_values, jobs))
    fast, ref = runs[: len(SEEDS)], runs[len(SEEDS) :]
    bad = []
    for key in fast[0]:
        f = np.array([v[key] for v in fast])
        r = np.array([v[key] for v in ref])
        se = np.sqrt(f.var(ddof=1) / len(f) + r.var(ddof=1) / len(r))
        if abs(f.mean() - r.mean()) > 4 * se + SCALE:
            bad.append(f"{key}: fast {f.mean():.0f} vs reference {r.mean():.0f} (se {se:.0f})")
    assert not bad, "\n".join(bad)


def test_adoption_with_imitation(tiny_tree):
    tree = short(tiny_tree)
    tree["apps"]["chat"].pop("referral_from")
    tree["apps"]["chat"]["adoption"].update(p_per_year=0.3, q_per_year=4.0)
    assert_agree(tree)


def test_cross_app_referral(tiny_tree):
    tree = short(tiny_tree)
    tree["apps"]["chat"]["adoption"].update(p_per_year=0.0, q_per_year=0.0)
    tree["apps"]["chat"]["referral_from"] = {"bank": 0.01}
    assert_agree(tree)


def test_engagement_heterogeneity(tiny_tree):
    tree = short(tiny_tree)
    tree["apps"]["bank"]["engagement"] = {"activity_mean": 0.15, "activity_concentration": 0.5}
    assert_agree(tree)


def test_lapse_and_reactivation(tiny_tree):
    tree = short(tiny_tree)
    tree["apps"]["bank"]["lapse"] = {
        "hazard_per_day": 0.03,
        "propensity_exponent": 2.0,
        "reactivation_hazard_per_day": 0.02,
    }
    assert_agree(tree)


def test_delist_with_migration(tiny_tree):
    tree = short(tiny_tree)
    tree["timeline"]["close"] = {
        "type": "delist",
        "app": "chat",
        "date": "2020-04-01",
        "migrate_to": {"bank": 0.6},
    }
    tree["apps"]["chat"]["segments"] = "all"
    assert_agree(tree)


def test_merge(tiny_tree):
    tree = short(tiny_tree)
    tree["timeline"]["merge"] = {
        "type": "merge",
        "app": "chat",
        "into": "bank",
        "date": "2020-04-01",
        "migrate_share": 0.8,
        "activity_multiplier": 1.5,
        "acquisition_multiplier": 2.0,
    }
    assert_agree(tree)


def test_release_boosts(tiny_tree):
    tree = short(tiny_tree)
    tree["timeline"]["cadence"] = {
        "type": "release_cadence",
        "app": "bank",
        "start": "2020-01-20",
        "every": 30,
        "activity_boost": 1.5,
        "acquisition_boost": 2.0,
        "reactivation_boost": 4.0,
        "half_life_days": 7,
    }
    assert_agree(tree)


def test_editions(tiny_tree):
    tree = short(tiny_tree)
    tree["timeline"]["senior"] = {
        "type": "edition",
        "app": "bank",
        "date": "2020-03-01",
        "segments": ["old"],
        "activity_multiplier": 1.6,
        "acquisition_multiplier": 3.0,
        "ceiling_multiplier": 1.2,
        "reactivation_multiplier": 2.0,
    }
    assert_agree(tree)


def test_channels(tiny_tree):
    tree = short(tiny_tree)
    tree["timeline"]["partners"] = {
        "type": "channel",
        "app": "chat",
        "start": "2020-03-10",
        "customers_per_day": 3000,
    }
    assert_agree(tree)


def test_everything_together(tiny_tree):
    tree = short(tiny_tree)
    tree["timeline"] = {
        **copy.deepcopy(tiny_tree["timeline"]),
        "push": {
            "type": "campaign",
            "app": "chat",
            "start": "2020-03-15",
            "end": "2020-04-15",
            "acquisition_multiplier": 3.0,
            "reactivation_multiplier": 2.0,
        },
        "senior": {
            "type": "edition",
            "app": "bank",
            "date": "2020-03-01",
            "segments": ["old"],
            "activity_multiplier": 1.3,
        },
        "partners": {
            "type": "channel",
            "app": "bank",
            "start": "2020-02-01",
            "customers_per_day": 1000,
        },
        "close": {
            "type": "delist",
            "app": "chat",
            "date": "2020-05-20",
            "migrate_to": {"bank": 0.5},
        },
    }
    tree["apps"]["bank"]["referral_from"] = {"chat": 0.01}
    assert_agree(tree)


def test_reference_refuses_big_worlds():
    baseline = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    with pytest.raises(UsageError, match="agent-days"):
        ReferenceEngine(baseline, seed=0, scale=1000)
