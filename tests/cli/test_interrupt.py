"""Ctrl-C during a run or a comparison: exit code 130 and no half-written report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import ROOT

BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
TINY = ROOT / "tests" / "scenarios" / "tiny.yaml"


def default_sigint() -> None:
    """Children of a background shell start with Ctrl-C ignored; a user's terminal does not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_once_locked(args: list[str], lock: Path) -> subprocess.CompletedProcess[str]:
    """Start appsim and send Ctrl-C once `lock` (its output folder's lock) exists: by then
    its handlers are installed and --out is checked, so it is about to simulate or is
    simulating. No sleeping for timing: the signal waits on what the process did."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
    )
    try:
        wait_until(lambda: lock.exists() or proc.poll() is not None, 120, "locked --out")
        assert proc.poll() is None, "appsim ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("command", ["run", "compare"])
def test_ctrl_c_leaves_nothing_behind(tmp_path: Path, command: str):
    out = tmp_path / "out"
    # big enough (about 8 s a run) to be still simulating when interrupted
    args = [command, BASELINE, "--scale", "300", "--out", str(out)]
    if command == "compare":
        args[1:2] = [BASELINE, str(ROOT / "scenarios" / "what-if" / "no-open-api.yaml")]
        args += ["--reps", "2"]
    done = interrupt_once_locked(args, tmp_path / ".out.lock")
    assert done.returncode == 130, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # neither the report nor a temporary folder


def test_a_second_ctrl_c_during_cleanup_does_not_cut_it_short(tmp_path: Path):
    """Ctrl-C while the report is written, and again while its temporary folder is being
    removed (the probe sends both from there): the folder still goes, the exit is 130."""
    argv = ["run", str(TINY), "--scale", "20", "--quiet", "--out", str(tmp_path / "out")]
    probe = (
        "import os, shutil, signal, sys\n"
        "import sim.report.folders as folders\n"
        "real_list, real_rmtree = folders.file_list, shutil.rmtree\n"
        "def ctrl_c_then(real):\n"
        "    def again(*args, **kwargs):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        return real(*args, **kwargs)\n"
        "    return again\n"
        "folders.file_list = ctrl_c_then(real_list)\n"
        "shutil.rmtree = ctrl_c_then(real_rmtree)\n"
        "from sim.cli.app import main\n"
        f"sys.exit(main({argv!r}))\n"
    )
    done = run_probe(probe)
    assert done.returncode == 130, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "interrupted" in done.stderr
    assert list(tmp_path.iterdir()) == []


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


def run_probe(probe: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a Python probe in a fresh interpreter, with Ctrl-C as in a user's terminal."""
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=default_sigint,
    )


def test_ctrl_c_while_the_commands_load_is_exit_130_without_a_traceback():
    """The console script imports `main` and calls it; a Ctrl-C while the command modules
    load (an import hook sends it, at the moment a slow disk would) is a clean exit 130."""
    assert_clean_ctrl_c(ctrl_c_when_importing("sim.cli.run"))


def ctrl_c_when_importing(module: str, first: str = "") -> str:
    """A program that sends itself SIGINT as `module` is looked for (an import hook), after
    running `first`, then calls `appsim --help` as the console script does."""
    return (
        "import importlib.abc, os, signal, sys\n"
        "class CtrlC(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {module!r}:\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "        return None\n"
        "sys.meta_path.insert(0, CtrlC())\n"
        f"{first}"
        "from sim.cli.app import main\n"
        "sys.exit(main(['--help']))\n"
    )


def assert_clean_ctrl_c(probe: str) -> None:
    done = run_probe(probe)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 130 and "interrupted" in done.stderr


def interrupt_after_imports(out: Path, after: int) -> subprocess.CompletedProcess[str]:
    """`python -m sim run` with Ctrl-C once the package `sim` and then `after` more modules
    have been imported (`-X importtime` reports each import on stderr as it ends): from the
    package's first line on, which is before Python has even found `sim.__main__`. The signal
    waits on what the process did, not on a clock."""
    args = ["run", BASELINE, "--quiet", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "sim", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
    )
    try:
        assert proc.stderr is not None
        seen, lines = -1, []
        while seen < after:
            line = proc.stderr.readline()
            assert line, f"appsim ended before it could be interrupted: {''.join(lines)[-2000:]}"
            lines.append(line)
            if seen >= 0 or line.rstrip().endswith("| sim"):
                seen += 1
        proc.send_signal(signal.SIGINT)
        out_text, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out_text, "".join(lines) + err)


