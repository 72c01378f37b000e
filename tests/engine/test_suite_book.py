"""The suite's book (`sim.engine.suite_book`): rows marked SOLO let most suite actives skip the
per-customer entry, and the suite's figures stay exactly what the entry alone would give."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest

import sim
import sim.engine.compiled
from sim.engine.fast import Engine
from sim.engine.suite_book import MAX_SUITE_APPS, NO_LINKS, SuiteBook
from sim.model.encodings import ALONE, ENGAGED, PAST, REG_MONTH, SOLO

from ..conftest import build


def _three_app_tree(tiny_tree: dict) -> dict:
    """The tiny world with a third suite app fed by referrals from both others, an app
    outside the suite fed by the third, and the second one delisted into the first and the
    third mid-year: customers join and leave one, two or three suite apps in every order."""
    tree = copy.deepcopy(tiny_tree)
    shop = {**tree["apps"]["chat"], "launch": "2020-02-01", "segments": ["young", "old"]}
    shop["referral_from"] = {"bank": 0.004, "chat": 0.004}
    tree["apps"]["shop"] = shop
    tree["apps"]["branch"] = {**shop, "suite": False, "referral_from": {"shop": 0.004}}
    tree["timeline"]["retire_chat"] = {
        "type": "delist",
        "app": "chat",
        "date": "2020-09-01",
        "migrate_to": {"bank": 0.5, "shop": 0.3},
    }
    return tree


def _flags(app) -> np.ndarray:
    return app.engaged.column("reg") & ~np.int16(REG_MONTH)


def _check_book(engine: Engine) -> None:
    """The invariants of `sim.engine.suite_book`, and the suite's last days and histogram
    against their definition: per customer, the latest last-active day in any listed suite app."""
    book, rec = engine.app["bank"].book, engine.rec
    suite_apps = [a for a in engine.apps if a.suite and a.live]
    for app in engine.apps:
        if app not in suite_apps and app.id in book.bit:  # delisted: its bit is clear
            assert not (book.engaged_in & (1 << int(book.bit[app.id]))).any(), app.id
        if app.id not in book.bit:  # outside the book: no row is marked
            assert not _flags(app).any(), app.id
    truth = np.full(engine.pop.n_agents, -PAST, np.int16)
    kept = rec.suite_last.copy()  # the entry, with SOLO rows' own days folded in
    for app in suite_apps:
        bit = 1 << int(book.bit[app.id])
        engaged = app.state == ENGAGED
        np.testing.assert_array_equal((book.engaged_in & bit) > 0, engaged, app.id)
        last = app.last_active.copy()
        last[app.engaged.members()] = app.engaged.column("last")
        np.maximum(truth, last, out=truth)
        flags = _flags(app)
        solo = app.engaged.members()[(flags & SOLO) > 0]
        assert (book.engaged_in[solo] == bit).all(), f"{app.id}: a SOLO row shares its customer"
        rows = app.engaged.column("last")
        alone = flags == ALONE
        synced = app.engaged.members()[alone]
        assert (rows[alone] >= rec.suite_last[synced]).all(), app.id
        pending = flags == SOLO
        assert (rows[pending] <= rec.suite_last[app.engaged.members()[pending]]).all(), app.id
        np.maximum.at(kept, solo, rows[(flags & SOLO) > 0])
    np.testing.assert_array_equal(kept, truth)
    expected = np.bincount(truth + PAST, minlength=rec.hist.shape[1])
    np.testing.assert_array_equal(rec.hist[-1][1:], expected[1:])  # bin 0, "never", unkept


def test_book_keeps_the_suite_exact_through_a_run(tiny_tree):
    """Every 10 days, and on the days around the delisting, of a three-app world."""
    pytest.importorskip("numba")
    engine = Engine(build(_three_app_tree(tiny_tree)), seed=3, scale=20)
    delisted = engine.cal.day(dt.date(2020, 9, 1))
    checked = []

    def check(day: int) -> None:
        if day % 10 == 0 or abs(day - delisted) <= 1:
            _check_book(engine)
            checked.append(day)

    engine.run(check)
    assert len(checked) > 36
    alone_rows = np.mean(_flags(engine.app["bank"]) == ALONE)
    assert alone_rows > 0.2, "the book should let most of the bank's actives skip the entry"


def test_book_changes_no_result(tiny_tree, monkeypatch):
    """The numpy twins mark no row: every active goes through the entry. Same hash."""
    pytest.importorskip("numba")
    scenario = build(_three_app_tree(tiny_tree))
    compiled = sim.run(scenario, seed=5, scale=20).output_hash()
    monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", True)
    assert sim.run(scenario, seed=5, scale=20).output_hash() == compiled


def test_more_suite_apps_than_bits_mark_no_row():
    """Past 8 suite apps the byte has no bit for each: the book keeps nothing, validly."""

    class App:
        suite = True

        def __init__(self, i: int):
            self.id = f"app{i}"

    apps = [App(i) for i in range(MAX_SUITE_APPS + 1)]
    book = SuiteBook(apps, 10)
    assert book.links(apps[0]) is NO_LINKS
    assert len(book.engaged_in) == 0
    assert SuiteBook(apps[:-1], 10).links(apps[0])[0] == 0
