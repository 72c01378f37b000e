"""Same scenario and seed, same output: repeated, serial or parallel; and a full disk."""

from __future__ import annotations

import errno
import json

import pandas as pd

import sim
from sim.cli.app import main
from sim.experiments.executor import run_many

from ..conftest import TINY


def test_output_hash_is_the_same_serial_and_parallel():
    scenario = sim.load_scenario(TINY)
    serial = [sim.run(scenario, seed=s) for s in range(3)]
    parallel = run_many(scenario, range(3), workers=2)
    assert [r.output_hash() for r in serial] == [r.output_hash() for r in parallel]
    assert len({r.output_hash() for r in serial}) == 3


def test_manifest_records_the_output_hash(tmp_path, capsys):
    assert main(["run", str(TINY), "--seed", "2", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["output_hash"] == sim.run(sim.load_scenario(TINY), seed=2).output_hash()


def test_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_space)
    out = tmp_path / "report"
    assert main(["run", str(TINY), "--out", str(out), "--quiet"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
