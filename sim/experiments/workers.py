"""Local worker processes that stop when appsim stops.

Two failures of a plain process pool are closed here:

- Ctrl-C reaches every process of the terminal's group. Workers ignore it, so that only
  appsim's own process decides: it cancels the queued runs and ends the workers at once,
  instead of the pool's shutdown waiting for every queued run to finish.
- kill -9 of appsim leaves its workers blocked for ever on the pipe of queued runs (their
  siblings hold its other end open, so it never closes). Each worker asks Linux to kill it
  when its parent dies (prctl PR_SET_PDEATHSIG) and also watches its parent's pid from a
  thread, which works wherever prctl does not.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCH_SECONDS = 0.5  # how often a worker checks that its parent is alive


STOPPING = {signal.SIGINT, signal.SIGTERM}


def start_worker(parent: int) -> None:
    """Initializer of every worker: ignore Ctrl-C, end with the parent `parent`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # held while the worker started (`held_signals`)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request above was made
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no libc to ask: the watching thread remains
        pass


def _watch_parent(parent: int) -> None:
    """The portable fallback: once the parent is gone the worker is re-parented, and its
    parent's pid changes."""
    while os.getppid() == parent:
        threading.Event().wait(WATCH_SECONDS)
    os._exit(1)


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers end with appsim; on any exception (Ctrl-C, SIGTERM, a
    failed run) queued runs are cancelled and the workers stopped before it propagates."""
    pool = ProcessPoolExecutor(
        max_workers=workers, initializer=start_worker, initargs=(os.getpid(),)
    )
    try:
        yield pool
    except BaseException:
        stop(pool)
        raise
    pool.shutdown()


def stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (a run in progress is lost)."""
    # Python 3.11 has no public way to end a pool's workers (3.14 adds terminate_workers);
    # the pool keeps them in `_processes`, pid -> multiprocessing.Process, until shutdown
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()


@contextmanager
def held_signals() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while workers start: a new worker inherits appsim's
    handlers, and one interrupted before its initializer ignores Ctrl-C would print a
    traceback. A signal that arrives meanwhile is delivered to appsim when released."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