@pytest.mark.parametrize("after", [0, 1, 2, 3, 5, 8, 13, 21, 34])
def test_ctrl_c_from_the_first_line_of_appsim_is_exit_130(tmp_path: Path, after: int):
    """Ctrl-C while Python is still looking for `sim.__main__` and loading the command line
    (once a KeyboardInterrupt traceback from runpy or importlib): exit 130, no traceback.
    (Before the package's first line Python itself is starting, and not appsim's to answer.)"""
    done = interrupt_after_imports(tmp_path / "out", after)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 130 and "interrupted; nothing was written" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("module", ["sim.cli", "sim.cli.signals"])
def test_ctrl_c_as_the_package_starts_loading_is_exit_130(module: str):
    """The console script's first import runs `sim/__init__.py`; a Ctrl-C as it imports
    its first module (once before the handlers: their own module imported the standard
    `signal`, and with it enum, functools and collections, tens of milliseconds cold) is a
    clean exit 130. Only built-in modules come before the handlers now."""
    assert_clean_ctrl_c(ctrl_c_when_importing(module, first="sys.argv[0] = 'appsim'\n"))


def test_the_handlers_come_before_any_module_that_is_not_built_in():
    """What `sim/__init__.py` runs before its handlers are installed imports only modules
    compiled into Python (a module from disk is milliseconds to seconds of a window)."""
    probe = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('startup', 'sim/startup.py')\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "before = set(sys.modules)\n"
        "spec.loader.exec_module(module)\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    done = run_probe(probe)
    assert done.returncode == 0, done.stderr
    loaded = eval(done.stdout)
    assert all(name in sys.builtin_module_names for name in loaded), loaded


def test_importing_appsim_leaves_ctrl_c_alone():
    """Only appsim the program answers Ctrl-C from its first line: a notebook or a test that
    imports it keeps its own KeyboardInterrupt."""
    done = run_probe("import signal, sim\nprint(signal.getsignal(signal.SIGINT))")
    assert done.stdout.strip() == str(signal.default_int_handler), done.stderr


def test_sigterm_while_the_report_is_written_cleans_up_and_exits_143(tmp_path: Path):
    """SIGTERM arrives inside the temporary report folder's last step (the probe sends it from
    there): the folder is removed, the exit code is 143 and the message says so."""
    out = tmp_path / "out"
    argv = ["run", str(TINY), "--scale", "20", "--quiet", "--out", str(out)]
    probe = (
        "import os, signal, sys\n"
        "import sim.report.folders as folders\n"
        "real = folders.file_list\n"
        "def term_then_list(folder):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(folder)\n"
        "folders.file_list = term_then_list\n"
        "from sim.cli.app import main\n"
        f"sys.exit(main({argv!r}))\n"
    )
    done = run_probe(probe)
    assert done.returncode == 143, done.stderr[-2000:]
    assert "terminated (SIGTERM)" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def children_of(pid: int) -> set[int]:
    """The pids of `pid`'s living children (from /proc)."""
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, seconds: float, what: str) -> None:
    """Poll `condition` until it holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {seconds} s"
        time.sleep(0.05)


def start_compare_on_workers(out: Path) -> subprocess.Popen[str]:
    """A comparison of 8 runs (~8 s each) on 2 workers, in its own process group."""
    args = [BASELINE, str(ROOT / "scenarios" / "what-if" / "no-open-api.yaml")]
    args += ["--scale", "300", "--reps", "4", "--workers", "2", "--out", str(out)]
    return subprocess.Popen(
        [sys.executable, "-m", "sim", "compare", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
        start_new_session=True,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_on_workers_cancels_the_queue_and_stops_them(tmp_path: Path):
    """Ctrl-C reaches the whole process group: appsim exits 130 within seconds, not after the
    six queued runs, and no worker outlives it."""
    proc = start_compare_on_workers(tmp_path / "out")
    wait_until(lambda: len(children_of(proc.pid)) >= 2, 120, "running two workers")
    workers = children_of(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    sent = time.monotonic()
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        kill_all(proc.pid, workers)
    assert proc.returncode == 130, err[-2000:]
    assert time.monotonic() - sent < 6, "waited for the queued runs"
    assert "Traceback" not in err
    wait_until(lambda: not any(alive(w) for w in workers), 10, "rid of the workers")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_a_killed_parent(tmp_path: Path):
    """kill -9 of appsim: its workers do not stay blocked for ever on the pipe of queued runs."""
    proc = start_compare_on_workers(tmp_path / "out")
    wait_until(lambda: len(children_of(proc.pid)) >= 2, 120, "running two workers")
    workers = children_of(proc.pid)
    proc.kill()
    proc.communicate(timeout=60)
    try:
        wait_until(lambda: not any(alive(w) for w in workers), 10, "rid of the workers")
    finally:
        kill_all(proc.pid, workers)


def kill_all(parent: int, workers: set[int]) -> None:
    """Do not leave a failed test's processes to the rest of the suite."""
    for pid in [parent, *workers]:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
