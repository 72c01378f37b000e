"""The sweep's result store trusts nothing it reads: keys cover everything that shapes a
stored table, and a damaged, truncated or misplaced file is detected and recomputed."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.experiments import sweep as sw

from ..conftest import _TINY_TREE


def make_jobs(store: Path, date: str = "2020-12-31", seeds: int = 3) -> list[dict[str, Any]]:
    spec = sw.SweepSpec.model_validate(
        {
            "scenario": "tiny.yaml",
            "sampler": "grid",
            "samples": 1,
            "seeds": seeds,
            "scale": 20,
            "parameters": {"apps.bank.adoption.p_per_year": {"low": 0.2, "high": 0.3}},
            "outcomes": {
                "bank_registered": {"metric": "registered", "app": "bank", "date": date},
                "suite_mau": {"metric": "mau", "app": "suite_sum", "date": date},
            },
        }
    )
    return sw.jobs_for(spec, _TINY_TREE, sw.design(spec), store)


def outcomes(jobs: list[dict[str, Any]]) -> list[dict[str, float]]:
    return sw.run_jobs(jobs)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, list[dict[str, float]]]:
    store = tmp_path_factory.mktemp("clean")
    return store, outcomes(make_jobs(store))


def test_another_outcome_date_is_another_key(tmp_path):
    first = outcomes(make_jobs(tmp_path, "2020-06-15"))
    second = outcomes(make_jobs(tmp_path, "2020-07-15"))  # not a month end, not stored before
    for values in [*first, *second]:
        assert not any(math.isnan(v) for v in values.values())
    assert first != second


def test_truncated_file_is_recomputed(clean, tmp_path):
    store, want = clean
    shutil.copytree(store, tmp_path / "s")
    victim = sorted((tmp_path / "s").glob("*.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[:100])
    jobs = make_jobs(tmp_path / "s")
    assert outcomes(jobs) == want
    assert sum(not job["cached"] for job in jobs) == 1
    assert sw.read_stored(victim, victim.stem) is not None  # overwritten with a good one


def test_file_under_the_wrong_key_is_recomputed(clean, tmp_path):
    store, want = clean
    shutil.copytree(store, tmp_path / "s")
    a, b = sorted((tmp_path / "s").glob("*.parquet"))[:2]
    shutil.copyfile(a, b)  # a valid file, but another run's
    jobs = make_jobs(tmp_path / "s")
    assert outcomes(jobs) == want
    assert sum(not job["cached"] for job in jobs) == 1


damage = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, 3), st.floats(0, 0.999)),
    st.tuples(st.just("flip"), st.integers(0, 3), st.floats(0, 0.999)),
    st.tuples(st.just("swap"), st.integers(0, 3), st.integers(0, 3)),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(damage, min_size=1, max_size=3))
def test_random_damage_is_always_detected(clean, tmp_path_factory, harms):
    store, want = clean
    work = tmp_path_factory.mktemp("damaged")
    shutil.rmtree(work)
    shutil.copytree(store, work)
    files = sorted(work.glob("*.parquet"))
    original = {f.name: sw.read_stored(f, f.stem) for f in files}
    for kind, i, where in harms:
        victim = files[i % len(files)]
        data = bytearray(victim.read_bytes())
        if kind == "truncate":
            victim.write_bytes(data[: int(where * len(data))])
        elif kind == "flip":
            if data:  # (an emptied file has no byte to flip)
                data[int(where * len(data))] ^= 0xFF
                victim.write_bytes(bytes(data))
        elif (other := files[int(where) % len(files)]) != victim:  # exchange two files
            victim.write_bytes(other.read_bytes())
            other.write_bytes(bytes(data))
    jobs = make_jobs(work)
    got = outcomes(jobs)
    assert got == want
    for job in jobs:
        path = work / f"{job['key']}.parquet"
        table = sw.read_stored(path, job["key"])
        assert table is not None  # every file verifies afterwards
        if job["cached"]:  # read as it was: its content must be exactly the original
            expected = original[path.name]
            assert expected is not None and table.equals(expected)
