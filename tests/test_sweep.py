"""Sweeps: same numbers on every backend, resume from the store, a real Dask cluster."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from .conftest import HERE, ROOT

SPEC = HERE / "scenarios" / "sweep-tiny.yaml"
DASK = Path(sys.executable).parent / "dask"


def default_sigint() -> None:
    """Children of a background shell start with Ctrl-C ignored; a user's terminal does not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def sweep(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", "sweep", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def outcomes(folder: Path) -> pd.DataFrame:
    table = pd.read_parquet(folder / "runs.parquet")
    return table.sort_values(["point", "seed"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("serial")
    done = sweep(str(SPEC), "--store", str(base / "store"), "--out", str(base / "out"))
    assert done.returncode == 0, done.stderr
    return base / "out"


def test_serial_sweep_writes_table_indices_and_figures(serial):
    table = outcomes(serial)
    assert len(table) == 16 and not table[["suite_mau", "bank_registered"]].isna().any().any()
    indices = pd.read_csv(serial / "sensitivity.csv")
    mu = indices[indices["outcome"] == "bank_registered"].set_index("parameter")["value"]
    # chat's imitation rate cannot move bank's registrations (common random numbers)
    assert mu["apps.chat.adoption.q_per_year"] == 0
    assert mu["apps.bank.adoption.p_per_year"] > 0
    assert list((serial / "figures").glob("tornado_*.png"))


def test_local_cluster_gives_identical_results(serial, tmp_path):
    done = sweep(
        str(SPEC),
        "--workers",
        "2",
        "--store",
        str(tmp_path / "store"),
        "--out",
        str(tmp_path / "out"),
    )
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(outcomes(serial), outcomes(tmp_path / "out"))


def test_resume_computes_only_what_is_missing(serial, tmp_path):
    store = tmp_path / "store"
    assert sweep(str(SPEC), "--store", str(store), "--out", str(tmp_path / "a")).returncode == 0
    files = sorted(store.glob("*.parquet"))
    for lost in files[::2]:
        lost.unlink()
    done = sweep(str(SPEC), "--store", str(store), "--out", str(tmp_path / "b"))
    assert done.returncode == 0
    assert (
        f"({len(files[::2])} computed, {len(files) - len(files[::2])} from the store" in done.stdout
    )
    pd.testing.assert_frame_equal(outcomes(serial), outcomes(tmp_path / "b"))
    dataset = pd.read_parquet(store)  # the store is one queryable Parquet dataset
    assert dataset["run"].nunique() == len(files)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_real_cluster_survives_a_dead_worker(serial, tmp_path):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        time.sleep(3)
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard"],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        time.sleep(5)
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sim",
                "sweep",
                str(SPEC),
                "--scheduler",
                address,
                "--store",
                str(tmp_path / "store"),
                "--out",
                str(tmp_path / "out"),
            ],
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=default_sigint,
        )
        _wait_for_a_result(tmp_path / "store", run)  # runs are under way: now a worker dies
        assert run.poll() is None, "the sweep ended before a worker could be killed"
        procs[1].send_signal(signal.SIGKILL)
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]
        pd.testing.assert_frame_equal(outcomes(serial), outcomes(tmp_path / "out"))
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=30)


def _wait_for_a_result(store: Path, run: subprocess.Popen) -> None:
    """Until the sweep has stored its first run (it has 16, a fraction of a second each)."""
    deadline = time.monotonic() + 120
    while not list(store.glob("*.parquet")):
        assert run.poll() is None and time.monotonic() < deadline, "no run was stored"
        time.sleep(0.02)


def test_ctrl_c_then_resume(serial, tmp_path):
    store, out = tmp_path / "store", tmp_path / "out"
    run = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(SPEC), "--store", str(store), "--out", str(out)],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
    )
    _wait_for_a_result(store, run)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err[-2000:]
    assert not out.exists()
    kept = len(list(store.glob("*.parquet")))
    assert 0 < kept < 16
    assert not list(store.glob(".*.tmp"))  # no half-written result
    done = sweep(str(SPEC), "--store", str(store), "--out", str(out))
    assert f"({16 - kept} computed, {kept} from the store" in done.stdout
    pd.testing.assert_frame_equal(outcomes(serial), outcomes(out))


def test_sweep_summary_says_what_moves_each_outcome(serial):
    text = (serial / "summary.md").read_text()
    assert text.split("\n")[2:4] == ["## Summary", ""]
    assert "bank_registered is moved most by apps.bank.adoption.p_per_year (mu_star " in text
    assert "## Timeline" in text and "## Assumptions" in text  # the base scenario's
    assert "is moved most by" in (serial / "report.html").read_text()


def test_a_design_that_revisits_points_counts_each_distinct_run_once(tmp_path, capsys):
    """Morris trajectories revisit points: the 200 design points of tiny-morris-200 are
    fewer distinct runs, each computed once and reported as such (not "200 computed")."""
    import json

    from sim.cli.app import main

    spec = ROOT / "scenarios" / "sweeps" / "tiny-morris-200.yaml"
    store, out = tmp_path / "store", tmp_path / "out"
    assert main(["sweep", str(spec), "--store", str(store), "--out", str(out)]) == 0
    stored = len(list(store.glob("*.parquet")))
    assert stored < 200
    said = capsys.readouterr().out
    assert f"{stored} distinct runs ({stored} computed, 0 from the store, 0 failed); " in said
    assert "200 design points" in said
    info = json.loads((out / "manifest.json").read_text())
    assert (info["design_runs"], info["distinct_runs"]) == (200, stored)
    assert (info["done"], info["cached"], info["failed"]) == (stored, 0, 0)
    assert len(pd.read_parquet(out / "runs.parquet")) == 200  # every design point's outcomes
    again = ["sweep", str(spec), "--store", str(store), "--out", str(out), "--force"]
    assert main(again) == 0
    assert f"({0} computed, {stored} from the store" in capsys.readouterr().out
