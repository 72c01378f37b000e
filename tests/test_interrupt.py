"""Ctrl-C during a run or a comparison: exit code 130 and no half-written report."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT

BASELINE = str(ROOT / "scenarios" / "baseline.yaml")


def default_sigint() -> None:
    """Children of a background shell start with Ctrl-C ignored; a user's terminal does not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_after(args: list[str], seconds: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
    )
    time.sleep(seconds)  # let it get well into the simulation, not to time anything
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("command", ["run", "compare"])
def test_ctrl_c_leaves_nothing_behind(tmp_path: Path, command: str):
    out = tmp_path / "out"
    # big enough (about 8 s a run) to be still simulating when interrupted after 4 s
    args = [command, BASELINE, "--scale", "300", "--out", str(out)]
    if command == "compare":
        args[1:2] = [BASELINE, str(ROOT / "scenarios" / "what-if" / "no-open-api.yaml")]
        args += ["--reps", "2"]
    done = interrupt_after(args, 4.0)
    assert done.returncode == 130, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # neither the report nor a temporary folder


def test_unwritable_out_is_a_clear_error(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "run",
            BASELINE,
            "--scale",
            "5000",
            "--out",
            str(blocker / "report"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "is a file, not a folder" in done.stderr
    assert list(tmp_path.iterdir()) == [blocker]
