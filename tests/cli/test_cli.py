"""The `appsim` command end to end, in real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.app import main

from ..conftest import ROOT, TINY


def appsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=600,
    )


def test_help_for_every_command():
    for command in ("run", "validate"):
        done = appsim(command, "--help")
        assert done.returncode == 0 and "usage:" in done.stdout


def test_validate_good_files():
    done = appsim("validate", str(TINY), "scenarios/baseline.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok:") == 2


def test_validate_bad_file_exit_2_with_location(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {TINY}\napps:\n  bank:\n    lapse:\n      hazard_per_dya: 0.1\n")
    done = appsim("validate", str(bad))
    assert done.returncode == 2
    assert f"{bad}:5: apps.bank.lapse.hazard_per_dya: unknown key" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_bad_file_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nhorizon: {start: 2020-01-01, end: 2019-01-01}\n")
    out = tmp_path / "out"
    done = appsim("run", str(bad), "--out", str(out))
    assert done.returncode == 2
    assert str(bad) in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_run_missing_file_and_bad_arguments(tmp_path):
    done = appsim("run", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2 and "no such file" in done.stderr
    done = appsim("run", str(TINY), "--seed", "-1")
    assert done.returncode == 2 and "--seed" in done.stderr


def test_run_writes_the_report(tmp_path):
    out = tmp_path / "report"
    done = appsim("run", str(TINY), "--seed", "3", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    for name in (
        "daily.parquet",
        "daily.csv",
        "monthly.csv",
        "summary.md",
        "report.html",
        "manifest.json",
    ):
        assert (out / name).stat().st_size > 0, name
    assert list(out.glob("figures/*.png"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["scenario"] == "tiny"
    daily = pd.read_parquet(out / "daily.parquet")
    assert set(daily["app"]) == {"bank", "chat", "suite", "suite_sum"}
    again = tmp_path / "again"
    appsim("run", str(TINY), "--seed", "3", "--out", str(again), "--quiet")
    assert (
        json.loads((again / "manifest.json").read_text())["output_hash"] == manifest["output_hash"]
    )


def _help(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines anywhere


def test_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]):
    compare = _help("compare", capsys)
    assert "replications (seeds 0..R-1) (default: 10)" in compare
    assert "(default: mau:suite_sum)" in compare and "(default: the scenario's)" in compare
    check = _help("check", capsys)
    assert "replications (seeds 0..N-1) (default: 10)" in check
    assert "(default: 1)" in _help("sweep", capsys)
    run = _help("run", capsys)
    assert "(default: 0)" in run and "(default: None)" not in run
    assert "(default: False)" not in run  # flags have no default to show


def test_help_and_validate_start_cheap_without_numba_or_pandas():
    """A cheap start: `--help` loads no pandas, `validate` no numba (each costs seconds on a
    cold disk, and a sweep's workers or a user's shell pay it every time)."""
    probe = (
        "import sys\n"
        "from sim.cli.app import main\n"
        "assert 'pandas' not in sys.modules, 'pandas at import'\n"
        f"assert main(['validate', {str(ROOT / 'scenarios/baseline.yaml')!r}]) == 0\n"
        "assert 'numba' not in sys.modules, 'numba in validate'\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
