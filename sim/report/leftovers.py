"""What a killed appsim leaves beside its output folders, recognised and removed later.

A report is built in a hidden sibling `.<name>.tmp-<random>` (and an earlier report is moved
to `.<name>.old-<pid>` for the instant of the swap). kill -9, a power cut or a crash leaves
them behind. A later run into the same parent folder removes those that are provably
appsim's and dead, and nothing else: a `.tmp-` folder only if it holds appsim's pid file
naming a process of this machine that no longer runs, an `.old-` folder only if its pid has
ended and appsim's mark lists every file in it. Lock files nobody holds go too.

A `.tmp-` folder without a readable pid file (killed between mkdtemp and writing it, or
after the finished folder's mark replaced it) goes only if all of these hold: its name is
exactly what appsim's mkdtemp makes, the current user owns it, it holds nothing but appsim's
files (none at all, or everything its mark lists), and no process holds the lock of the
folder it was for, so no run is building it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from pathlib import Path

from sim.report import locks
from sim.report.ownership import PID_FILE, file_list, owned

_TMP = re.compile(r"^\..+\.tmp-[A-Za-z0-9_]+$")
_MKDTEMP = re.compile(r"^\.(?P<name>.+)\.tmp-[a-z0-9_]{8}$")  # tempfile's 8 random characters
_OLD = re.compile(r"^\..+\.old-(\d+)$")
_LOCK = re.compile(r"^\..+\.lock$")


def mark_in_progress(tmp: Path) -> None:
    """Record in the folder being built which process builds it."""
    record = {"made_by": "appsim", "pid": os.getpid(), "host": socket.gethostname()}
    (tmp / PID_FILE).write_text(json.dumps(record) + "\n")


def unmark(tmp: Path) -> None:
    (tmp / PID_FILE).unlink(missing_ok=True)


def remove_stale(parent: Path) -> list[Path]:
    """Remove appsim's leftovers of dead processes in `parent`; return what was removed."""
    removed: list[Path] = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.is_symlink():
            continue
        if _LOCK.match(entry.name) and entry.is_file():
            locks.remove_if_free(entry)
        elif _is_stale_folder(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _is_stale_folder(entry: Path) -> bool:
    if not entry.is_dir():
        return False
    if _TMP.match(entry.name):
        if (entry / PID_FILE).is_file() and _readable(entry / PID_FILE):
            return _writer_is_dead(entry / PID_FILE)
        return _unnoted_and_free(entry)
    old = _OLD.match(entry.name)
    if old:
        return not locks.running(int(old.group(1))) and owned(entry)
    return False


def _readable(pid_file: Path) -> bool:
    try:
        return isinstance(json.loads(pid_file.read_text()), dict)
    except (OSError, ValueError):
        return False  # half written when its process was killed


def _unnoted_and_free(entry: Path) -> bool:
    """A temporary folder with no (readable) pid file: see the module's docstring."""
    named = _MKDTEMP.match(entry.name)
    if not named or (hasattr(os, "getuid") and entry.stat().st_uid != os.getuid()):
        return False
    if file_list(entry) and not owned(entry):
        return False  # someone's files, or a report killed before its mark was complete
    return locks.free(entry.parent / named.group("name"))


def _writer_is_dead(pid_file: Path) -> bool:
    try:
        record = json.loads(pid_file.read_text())
        pid, host = int(record["pid"]), str(record["host"])
        ours = record["made_by"] == "appsim"
    except (OSError, ValueError, KeyError, TypeError):
        return False  # not provably appsim's
    return ours and host == socket.gethostname() and not locks.running(pid)


def normal_mode(folder: Path) -> None:
    """Give `folder` the mode mkdir would under the current umask (mkdtemp makes it 0700)."""
    umask = os.umask(0)  # the only way to read it; set back at once (appsim is one thread here)
    os.umask(umask)
    os.chmod(folder, 0o777 & ~umask)
