"""One run at a time per output folder; what killed runs leave beside it is cleaned up."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.app import main
from sim.report import leftovers, locks

from ..conftest import ROOT, TINY

FAST = ["--scale", "20", "--quiet"]


def _ended() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def other_holder(tmp_path: Path):
    """Another process holding the lock of tmp_path/out, until the test ends."""
    out = tmp_path / "out"
    probe = (
        "import sys\nfrom pathlib import Path\nfrom sim.report import locks\n"
        f"locks.hold(Path({str(out)!r}))\nprint('held', flush=True)\nsys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    yield out, proc
    proc.kill()
    proc.wait()


def test_a_second_run_into_a_locked_folder_stops_before_simulating(other_holder, capsys):
    out, holder = other_holder
    assert main(["run", str(TINY), "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert f"pid {holder.pid}" in err and "another appsim run" in err and "since" in err
    assert not out.exists()


def test_the_lock_of_a_dead_process_is_taken_over(tmp_path: Path, capsys):
    out = tmp_path / "out"
    stale = tmp_path / ".out.lock"
    stale.write_text(json.dumps({"pid": _ended(), "command": "appsim run", "since": "then"}))
    assert main(["run", str(TINY), "--out", str(out), *FAST]) == 0
    assert (out / "summary.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the lock is gone too


def test_the_lock_is_released_after_the_command(tmp_path: Path):
    out = tmp_path / "out"
    assert main(["run", str(TINY), "--out", str(out), *FAST]) == 0
    assert not locks.held(out) and not locks.lock_path(out).exists()


def pid_file(folder: Path, pid: int, host: str | None = None) -> Path:
    folder.mkdir()
    record = {"made_by": "appsim", "pid": pid, "host": host or socket.gethostname()}
    (folder / leftovers.PID_FILE).write_text(json.dumps(record))
    return folder


def test_only_appsims_dead_temporary_folders_are_removed(tmp_path: Path):
    dead = pid_file(tmp_path / ".old-report.tmp-ab12cd", _ended())
    running = pid_file(tmp_path / ".busy.tmp-ef34gh", os.getpid())
    elsewhere = pid_file(tmp_path / ".remote.tmp-ij56kl", _ended(), host="another-host")
    unmarked = tmp_path / ".users.tmp-mn78op"
    unmarked.mkdir()
    (unmarked / "notes.txt").write_text("not appsim's")
    named_alike = pid_file(tmp_path / "visible.tmp-qr90st", _ended())
    assert leftovers.remove_stale(tmp_path) == [dead]
    assert all(p.exists() for p in (running, elsewhere, unmarked, named_alike))


def test_a_report_killed_while_written_is_cleaned_by_the_next_run(tmp_path: Path):
    """kill -9 inside the temporary folder's last step leaves it; the next run into the same
    parent folder (another --out) removes it."""
    probe = (
        "import os, signal, sys\n"
        "import sim.report.folders as folders\n"
        "folders.file_list = lambda folder: os.kill(os.getpid(), signal.SIGKILL)\n"
        "from sim.cli.app import main\n"
        f"main({['run', str(TINY), '--out', str(tmp_path / 'first'), *FAST]!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, timeout=300)
    assert done.returncode == -signal.SIGKILL
    assert any(p.name.startswith(".first.tmp-") for p in tmp_path.iterdir())
    assert main(["run", str(TINY), "--out", str(tmp_path / "second"), *FAST]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["second"]


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_report_folders_get_the_mode_of_a_plain_mkdir(tmp_path: Path, umask: int):
    from sim.report.folders import atomic_folder

    before = os.umask(umask)
    try:
        with atomic_folder(tmp_path / "out") as tmp:
            (tmp / "summary.md").write_text("report")
    finally:
        os.umask(before)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o777 & ~umask


@pytest.fixture
def no_flock(monkeypatch):
    """A platform without fcntl: the lock is the lock file's existence."""
    monkeypatch.setattr(locks, "fcntl", None)


def lock_record(path: Path, pid: int) -> None:
    record = {"pid": pid, "host": socket.gethostname(), "command": "appsim run", "since": "then"}
    path.write_text(json.dumps(record))


