"""Sweeps: same numbers on every backend, resume from the store, a real Dask cluster."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from ..conftest import HERE, ROOT

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


@contextmanager
def dask_cluster(workers: int) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A scheduler and `workers` one-thread workers on this machine, ready: its address and
    the worker processes. All are ended afterwards."""
    from dask.distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            **quiet,
        )
    ]
    try:
        for _ in range(workers):
            procs.append(
                subprocess.Popen(
                    [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard"],
                    cwd=ROOT,
                    **quiet,
                )
            )
        with Client(address, timeout="60s") as client:  # waits for the scheduler to listen
            client.wait_for_workers(workers, timeout=120)
        yield address, procs[1:]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=30)


def test_real_cluster_survives_a_dead_worker(serial, tmp_path):
    with dask_cluster(2) as (address, workers):
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
        workers[0].send_signal(signal.SIGKILL)
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]
        pd.testing.assert_frame_equal(outcomes(serial), outcomes(tmp_path / "out"))


def slow_spec(folder: Path) -> Path:
    """Three runs of the baseline at 1:300, about 8 s each: still running when interrupted."""
    spec = folder / "slow.yaml"
    spec.write_text(
        f"scenario: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
        "sampler: grid\nsamples: 3\nseeds: 1\nscale: 300\n"
        "parameters:\n  apps.rongexing.adoption.p_per_year: {low: 0.01, high: 0.05}\n"
        "outcomes:\n  m: {metric: mau, app: suite, date: 2019-12-31}\n"
    )
    return spec


def start_sweep(spec: Path, folder: Path, *backend: str) -> subprocess.Popen[str]:
    """`appsim sweep` in its own process group, with Ctrl-C as in a user's terminal."""
    args = ["--store", str(folder / "store"), "--out", str(folder / "out"), *backend]
    return subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(spec), *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
        start_new_session=True,
    )


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {seconds} s"
        time.sleep(0.05)


def interrupted(run: subprocess.Popen[str]) -> str:
    """Ctrl-C to the sweep's process group; its stderr, once it exited 130 promptly."""
    os.killpg(run.pid, signal.SIGINT)
    sent = time.monotonic()
    try:
        _, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 130, err[-3000:]
    assert time.monotonic() - sent < 6, "waited for the queued runs"
    # before it: the estimate and progress lines (no traceback)
    assert err.strip().splitlines()[-1] == "interrupted; nothing was written", err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    return err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_on_local_workers_stops_the_sweep_and_its_workers(tmp_path):
    """The local processes of `--workers` are the executor's of every command: Ctrl-C ends
    them at once and says nothing but that it was interrupted."""
    from ..cli.test_interrupt import alive, children_of

    run = start_sweep(slow_spec(tmp_path), tmp_path, "--workers", "2")
    wait_until(lambda: len(children_of(run.pid)) >= 2, 120, "running two workers")
    workers = children_of(run.pid)
    interrupted(run)
    wait_until(lambda: not any(alive(w) for w in workers), 10, "rid of the workers")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.yaml", "store"]


def test_ctrl_c_on_a_cluster_cancels_the_sweeps_runs(tmp_path):
    """Ctrl-C with --scheduler: appsim exits 130 at once, and the cluster is left holding
    none of its runs (queued or running); its workers stay, being the cluster's."""
    from dask.distributed import Client

    def tasks(state: str | None = None) -> int:
        return client.run_on_scheduler(
            lambda dask_scheduler: sum(
                1 for t in dask_scheduler.tasks.values() if state in (None, t.state)
            )
        )

    with dask_cluster(1) as (address, workers), Client(address) as client:
        run = start_sweep(slow_spec(tmp_path), tmp_path, "--scheduler", address)
        wait_until(lambda: tasks("processing") > 0, 120, "running on the cluster")
        interrupted(run)
        wait_until(lambda: tasks() == 0, 30, "rid of the sweep's runs")
        assert all(w.poll() is None for w in workers)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.yaml", "store"]


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
    captured = capsys.readouterr()
    said, err = captured.out, captured.err.splitlines()
    # the shared progress: the runs and an estimate before the first, then n/N lines
    assert err[0].startswith(f"{stored} runs (200 design points x 1 seed), about ")
    assert [line.split(",")[0].strip() for line in err[1:]] == [
        f"{n}/{stored} runs" for n in range(1, stored + 1)
    ]
    assert f"{stored} distinct runs ({stored} computed, 0 from the store, 0 failed); " in said
    assert "200 design points" in said
    info = json.loads((out / "manifest.json").read_text())
    assert (info["design_runs"], info["distinct_runs"]) == (200, stored)
    assert (info["done"], info["cached"], info["failed"]) == (stored, 0, 0)
    assert len(pd.read_parquet(out / "runs.parquet")) == 200  # every design point's outcomes
    again = ["sweep", str(spec), "--store", str(store), "--out", str(out), "--force"]
    assert main(again) == 0
    captured = capsys.readouterr()
    assert f"({0} computed, {stored} from the store" in captured.out
    assert f"; {stored} of them in the store already), about " in captured.err
