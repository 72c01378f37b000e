"""Ctrl-C and SIGTERM as exceptions, so that every command cleans up the same way.

Python turns SIGINT into KeyboardInterrupt already; SIGTERM (a `kill`, a service manager
stopping appsim) would end the process at once and leave a half-built report folder behind.
Both are turned into a `KeyboardInterrupt` here (SIGTERM as its subclass `Terminated`), so
that the `finally` and `except BaseException` blocks that remove temporary folders and
release locks run for either. The first signal is the last: once one arrives appsim ignores
both, so that its cleanup and its exit (130 or 143) are never cut short. This module imports
nothing but the standard library: it is installed before anything else is loaded.
"""

from __future__ import annotations

import signal
from types import FrameType

EXIT_TERMINATED = 128 + signal.SIGTERM  # the shell's convention: 128 + the signal's number


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop like Ctrl-C, exit with 143."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    ignore()  # the cleanup this starts must not itself be cut short by a second signal
    raise Terminated()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    ignore()  # a second Ctrl-C during cleanup would kill appsim with half a folder left
    raise KeyboardInterrupt()


def install() -> None:
    """Route SIGINT and SIGTERM to exceptions. A signal that was ignored when appsim started
    (SIGINT in a background job of a non-interactive shell, `nohup`) stays ignored."""
    for signum, handler in ((signal.SIGINT, _on_sigint), (signal.SIGTERM, _on_sigterm)):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, handler)


def ignore() -> None:
    """Ignore SIGINT and SIGTERM from now on (appsim is exiting)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def describe(exc: KeyboardInterrupt) -> tuple[str, int]:
    """What to tell the user, and the exit code, for an interrupt."""
    if isinstance(exc, Terminated):
        return "terminated (SIGTERM)", EXIT_TERMINATED
    return "interrupted", 128 + signal.SIGINT
