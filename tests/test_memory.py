"""The memory guard: a run that would not fit is refused before it allocates, with its
estimate and the finest scale that fits; the pilot's estimate covers what a run uses."""

from __future__ import annotations

import re

import pytest

import sim
from sim import memory
from sim.cli import main
from sim.engine import Engine

from .conftest import ROOT, TINY


def _peak_array_bytes(scenario, scale: float) -> tuple[int, int]:
    """A run's agents and the peak of its arrays, summed as the pilot sums them."""
    engine = Engine(scenario, seed=3, scale=scale)
    peak = 0

    def sample(day: int) -> None:
        nonlocal peak
        if day % 30 == 0:
            peak = max(peak, memory.array_bytes(engine))

    engine.run(sample)
    return engine.pop.n_agents, peak


@pytest.mark.parametrize(
    ("path", "scale"), [(TINY, 1.0), (ROOT / "scenarios/baseline.yaml", 2000.0)]
)
def test_pilot_estimate_covers_a_finer_run(path, scale):
    """Measured on ~100,000 agents, the estimate still covers a run with 2.4x (tiny) and
    3.4x (baseline) as many, and is well below the bound from the dtypes."""
    scenario = sim.load_scenario(path)
    per_agent = memory.measured_bytes_per_agent(scenario) * memory.PILOT_HEADROOM
    agents, peak = _peak_array_bytes(scenario, scale)
    tables = memory.fixed_bytes(scenario) - memory.INTERPRETER_BYTES
    estimate = agents * per_agent + tables
    assert (
        peak <= estimate < 0.8 * (memory.estimate_bytes(scenario, scale) - memory.INTERPRETER_BYTES)
    )
    assert estimate < 1.5 * peak  # and not far above it


def test_run_that_does_not_fit_is_refused_with_a_scale_that_fits(tmp_path, capsys, monkeypatch):
    scenario = sim.load_scenario(TINY)
    room = 60_000 * 200  # bytes for about 60,000 agents: the tiny world at 1:4 or so
    have = (memory.fixed_bytes(scenario) + room) / memory.BUDGET_SHARE
    monkeypatch.setattr(memory, "available_bytes", lambda: int(have))
    out = tmp_path / "out"
    code = main(["run", str(TINY), "--scale", "1", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    found = re.search(
        r"at scale 1 needs about ([\d.]+) GiB, more than the ([\d.]+) GiB a run may use "
        r"\(90% of the [\d.]+ GiB available\); use --scale (\d+) or coarser",
        err,
    )
    assert found, err
    assert "Traceback" not in err and not out.exists()
    finest = int(found.group(3))
    assert finest > 1
    memory.check_memory(scenario, finest)  # fits: no error
    with pytest.raises(sim.UsageError):
        memory.check_memory(scenario, finest - 1)


def test_no_scale_fits_when_the_fixed_tables_do_not(monkeypatch):
    scenario = sim.load_scenario(TINY)
    monkeypatch.setattr(memory, "available_bytes", lambda: memory.INTERPRETER_BYTES // 2)
    with pytest.raises(sim.UsageError, match="no scale fits"):
        memory.check_memory(scenario, 1.0)


def test_array_bytes_counts_views_once():
    import numpy as np

    base = np.zeros(1000, np.int64)
    owner = {"a": base, "b": base[10:], "c": [base.view(np.int32), np.ones(10, np.uint8)]}
    assert memory.array_bytes(owner) == 8000 + 10


def _room_for(scenario, scale: float, runs: float) -> int:
    """Memory available for `runs` runs of the pilot's estimate."""
    per_agent = memory.measured_bytes_per_agent(scenario) * memory.PILOT_HEADROOM
    need = memory.n_agents(scenario, scale) * per_agent + memory.fixed_bytes(scenario)
    return int(need * runs / memory.BUDGET_SHARE)


def test_runs_at_once_share_the_memory(monkeypatch):
    """Memory for 1.5 baseline runs at 1:100: one fits, two at once do not (the advice is
    a coarser scale or fewer workers), two at 1:400 do."""
    scenario = sim.load_scenario(ROOT / "scenarios/baseline.yaml")
    have = _room_for(scenario, 100.0, 1.5)
    monkeypatch.setattr(memory, "available_bytes", lambda: have)
    memory.check_runs_at_once([(scenario, 100.0), (scenario, 1000.0)], 1)
    memory.check_memory(scenario, 100.0)
    with pytest.raises(sim.UsageError) as refused:
        memory.check_runs_at_once([(scenario, 1000.0), (scenario, 100.0)], 2)
    found = re.search(
        r"shared by 2 runs at once\); use --scale (\d+) or coarser \(or fewer "
        r"workers\)",
        str(refused.value),
    )
    assert found, refused.value
    assert 100 < int(found.group(1)) < 400
    memory.check_runs_at_once([(scenario, int(found.group(1)))] * 2, 2)


def test_compare_with_workers_that_would_not_fit_is_refused_before_it_starts(
    tmp_path, capsys, monkeypatch
):
    scenario = sim.load_scenario(TINY)
    monkeypatch.setattr(memory, "available_bytes", lambda: _room_for(scenario, 1.0, 1.5))
    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {TINY}\nname: other\n")
    out = tmp_path / "out"
    args = ["compare", str(TINY), str(other), "--reps", "2", "--scale", "1", "--out", str(out)]
    code = main([*args, "--workers", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "shared by 2 runs at once" in err and "Traceback" not in err, err
    assert not out.exists()


def test_sweep_on_a_local_cluster_that_would_not_fit_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: int(memory.INTERPRETER_BYTES * 1.5))
    spec = ROOT / "tests" / "scenarios" / "sweep-tiny.yaml"
    store, out = tmp_path / "store", tmp_path / "out"
    code = main(["sweep", str(spec), "--workers", "2", "--store", str(store), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "shared by 2 runs at once" in err and "Traceback" not in err, err
    assert not out.exists() and not list(store.glob("*.parquet"))
