"""Every compiled loop agrees with its numpy twin: one list of the pairs, one test over it.

Each case calls a public function of the engine twice on the same inputs, once with the
compiled loops and once with `NUMPY_ONLY` (what `APPSIM_KERNELS=numpy` sets), and compares
what it returns and every array it changed. Each case names the compiled functions it
exercises; `test_every_compiled_function_has_a_twin_case` fails when a new compiled loop
is added without a case here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import sim
import sim.engine.compiled
import sim.engine.fast  # imports every engine module, so every kernel is registered
from sim.engine import draws
from sim.engine.activity import activity_step
from sim.engine.column_scans import count_masks, count_state_masks, positions_of
from sim.engine.kernels.records import ActivityBooks, Rows
from sim.engine.population import build_population
from sim.engine.propensity import PropensityTables
from sim.engine.scatter import count_up, gather
from sim.engine.sets import IndexedSet, SegmentSets
from sim.model.calendar import Calendar
from sim.model.encodings import ABSENT, NO_DAY, PAST, SOLO
from sim.model.streams import Streams

from ..conftest import _TINY_TREE, build

numba = pytest.importorskip("numba")


@dataclass(frozen=True)
class Twin:
    name: str
    kernels: tuple[str, ...]  # what the compiled side runs (`sim.engine.compiled.COMPILED`)
    case: Callable[[np.random.Generator], Any]  # returns what to compare


def _scatter(rng):
    values = rng.integers(0, 1000, 50_000).astype(np.int16)
    ids = rng.choice(50_000, 7_000, replace=False).astype(np.int32)
    counts = rng.integers(0, 3, 50_000).astype(np.int32)
    return gather(values, ids), count_up(counts, ids), counts


def _column_scans(rng):
    days = rng.integers(0, 40, 20_001).astype(np.int16)
    masks = rng.integers(0, 1 << 5, 30_000).astype(np.uint16)
    states = [rng.integers(0, 5, 30_000).astype(np.uint8) for _ in range(3)]
    return positions_of(days, 17), count_masks(masks, 5), count_state_masks(states, 2, 3)


def _population(rng):
    scenario = sim.load_scenario("tests/scenarios/tiny.yaml")
    cal = Calendar(scenario.horizon.start, scenario.horizon.end)
    pop = build_population(scenario.population, cal, 20.0, Streams(int(rng.integers(1000))))
    return pop.segment, pop.eligible_day, pop.day_start


def _propensity(rng):
    tables = PropensityTables(np.array([2.0, 0.5]), np.array([8.0, 3.0]), [0, 1])
    return tables.quantiles(rng.random(20_000), rng.integers(0, 2, 20_000))


def _draws(rng):
    """numpy's samplers and the compiled ones, drawn from a Stream in turn (and the state
    they leave, by a numpy draw after them), with edge cases: p of 1 and of 0, n of 0."""
    stream = Streams(int(rng.integers(1000))).daily(int(rng.integers(2557)), "draws")
    p = np.concatenate([rng.random(300) ** 3, [1.0, 0.5, 1e-9]])
    n = np.concatenate([rng.integers(0, 10**6, 300), [0, 7, 10**7]])
    return (
        draws.geometric(stream, np.maximum(p, 1e-12)),
        draws.binomial(stream, n, p),
        draws.binomial(stream, n[::-1].copy(), np.zeros(len(n))),
        draws.uniforms(stream, 77),
        stream.random(5),
    )


def _removal(rng):
    slot = np.full(2_000, ABSENT, np.int32)
    members = IndexedSet(slot, columns={"mod7": np.int16})
    ids = rng.permutation(2_000)[:1_200].astype(np.int32)
    members.add(ids, mod7=ids % 7)
    members.remove(rng.permutation(ids)[:500])
    return members.members(), members.column("mod7"), slot


def _segment_sets(rng):
    slot = np.full(10_000, ABSENT, np.int32)
    segs = rng.integers(0, 3, 10_000).astype(np.uint8)
    state = np.zeros(10_000, np.uint8)
    sets = SegmentSets(slot, [0, 2])
    admitted = sets.add_run(range(0, 6_000), segs, state, 0, 1)
    later = np.arange(6_000, 10_000, dtype=np.int32)
    later = later[segs[later] != 1]
    added = sets.add(later, segs[later])
    taken, taken_segs = sets.take(rng, np.array([900, 40]))
    return admitted, added, taken, taken_segs, slot, state, [s.members() for s in sets.sets]


def _activity(rng):
    n_agents, n = 40_000, 12_003
    ids = rng.choice(n_agents, n, replace=False).astype(np.int32)
    rows = Rows(
        ids=ids,
        threshold=rng.integers(0, 65536, n).astype(np.uint16),
        last=rng.choice(np.array([NO_DAY, 3, 150, 195], np.int16), n),
        reg=rng.integers(0, 15, n).astype(np.int16) | rng.choice(np.array([0, SOLO], np.int16), n),
        segment=rng.integers(0, 3, n).astype(np.uint8),
        due=np.zeros(n, np.int16),
    )
    hist = np.bincount(rows.last + PAST, minlength=400 + PAST).astype(np.int64)
    suite_last = np.full(n_agents, NO_DAY, np.int16)
    suite_last[ids] = rows.last
    books = ActivityBooks(
        hist=hist,
        cohort=np.zeros(15, np.int64),
        month_mask=rng.choice(np.array([0, 2, 5], np.uint16), n_agents),
        overlap=np.zeros((4, 4), np.int64),
        app=3,
        suite_last=suite_last,
        suite_hist=hist.copy(),
        out=np.empty(n, np.int32),
    )
    multipliers = np.array([1.0, 1.7, 0.4])
    active, counts = activity_step(rows, int(rng.integers(2**63)), multipliers, 200, 190, books)
    return active.copy(), counts, rows, books._replace(out=None)  # the numpy step returns its own


def _whole_run(rng):
    """The transitions (registration, engagement, lapses) and the suite's book are exercised
    by a run: the tiny suite with adoption, lapses, reactivation, referrals, a segment
    edition (multipliers other than 1) and a delisting with migration."""
    tree = copy.deepcopy(_TINY_TREE)
    tree["timeline"]["senior_edition"] = {
        "type": "edition",
        "app": "bank",
        "date": "2020-03-01",
        "segments": ["old"],
        "activity_multiplier": 0.6,
        "source": "assumption (test)",
    }
    tree["timeline"]["retire_chat"] = {
        "type": "delist",
        "app": "chat",
        "date": "2020-09-01",
        "migrate_to": {"bank": 0.5},
    }
    return sim.run(build(tree), seed=int(rng.integers(1000)), scale=20).output_hash()


TRANSITIONS = "sim.engine.kernels.transitions."
SUITE = "sim.engine.kernels.suite_book."
ACTIVITY = "sim.engine.kernels.activity."
TWINS = [
    Twin("scatter", ("sim.engine.kernels.scatter.gather", "sim.engine.kernels.scatter.count_up"),
         _scatter),
    Twin("column scans", tuple(f"sim.engine.kernels.column_scans.{k}" for k in (
        "positions_of", "equal_masks", "read_masks", "count_masks", "count_state_masks")),
         _column_scans),
    Twin("population", ("sim.engine.kernels.population.sort_by_day",), _population),
    Twin("propensity", ("sim.engine.kernels.propensity.bulk",), _propensity),
    Twin("draws", tuple(f"sim.engine.kernels.draws.{k}" for k in (
        "geometric", "binomial", "uniforms")), _draws),
    Twin("set removal", ("sim.engine.kernels.sets.plan_removal",), _removal),
    Twin("segment sets", tuple(f"sim.engine.kernels.sets.{k}" for k in (
        "count_run", "fill_run", "count_by_index", "add_by_index", "take_by_index", "pick")),
         _segment_sets),
    Twin("activity step", (*(ACTIVITY + k for k in (
        "loop", "select", "draw_words", "hit_masks", "scaled_limits", "record_members", "mask",
        "suite")), "sim.model.streams.splitmix", "sim.engine.kernels.column_scans.read_masks"),
         _activity),
    Twin("a whole run", (*(TRANSITIONS + k for k in (
        "register", "engage", "put_engaged", "prefetch_agent", "lapse_rows", "leave_rows",
        "fill_holes")), "sim.model.encodings.activity_threshold", *(SUITE + k for k in (
        "join_suite", "leave_suite", "ahead_suite", "settle", "other_app"))),
         _whole_run),
]  # fmt: skip


def test_every_compiled_function_has_a_twin_case():
    covered = {k for twin in TWINS for k in twin.kernels}
    registered = set(sim.engine.compiled.COMPILED)
    assert registered - covered == set(), "compiled functions without a twin case"
    assert covered - registered == set(), "cases naming compiled functions that do not exist"


@pytest.mark.parametrize("twin", TWINS, ids=lambda t: t.name)
def test_compiled_and_numpy_twins_agree(twin, monkeypatch):
    compiled = twin.case(np.random.default_rng(7))
    monkeypatch.setattr(sim.engine.compiled, "NUMPY_ONLY", True)
    plain = twin.case(np.random.default_rng(7))
    np.testing.assert_equal(_plain(compiled), _plain(plain))


def _plain(value: Any) -> Any:
    """Records and dataclasses as tuples and dicts, for numpy's comparison."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value
