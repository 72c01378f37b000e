"""Each mechanism of the model against what it should produce on its own."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import sim
import sim.engine.compiled
from sim.engine import transitions as tr
from sim.engine.app_state import AppState
from sim.engine.population import agents_per_day, build_population
from sim.model.calendar import Calendar
from sim.model.encodings import ENGAGED, LAPSED
from sim.model.params import SegmentParams
from sim.model.streams import Streams

from ..conftest import build
from .test_engine import SEED, app_rows, quiet_world


def test_population_grows_along_the_base_series(tiny_tree):
    sc = build(tiny_tree)
    cal = Calendar(sc.horizon.start, sc.horizon.end)
    counts = agents_per_day(sc.population, cal, 10)
    assert counts[0] == 20000 and counts[-1] == 24000
    assert counts[182] == pytest.approx(20000 + 4000 * 182 / 365, abs=1)


def test_segments_and_smartphone_curves(tiny_tree):
    sc = build(tiny_tree)
    cal = Calendar(sc.horizon.start, sc.horizon.end)
    pop = build_population(sc.population, cal, 1, Streams(SEED))
    old = pop.segment_names.index("old")
    share_old = np.mean(pop.segment == old)
    assert share_old == pytest.approx(0.4, abs=0.01)
    # old: ceiling 0.8, midpoint 2020-06-01, width 120 days -> on 2020-06-01, 0.4 eligible
    # (among those who had joined by then: eligible is the later of joining and going
    # mobile, drawn independently, so divide by the share joined, known from the base)
    mid = cal.day(dt.date(2020, 6, 1))
    joined_share = agents_per_day(sc.population, cal, 1)[mid] / pop.n_agents
    eligible = np.mean(pop.eligible_day[pop.segment == old] <= mid) / joined_share
    assert eligible == pytest.approx(0.8 / 2, abs=0.015)


@pytest.mark.parametrize("n", [0, 1, 70_000, 200_003])
def test_renumbering_by_eligibility_day_compiled_equals_numpy(monkeypatch, n):
    """The compiled counting sort by eligibility day gives the numpy sort's agents (stable:
    ties keep their order of joining), days and first id of each day, past-horizon days too;
    and a block-by-block draw of the population is the same as one draw."""
    pytest.importorskip("numba")
    from sim.engine import population

    rng = np.random.default_rng(SEED)
    eligible = rng.integers(0, 40, n).astype(np.int32)
    eligible[rng.random(n) < 0.1] = population.NEVER
    segment = rng.integers(0, 5, n).astype(np.uint8)
    compiled = population._by_day(segment, eligible, 30)
    monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", True)
    plain = population._by_day(segment, eligible, 30)
    for mine, theirs in zip(compiled, plain, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert np.all(np.diff(np.minimum(plain[1], 30)) >= 0) and plain[2][-1] == np.count_nonzero(
        eligible < 30
    )
    blocks = [u.copy() for _, u in population._uniform_blocks(Streams(1).get("x"), n)]
    np.testing.assert_array_equal(np.concatenate([[], *blocks]), Streams(1).get("x").random(n))


def test_installed_base_and_never_active_share(tiny_tree):
    tree = quiet_world(tiny_tree)
    tree["apps"]["chat"]["adoption"].update(p_per_year=2.0, never_active_share=0.3)
    result = sim.run(build(tree), seed=SEED)
    bank, chat = app_rows(result, "bank"), app_rows(result, "chat")
    assert bank["registered"].iloc[0] == 20000
    assert bank["engaged"].iloc[0] / 20000 == pytest.approx(0.5, abs=0.02)
    share = chat["engaged"].iloc[-1] / chat["registered"].iloc[-1]
    assert share == pytest.approx(0.7, abs=0.02)


def test_lapse_and_reactivation_approach_their_equilibrium(tiny_tree):
    """Constant hazards h (lapse) and r (return): the engaged share of registered users goes
    from 1 to r / (r + h) as exp(-(r + h) t)."""
    tree = quiet_world(tiny_tree)
    h, r = 0.01, 0.02
    bank = tree["apps"]["bank"]
    bank["installed_base"]["engaged_share"] = 1.0
    bank["lapse"] = {
        "hazard_per_day": h,
        "propensity_exponent": 0.0,
        "reactivation_hazard_per_day": r,
    }
    rows = app_rows(sim.run(build(tree), seed=SEED, scale=1), "bank")
    share = (rows["engaged"] / rows["registered"]).to_numpy()
    t = np.arange(len(share))
    # each day lapses come first, then returns (which may include today's lapses):
    # e' = e (1 - h)(1 - r) + r, a two-state chain with e* = r / (1 - (1 - h)(1 - r))
    keep = (1 - h) * (1 - r)
    eq = r / (1 - keep)
    expected = eq + (1 - eq) * keep**t
    np.testing.assert_allclose(share, expected, atol=0.012)  # 20,000 users: sd < 0.004
    assert share[200:].mean() == pytest.approx(eq, abs=0.005)  # sd of this mean ~0.0015


def test_lapse_falls_with_propensity(tiny_tree):
    """With an exponent, heavy users lapse less: the engaged keep a higher mean activity than
    the registered draw (survivor bias), and more so with a larger exponent."""

    def dau_per_engaged(exponent):
        tree = quiet_world(tiny_tree)
        bank = tree["apps"]["bank"]
        bank["installed_base"]["engaged_share"] = 1.0
        bank["lapse"] = {
            "hazard_per_day": 0.01,
            "propensity_exponent": exponent,
            "reactivation_hazard_per_day": 0.0,
        }
        rows = app_rows(sim.run(build(tree), seed=SEED, scale=1), "bank")
        # from ~15,000 engaged in March to ~1,000 in December: sd of the mean share < 0.005
        return (rows["dau"] / rows["engaged"]).loc["2020-03-01":].mean()

    assert dau_per_engaged(0.0) == pytest.approx(0.2, rel=0.05)
    assert dau_per_engaged(5.0) > 0.3


def test_heterogeneous_activity_lowers_mau_for_the_same_dau(tiny_tree):
    """Same mean propensity: a dispersed Beta gives about the same DAU but a lower MAU than
    a constant one (E[1 - (1 - p)^30] is concave in p)."""

    def ratios(concentration):
        tree = quiet_world(tiny_tree)
        tree["apps"]["bank"]["installed_base"]["engaged_share"] = 1.0
        tree["apps"]["bank"]["engagement"] = {
            "activity_mean": 0.1,
            "activity_concentration": concentration,
        }
        # 20,000 users: the sample mean of p is within ~2% of 0.1 (sd 0.3 / sqrt(20,000))
        rows = app_rows(sim.run(build(tree), seed=SEED, scale=1), "bank").loc["2020-03-01":]
        return (rows["dau"] / rows["engaged"]).mean(), (rows["mau"] / rows["engaged"]).mean()

    dau_flat, mau_flat = ratios(1e4)
    dau_wide, mau_wide = ratios(1.0)
    rng = np.random.default_rng(0)
    p = rng.beta(0.1, 0.9, 400_000)
    assert dau_wide == pytest.approx(dau_flat, rel=0.06)
    assert mau_flat == pytest.approx(1 - 0.9**30, rel=0.02)
    assert mau_wide == pytest.approx(np.mean(1 - (1 - p) ** 30), rel=0.03)


def test_referral_registers_a_share_of_active_users(tiny_tree):
    """Each active day in bank refers with probability 0.002; a referral of someone already
    in chat is lost. With uniform activity, the share lost is chat's share of bank's users."""
    tree = quiet_world(tiny_tree)
    tree["apps"]["chat"]["segments"] = "all"
    tree["apps"]["chat"]["referral_from"] = {"bank": 0.002}
    tree["apps"]["bank"]["engagement"] = {"activity_mean": 0.2, "activity_concentration": 1e4}
    result = sim.run(build(tree), seed=SEED, scale=2)
    bank, chat = app_rows(result, "bank"), app_rows(result, "chat")
    window = slice("2020-03-01", "2020-12-31")
    not_in_chat = 1 - chat["registered"].shift(1, fill_value=0) / bank["registered"]
    expected = (0.002 * bank["dau"] * not_in_chat).loc[window].sum()
    got = chat.loc[window, "new_registered"].sum()
    assert got == pytest.approx(expected, rel=0.06)  # ~650 referrals in agents: sd ~4%


@pytest.mark.parametrize("lapsing", ["scattered", "tail", "head", "all"])
def test_compiled_lapse_equals_numpy(monkeypatch, lapsing):
    """Both lapse paths leave the same engaged rows (every column), dormant sets, states,
    slots and last active days, whether the lapsing rows lie below the new size, in the
    tail or are every row."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(len(lapsing))
    ids = rng.permutation(1000)[:600].astype(np.int32)
    segs = np.where(np.arange(600) % 3 == 0, 2, 0).astype(np.uint8)
    rows = np.arange(600)
    due = {
        "scattered": np.where(rng.random(600) < 0.2, 5, 9),
        "tail": np.where((rows >= 550) | (rows % 97 == 0), 5, 9),
        "head": np.where(rows < 100, 5, 9),
        "all": np.full(600, 5),
    }[lapsing].astype(np.int16)
    params = dict.fromkeys([0, 2], SegmentParams(0.1, 0.1, 1, 0, 0.1, 2, 0.01, 0, 0.01))
    outcomes = []
    for kernels in ("numba", "numpy"):
        monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", kernels == "numpy")
        app = AppState("bank", 0, True, params, 1000, 3)
        app.state[ids] = ENGAGED
        app.engaged.add(
            ids, threshold=ids % 65536, last=-(ids % 40), reg=ids % 7, segment=segs, due=due
        )
        assert tr.lapse_due(app, 5) == np.count_nonzero(due == 5)
        engaged = app.engaged
        np.testing.assert_array_equal(app.slot[engaged.members()], np.arange(len(engaged)))
        np.testing.assert_array_equal(engaged.column("reg"), engaged.members() % 7)
        np.testing.assert_array_equal(engaged.column("due"), 9)
        gone = ids[due == 5]
        assert (app.state[gone] == LAPSED).all()
        np.testing.assert_array_equal(app.last_active[gone], -(gone % 40))
        outcomes.append(
            [app.state, app.slot, app.last_active, *(c[: engaged.n] for c in engaged.cols.values())]
            + [engaged.members()]
            + [m.members() for m in app.lapsed.sets]
        )
    for a, b in zip(*outcomes, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dormant_share", [None, 0.0, 1.0])
def test_compiled_registration_equals_numpy(monkeypatch, dormant_share):
    """Both registration paths make the same draws and leave the same states, slots,
    propensities, registration months, engaged rows and dormant sets."""
    pytest.importorskip("numba")
    ids = np.random.default_rng(1).permutation(1000)[:600].astype(np.int32)
    segs = np.where(np.arange(600) % 3 == 0, 2, 0).astype(np.uint8)
    params = {
        0: SegmentParams(0.1, 0.1, 1, 0.3, 0.1, 2, 0.01, 1.0, 0.01),
        2: SegmentParams(0.1, 0.1, 1, 0.6, 0.3, 5, 0.02, 1.0, 0.01),
    }
    outcomes = []
    for kernels in ("numba", "numpy"):
        monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", kernels == "numpy")
        app = AppState("bank", 0, True, params, 1000, 3)
        app.last_active[ids[::7]] = -3
        rng = np.random.default_rng(5)
        engaged = tr.register(app, ids, segs, rng, 40, 7, dormant_share)
        np.testing.assert_array_equal(app.engaged.members(), engaged)
        np.testing.assert_array_equal(app.engaged.column("last"), app.last_active[engaged])
        assert (app.reg_month[ids] == 7).all()
        assert (app.engaged.column("due") > 40).all()
        assert len(app.engaged) + len(app.lapsed) == 600 == app.registered_count.sum()
        outcomes.append(
            [app.state, app.slot, app.propensity, app.reg_month, rng.random(3)]
            + [c[: app.engaged.n] for c in app.engaged.cols.values()]
            + [app.engaged.members()]
            + [m.members() for m in app.lapsed.sets]
        )
    for a, b in zip(*outcomes, strict=True):
        np.testing.assert_array_equal(a, b)