def test_without_flock_a_lock_file_keeps_a_second_run_out(tmp_path: Path, no_flock, capsys):
    out = tmp_path / "out"
    lock_record(locks.lock_path(out), os.getppid())  # a process that is running
    assert main(["run", str(TINY), "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert f"pid {os.getppid()}" in err and "another appsim run" in err
    assert not out.exists() and locks.lock_path(out).exists()  # the holder's, left alone


def test_without_flock_a_dead_holders_lock_is_taken_and_released(tmp_path: Path, no_flock):
    out = tmp_path / "out"
    lock_record(locks.lock_path(out), _ended())
    locks.hold(out)
    record = json.loads(locks.lock_path(out).read_text())
    assert record["pid"] == os.getpid() and locks.held(out)
    locks.release(out)
    assert not locks.lock_path(out).exists()


def test_without_flock_only_dead_holders_lock_files_are_cleaned(tmp_path: Path, no_flock):
    dead, live = tmp_path / ".a.lock", tmp_path / ".b.lock"
    lock_record(dead, _ended())
    lock_record(live, os.getppid())
    leftovers.remove_stale(tmp_path)
    assert not dead.exists() and live.exists()


def unnoted(folder: Path, files: dict[str, str], listed: list[str] | None = None) -> Path:
    """A temporary folder without a pid file, holding `files` and, if `listed` is given,
    appsim's mark listing those."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    if listed is not None:
        mark = {"made_by": "appsim", "files": sorted(listed)}
        (folder / ".appsim-folder.json").write_text(json.dumps(mark))
    return folder


def test_temporary_folders_without_a_pid_file_go_only_when_provably_appsims(tmp_path: Path):
    empty = unnoted(tmp_path / ".a.tmp-ab12cd_3", {})
    half_noted = unnoted(tmp_path / ".b.tmp-ef34gh56", {leftovers.PID_FILE: '{"made_by": "ap'})
    marked = unnoted(tmp_path / ".c.tmp-ij56kl78", {"summary.md": "x"}, ["summary.md"])
    gone = {empty, half_noted, marked}
    kept = {
        unnoted(tmp_path / ".d.tmp-mn78op90", {"notes.txt": "a user's"}),
        unnoted(tmp_path / ".e.tmp-qr90st12", {"summary.md": "x", "mine.txt": "a user's"}, []),
        unnoted(tmp_path / ".f.tmp-NOTOURS1", {}),  # not a name tempfile makes
        unnoted(tmp_path / ".g.tmp-short", {}),
        unnoted(tmp_path / "h.tmp-uv12wx34", {}),  # not hidden
    }
    assert set(leftovers.remove_stale(tmp_path)) == gone
    assert all(p.exists() for p in kept) and not any(p.exists() for p in gone)


def test_a_temporary_folder_of_a_locked_output_is_left(other_holder):
    """Another process holds the lock of `out`: it may be building `.out.tmp-*` right now,
    before its pid file is written."""
    out, _ = other_holder
    building = unnoted(out.parent / ".out.tmp-yz12ab34", {})
    leftovers.remove_stale(out.parent)
    assert building.exists()


@pytest.mark.parametrize("step", ["mark_in_progress", "unmark"])
def test_a_report_killed_without_its_pid_file_is_cleaned_by_the_next_run(tmp_path: Path, step: str):
    """kill -9 just before the pid file is written, or just after it is removed: the next
    run into the same parent folder removes what is left."""
    probe = (
        "import os, signal\n"
        "import sim.report.leftovers as leftovers\n"
        f"real = leftovers.{step}\n"
        "def then_die(tmp):\n"
        f"    if {step == 'unmark'}:\n"
        "        real(tmp)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        f"leftovers.{step} = then_die\n"
        "from sim.cli.app import main\n"
        f"main({['run', str(TINY), '--out', str(tmp_path / 'first'), *FAST]!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, timeout=300)
    assert done.returncode == -signal.SIGKILL
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".first.tmp-")]
    assert left and not (left[0] / leftovers.PID_FILE).exists()
    assert main(["run", str(TINY), "--out", str(tmp_path / "second"), *FAST]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["second"]
