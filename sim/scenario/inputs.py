"""Every file a user gives appsim is read here: a regular file of bounded size, or refused.

Scenario, targets, spec and prior YAML, the series targets' CSVs and a posterior's Parquet
all pass through `read_input`, so none of them can be a device (/dev/zero never ends, and
its st_size is 0), a FIFO (opening one waits for a writer), a socket or a directory, and
none is read past its limit. Each caller turns the refusal into its own located message.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 2_000_000  # YAML and CSV: far above any real one, far below memory
MAX_TABLE_BYTES = 256_000_000  # a posterior's Parquet: millions of weighted worlds


class Refused(Exception):
    """The file cannot be an input: `str(exc)` says why, for the caller to locate."""


class TooLarge(Refused):
    """A regular file over the limit (a problem of its content, from line 1)."""


def read_input(path: Path, kind: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file `path` (a `kind`, e.g. "scenario file"), at most
    `limit` of them. Raises FileNotFoundError, OSError, or `Refused`. The file is opened
    without blocking and checked again through its descriptor (it may have been swapped
    since the first look), and never more than `limit` + 1 bytes are read."""
    _refuse_irregular(os.stat(path).st_mode, kind)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        _refuse_irregular(os.fstat(fd).st_mode, kind)
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"file too large (over {limit} bytes, the limit for a {kind})")
    return data


def _refuse_irregular(mode: int, kind: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise Refused(f"is a directory, not a {kind}")
    if stat.S_ISFIFO(mode):
        raise Refused(f"is a pipe (FIFO), not a {kind}; save it to a file")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise Refused(f"is a device, not a {kind}")
    raise Refused(f"is not a regular file, so not a {kind}")


def why_unreadable(exc: OSError) -> str:
    """An OSError of `read_input` as the end of a message."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    return f"cannot read: {exc.strerror or exc}"
