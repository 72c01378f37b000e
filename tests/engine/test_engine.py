"""The engine against closed forms, invariants and each timeline event type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
import sim.engine.compiled
from sim.engine.fast import Engine

from ..conftest import build

SEED = 7


def quiet_world(tree: dict) -> dict:
    """No adoption, referral or lapse: only what a test switches on changes anything."""
    for app in tree["apps"].values():
        app["adoption"].update(p_per_year=0.0, q_per_year=0.0, never_active_share=0.0)
        app["lapse"].update(hazard_per_day=0.0, reactivation_hazard_per_day=0.0)
        app.pop("referral_from", None)
    tree["timeline"] = {}
    return tree


def app_rows(result: sim.Result, app: str) -> pd.DataFrame:
    return result.daily[result.daily["app"] == app].set_index("date")


# -- closed forms ----------------------------------------------------------------------------
def test_without_lapse_registered_is_installed_base_plus_cumulative_adoptions(tiny_tree):
    for app in tiny_tree["apps"].values():
        app["lapse"].update(hazard_per_day=0.0, reactivation_hazard_per_day=0.0)
        app["adoption"]["never_active_share"] = 0.0
    tiny_tree["apps"]["bank"]["installed_base"]["engaged_share"] = 1.0
    result = sim.run(build(tiny_tree), seed=SEED)
    for app, base in (("bank", 20000.0), ("chat", 0.0)):
        rows = app_rows(result, app)
        np.testing.assert_array_equal(rows["registered"], base + rows["new_registered"].cumsum())
        np.testing.assert_array_equal(rows["engaged"], rows["registered"])
        assert rows["new_registered"].sum() > 1000


def test_bass_innovation_alone_follows_its_exponential(tiny_tree):
    """q = 0, no growth of the eligible pool: registered(t) = m (1 - (1 - p/365.25)^(t+1))."""
    tree = quiet_world(tiny_tree)
    tree["population"]["base"] = [{"date": "2020-01-01", "customers": 400000}]
    tree["population"]["segments"]["old"]["mobile"]["midpoint"] = "2000-01-01"
    del tree["apps"]["bank"]["installed_base"]
    tree["apps"]["bank"]["launch"] = "2020-01-01"
    tree["apps"]["bank"]["adoption"].update(p_per_year=1.0, ceiling=0.8)
    result = sim.run(build(tree), seed=SEED, scale=10)
    eng_rows = app_rows(result, "bank")
    eligible = 40000 * (0.6 * 0.99 + 0.4 * 0.8)  # agents x mobile ceilings (midpoints long past)
    t = np.arange(len(eng_rows))
    expected = 0.8 * eligible * (1 - (1 - 1 / 365.25) ** (t + 1)) * 10
    rel = eng_rows["registered"].to_numpy() / expected
    assert np.all(np.abs(rel[30:] - 1) < 0.04), rel[30:].min()


def test_constant_activity_gives_binomial_dau_and_mau(tiny_tree):
    """Propensity p for everyone (Beta with huge concentration): DAU/engaged ~ p and
    MAU/engaged ~ 1 - (1 - p)^30."""
    tree = quiet_world(tiny_tree)
    p = 0.02
    tree["apps"]["bank"]["engagement"] = {"activity_mean": p, "activity_concentration": 1e4}
    tree["apps"]["bank"]["installed_base"]["engaged_share"] = 1.0
    result = sim.run(build(tree), seed=SEED, scale=1)
    rows = app_rows(result, "bank").iloc[60:]
    dau_share = (rows["dau"] / rows["engaged"]).mean()
    mau_share = (rows["mau"] / rows["engaged"]).mean()
    # 20,000 engaged: daily sd of the DAU share ~ 0.001, mean over ~300 days far tighter
    assert dau_share == pytest.approx(p, rel=0.02)
    assert mau_share == pytest.approx(1 - (1 - p) ** 30, rel=0.02)


# -- invariants --------------------------------------------------------------------------------
def check_invariants(result: sim.Result, population_customers: float) -> None:
    d = result.daily
    assert (d[["registered", "dau", "wau", "mau"]] >= 0).all().all()
    assert (d["dau"] <= d["wau"]).all()
    assert (d["wau"] <= d["mau"]).all()
    apps = d[~d["app"].isin(["suite", "suite_sum"])]
    assert (apps["mau"] <= apps["registered"]).all()  # a delisted app has no MAU
    assert (d["registered"] <= population_customers).all()
    suite = d[d["app"] == "suite"].set_index("date")
    total = d[d["app"] == "suite_sum"].set_index("date")
    for metric in ("registered", "dau", "wau", "mau"):
        assert (suite[metric] <= total[metric]).all()
    monthly = result.monthly.set_index(["app", "month"])
    for (app, month), row in monthly.iterrows():
        days = d[(d["app"] == app) & (d["date"].dt.to_period("M") == month.to_period("M"))]
        assert row["mau_calendar"] >= days["dau"].max()


def test_invariants_hold_on_the_tiny_world(tiny_tree):
    check_invariants(sim.run(build(tiny_tree), seed=SEED), 240000)


# -- determinism ------------------------------------------------------------------------------
def test_same_seed_same_result_other_seed_other_result(tiny_tree):
    sc = build(tiny_tree)
    a, b, c = sim.run(sc, seed=3), sim.run(sc, seed=3), sim.run(sc, seed=4)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    assert a.output_hash() == b.output_hash()
    assert a.output_hash() != c.output_hash()
    assert not a.daily["dau"].equals(c.daily["dau"])


def test_a_lever_on_one_app_leaves_an_unrelated_app_identical(tiny_tree):
    """Common random numbers: bank does not depend on chat, so changing chat leaves bank's
    series untouched, draw for draw."""
    base = sim.run(build(tiny_tree), seed=SEED)
    tiny_tree["apps"]["chat"]["engagement"]["activity_mean"] = 0.6
    changed = sim.run(build(tiny_tree), seed=SEED)
    pd.testing.assert_frame_equal(app_rows(base, "bank"), app_rows(changed, "bank"))
    assert not app_rows(base, "chat")["dau"].equals(app_rows(changed, "chat")["dau"])


# -- timeline events --------------------------------------------------------------------------
def test_launch_event_opens_the_app_on_its_date(tiny_tree):
    del tiny_tree["apps"]["chat"]["launch"]
    tiny_tree["timeline"]["chat_launch"] = {"type": "launch", "app": "chat", "date": "2020-06-01"}
    rows = app_rows(sim.run(build(tiny_tree), seed=SEED), "chat")
    assert rows.loc[:"2020-05-31", "registered"].max() == 0
    assert rows.loc["2020-06-30", "registered"] > 0


def delist_world(tiny_tree: dict, share: float) -> dict:
    tree = quiet_world(tiny_tree)
    tree["apps"]["chat"]["launch"] = "2019-01-01"
    tree["apps"]["chat"]["installed_base"] = {"customers": 30000, "engaged_share": 0.6}
    tree["timeline"]["close_chat"] = {
        "type": "delist",
        "app": "chat",
        "date": "2020-07-01",
        "migrate_to": {"bank": share},
    }
    return tree


def test_delist_with_full_migration_loses_no_user(tiny_tree):
    result = sim.run(build(delist_world(tiny_tree, 1.0)), seed=SEED)
    suite, chat, bank = (app_rows(result, a) for a in ("suite", "chat", "bank"))
    assert suite.loc["2020-06-30", "registered"] == suite.loc["2020-07-01", "registered"]
    before = chat.loc["2020-06-30", "registered"]
    assert chat.loc["2020-07-01", "registered"] == 0
    assert chat.loc["2020-07-01", "new_migrated_out"] == before
    assert chat.loc["2020-07-01", "new_left"] == 0
    gained = bank.loc["2020-07-01", "registered"] - bank.loc["2020-06-30", "registered"]
    assert gained == bank.loc["2020-07-01", "new_migrated_in"] > 0


def test_delist_into_an_app_launched_the_same_day_moves_its_users(tiny_tree):
    """The launch runs first whatever the events' names (they used to run in name order,
    and users moved to an app not yet live were lost)."""
    tree = delist_world(tiny_tree, 1.0)
    tree["apps"]["neo"] = {**tree["apps"]["bank"], "segments": ["young", "old"]}
    del tree["apps"]["neo"]["launch"], tree["apps"]["neo"]["installed_base"]
    tree["timeline"]["close_chat"]["migrate_to"] = {"neo": 1.0}
    tree["timeline"]["z_open_neo"] = {"type": "launch", "app": "neo", "date": "2020-07-01"}
    result = sim.run(build(tree), seed=SEED)
    chat, neo = app_rows(result, "chat"), app_rows(result, "neo")
    moved = chat.loc["2020-07-01", "new_migrated_out"]
    assert moved == chat.loc["2020-06-30", "registered"] > 0
    assert neo.loc["2020-07-01", "new_migrated_in"] == moved
    assert chat.loc["2020-07-01", "new_left"] == 0


def test_delist_without_migration_loses_everyone(tiny_tree):
    result = sim.run(build(delist_world(tiny_tree, 0.0)), seed=SEED)
    chat = app_rows(result, "chat")
    assert chat.loc["2020-07-01", "new_left"] == chat.loc["2020-06-30", "registered"] > 0
    assert chat.loc["2020-07-01":, "dau"].max() == 0


def test_partial_migration_moves_its_share(tiny_tree):
    result = sim.run(build(delist_world(tiny_tree, 0.4)), seed=SEED)
    chat = app_rows(result, "chat")
    moved = chat.loc["2020-07-01", "new_migrated_out"]
    total = chat.loc["2020-06-30", "registered"]
    assert moved / total == pytest.approx(0.4, abs=0.03)  # 3,000 agents: sd ~ 0.009


def test_an_app_launched_again_after_its_delisting_starts_afresh(tiny_tree, monkeypatch):
    """A delisted app gives its arrays back; a later launch makes them again: it registers
    new users (none of its former ones, who are gone), and both kernels agree."""
    tree = tiny_tree
    del tree["apps"]["chat"]["launch"]
    tree["timeline"] |= {
        "open_chat": {"type": "launch", "app": "chat", "date": "2020-03-01"},
        "close_chat": {
            "type": "delist",
            "app": "chat",
            "date": "2020-07-01",
            "migrate_to": {"bank": 0.5},
        },
        "reopen_chat": {"type": "launch", "app": "chat", "date": "2020-09-01"},
    }
    hashes = set()
    for kernels in ("numba", "numpy"):
        monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", kernels == "numpy")
        result = sim.run(build(tree), seed=SEED)
        chat = app_rows(result, "chat")
        assert chat.loc["2020-07-01":"2020-08-31", "registered"].max() == 0
        assert chat.loc["2020-12-31", "registered"] > 0
        assert chat.loc["2020-12-31", "dau"] > 0
        check_invariants(result, 240000)
        hashes.add(result.output_hash())
    assert len(hashes) == 1


def test_merge_moves_users_and_changes_the_target(tiny_tree):
    tree = delist_world(tiny_tree, 1.0)
    del tree["timeline"]["close_chat"]
    flat = {"activity_mean": 0.05, "activity_concentration": 1e4}  # no saturation at x2
    tree["apps"]["chat"]["engagement"] = tree["apps"]["bank"]["engagement"] = flat
    tree["timeline"]["merge_chat"] = {
        "type": "merge",
        "app": "chat",
        "into": "bank",
        "date": "2020-07-01",
        "migrate_share": 1.0,
        "activity_multiplier": 2.0,
    }
    result = sim.run(build(tree), seed=SEED)
    bank = app_rows(result, "bank")
    before = (bank["dau"] / bank["engaged"]).loc["2020-06-01":"2020-06-30"].mean()
    after = (bank["dau"] / bank["engaged"]).loc["2020-07-02":"2020-08-01"].mean()
    assert after / before == pytest.approx(2.0, rel=0.1)
    assert app_rows(result, "chat").loc["2020-07-01", "registered"] == 0


def test_release_boost_decays_with_its_half_life(tiny_tree):
    tree = quiet_world(tiny_tree)
    tree["apps"]["bank"]["installed_base"]["engaged_share"] = 1.0
    tree["apps"]["bank"]["engagement"] = {"activity_mean": 0.05, "activity_concentration": 1e4}
    plain = sim.run(build(tree), seed=SEED)
    tree["timeline"]["v2"] = {
        "type": "release",
        "app": "bank",
        "date": "2020-06-01",
        "activity_boost": 2.0,
        "half_life_days": 30,
    }
    boosted = sim.run(build(tree), seed=SEED)
    a, b = app_rows(plain, "bank"), app_rows(boosted, "bank")
    pd.testing.assert_series_equal(a.loc[:"2020-05-31", "dau"], b.loc[:"2020-05-31", "dau"])
    first_week = (b["dau"] / a["dau"]).loc["2020-06-01":"2020-06-07"].mean()
    month_later = (b["dau"] / a["dau"]).loc["2020-07-01":"2020-07-07"].mean()
    assert first_week == pytest.approx(1 + 0.5 ** (3 / 30), rel=0.08)
    assert month_later == pytest.approx(1 + 0.5 ** (33 / 30), rel=0.08)


def test_release_cadence_dates():
    from sim.engine.levers import release_dates
    from sim.scenario.schema import ReleaseCadenceEvent

    def dates(every):
        ev = ReleaseCadenceEvent(type="release_cadence", app="x", start="2017-01-15", every=every)
        return release_dates(ev, pd.Timestamp("2017-12-31").date())

    assert len(dates("monthly")) == 12
    assert [d.month for d in dates("quarterly")] == [1, 4, 7, 10]
    assert len(dates(30)) == 12
    assert dates("monthly")[1] == pd.Timestamp("2017-02-15").date()


def test_monthly_cadence_reactivates_more_than_quarterly(tiny_tree):
    def reactivated(every):
        tree = quiet_world(tiny_tree)
        tree["apps"]["bank"]["lapse"]["reactivation_hazard_per_day"] = 0.0005
        tree["apps"]["bank"]["installed_base"]["engaged_share"] = 0.2
        tree["timeline"]["cadence"] = {
            "type": "release_cadence",
            "app": "bank",
            "start": "2020-01-15",
            "every": every,
            "reactivation_boost": 4.0,
            "half_life_days": 10,
        }
        return app_rows(sim.run(build(tree), seed=SEED), "bank")["new_reactivated"].sum()

    # mean multiplier 1 + 3 x (10 / ln 2) / 30.4 = 2.42 monthly, 1.48 quarterly: ratio ~1.6
    assert reactivated("monthly") / reactivated("quarterly") == pytest.approx(1.6, rel=0.1)


def test_campaign_raises_acquisition_only_in_its_window(tiny_tree):
    plain = sim.run(build(tiny_tree), seed=SEED)
    tiny_tree["timeline"]["push"] = {
        "type": "campaign",
        "app": "bank",
        "start": "2020-04-01",
        "end": "2020-04-30",
        "acquisition_multiplier": 3.0,
    }
    pushed = sim.run(build(tiny_tree), seed=SEED)
    a, b = app_rows(plain, "bank"), app_rows(pushed, "bank")
    pd.testing.assert_series_equal(
        a.loc[:"2020-03-31", "new_registered"], b.loc[:"2020-03-31", "new_registered"]
    )
    ratio = b.loc["2020-04", "new_registered"].sum() / a.loc["2020-04", "new_registered"].sum()
    assert ratio == pytest.approx(3.0, rel=0.15)


def test_edition_changes_only_its_segments(tiny_tree):
    tiny_tree["timeline"]["no_old"] = {
        "type": "edition",
        "app": "bank",
        "date": "2020-01-01",
        "segments": ["old"],
        "acquisition_multiplier": 0.0,
    }
    eng = Engine(build(tiny_tree), seed=SEED)
    eng.run()
    bank = eng.app["bank"]
    old, young = eng.pop.segment_names.index("old"), eng.pop.segment_names.index("young")
    installed = 2000  # installed base in agents, spread over segments by pool size
    assert bank.registered_count[old] < installed * 0.6
    assert bank.registered_count[young] > installed


def test_channel_brings_its_daily_volume(tiny_tree):
    tree = quiet_world(tiny_tree)
    tree["timeline"]["partners"] = {
        "type": "channel",
        "app": "bank",
        "start": "2020-03-01",
        "end": "2020-03-31",
        "customers_per_day": 500,
    }
    rows = app_rows(sim.run(build(tree), seed=SEED), "bank")
    total = rows["new_registered"].sum()
    expected = 500 * 31
    assert abs(total - expected) < 4 * np.sqrt(expected / 10) * 10  # Poisson in agents x scale
    assert rows.loc[:"2020-02-29", "new_registered"].sum() == 0
