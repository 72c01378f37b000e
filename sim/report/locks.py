"""One appsim at a time per output folder: a lock file beside it, taken before simulating.

`.<name>.lock` next to the folder `<name>` is locked with flock and holds the pid, the
command and the time it was taken, so that a second run into the same --out stops at once
(exit 2) saying who holds it, instead of overwriting the first or failing after hours of
simulation. The kernel releases a flock when its process ends, however it ends, so the lock
of a process that was killed is simply taken over. The file is removed on release, while
still locked; whoever opened it meanwhile sees that the path no longer names the file it
locked, and opens it again.

Where there is no flock (no `fcntl` module), the lock is the file itself, created with
O_EXCL: it exists while its holder runs, and a file naming a process of this host that has
ended is a dead holder's, taken over.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import socket
import sys
from pathlib import Path

from sim.errors import UsageError
from sim.report.out_names import choose_another, named

try:
    import fcntl
except ImportError:  # not on Windows: there the lock is the file's existence (`_created`)
    fcntl = None  # type: ignore[assignment]

_HELD: dict[Path, int] = {}  # lock file -> open descriptor, for this process


def lock_path(out: Path) -> Path:
    out = out.resolve()
    return out.parent / f".{out.name}.lock"


def held(out: Path) -> bool:
    return lock_path(out) in _HELD


def hold(out: Path) -> None:
    """Take the lock of the output folder `out` (again, within this process, is a no-op);
    raise UsageError naming the holder if another process has it."""
    path = lock_path(out)
    if path in _HELD:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _HELD[path] = _locked(path, out)  # known at once: a Ctrl-C from here releases it
    except OSError as exc:
        raise UsageError(
            f"{named(out)}: cannot lock {path}: {exc.strerror or exc}; {choose_another(out)}"
        ) from None
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": shlex.join(["appsim", *sys.argv[1:]]),
        "since": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.write(fd, (json.dumps(record) + "\n").encode())


def _locked(path: Path, out: Path) -> int:
    """A descriptor of `path`, exclusively locked, still naming the file at `path`."""
    if fcntl is None:
        return _created(path, out)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UsageError(_busy(out, path)) from None
        if _same_file(fd, path):
            return fd
        os.close(fd)  # released and removed after we opened it: try the new one


def _created(path: Path, out: Path) -> int:
    """Without flock: a descriptor of `path`, newly created by this process. A lock file of
    a holder that provably ended is removed and created again. (Two runs taking over the
    same dead lock at the same instant could both proceed: a narrow window, and only where
    flock is missing.)"""
    while True:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if not _holder_ended(path):
                raise UsageError(_busy(out, path)) from None
            path.unlink(missing_ok=True)


def _holder_ended(path: Path) -> bool:
    """True if the lock file at `path` names a process of this host that no longer runs; a
    file being written this instant (empty, half a record) is not provably dead."""
    try:
        record = json.loads(path.read_text())
        pid, host = int(record["pid"]), str(record["host"])
    except FileNotFoundError:
        return True  # released meanwhile: create it again
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return host == socket.gethostname() and not running(pid)


def running(pid: int) -> bool:
    """Whether process `pid` may still run (True when that cannot be known)."""
    if pid <= 0 or os.name == "nt":  # Windows' os.kill(pid, 0) would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        mine, now = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (mine.st_dev, mine.st_ino) == (now.st_dev, now.st_ino)


def _busy(out: Path, path: Path) -> str:
    try:
        record = json.loads(path.read_text())
        who = f"pid {record['pid']}, `{record['command']}`, since {record['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        who = f"see {path}"
    return (
        f"{named(out)}: another appsim run is writing this folder ({who}); wait for it to "
        f"finish, or {choose_another(out)}"
    )


def release(out: Path) -> None:
    """Give up the lock of `out` if this process holds it."""
    path = lock_path(out)
    fd = _HELD.pop(path, None)
    if fd is not None:
        _unlink_and_close(path, fd)


def release_all() -> None:
    """Give up every lock this process holds (the end of a command)."""
    for path in list(_HELD):
        _unlink_and_close(path, _HELD.pop(path))


def _unlink_and_close(path: Path, fd: int) -> None:
    try:
        path.unlink(missing_ok=True)  # still locked: no one else can be using it
    finally:
        os.close(fd)


def free(out: Path) -> bool:
    """True if no other process holds the lock of the output folder `out`: none is writing
    it. This process's own lock counts as free: a command takes it before it builds the
    folder, and asks this only before that (see `sim.report.leftovers`)."""
    path = lock_path(out)
    if path in _HELD:
        return True
    if fcntl is None:
        return not path.exists() or _holder_ended(path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True
    except OSError:
        return False  # cannot look: not provably free
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # also gives up the flock just taken
    return True


def remove_if_free(path: Path) -> None:
    """Remove a lock file nobody holds (its process died, kill -9, before removing it)."""
    if fcntl is None:
        if _holder_ended(path):
            path.unlink(missing_ok=True)
        return
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return
    if _same_file(fd, path):
        path.unlink(missing_ok=True)
    os.close(fd)
