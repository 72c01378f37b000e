"""Every limit on the memory a run may take, so that the guard plans with the tightest.

MemAvailable is what the machine could give; a container's cgroup (v2 memory.max less
memory.current, at every level up to the root; v1 memory.limit_in_bytes less
memory.usage_in_bytes) or the process's own limits (RLIMIT_AS on its address space,
RLIMIT_DATA on its data) may allow far less, and a run planned against MemAvailable then
dies half-way. The files read are parameters (`Sources`), so that tests can stand in for
any machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

UNLIMITED_V1 = 2**60  # cgroup v1 writes "no limit" as a huge number near 2**63


def _process_rlimits() -> dict[str, int]:
    try:
        import resource
    except ImportError:  # not on Windows
        return {}
    out = {}
    for name in ("RLIMIT_AS", "RLIMIT_DATA"):
        soft, _ = resource.getrlimit(getattr(resource, name))
        if soft != resource.RLIM_INFINITY:
            out[name] = soft
    return out


@dataclass(frozen=True)
class Sources:
    """Where the limits are read: the real machine by default."""

    meminfo: Path = Path("/proc/meminfo")
    status: Path = Path("/proc/self/status")
    cgroup_of_self: Path = Path("/proc/self/cgroup")
    cgroup_root: Path = Path("/sys/fs/cgroup")
    rlimits: dict[str, int] | None = field(default=None)  # None: this process's own


def limits(src: Sources) -> dict[str, int]:
    """Bytes a run may still take under each limit that applies, by the limit's name."""
    out = {}
    available = _meminfo(src.meminfo, "MemAvailable")
    out["MemAvailable"] = available if available is not None else _physical()
    out.update(_cgroup_v2(src))
    out.update(_cgroup_v1(src.cgroup_root / "memory"))
    out.update(_rlimits(src))
    return out


def tightest(src: Sources) -> tuple[str, int]:
    """The name and the bytes of the limit that allows least."""
    name, room = min(limits(src).items(), key=lambda item: item[1])
    return name, max(room, 0)


def _physical() -> int:
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def _meminfo(path: Path, key: str) -> int | None:
    """A `key: N kB` line of /proc/meminfo or /proc/self/status, in bytes."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _number(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max": no limit


def _cgroup_v2(src: Sources) -> dict[str, int]:
    """memory.max less memory.current of this process's cgroup and each of its parents."""
    try:
        lines = src.cgroup_of_self.read_text().splitlines()
        own = next(line.split(":", 2)[2] for line in lines if line.startswith("0::"))
    except (OSError, StopIteration, IndexError):
        own = "/"
    folder = src.cgroup_root / own.strip().lstrip("/")
    out = {}
    while True:
        limit, used = _number(folder / "memory.max"), _number(folder / "memory.current")
        if limit is not None:
            out[f"cgroup {folder / 'memory.max'}"] = limit - (used or 0)
        if folder == src.cgroup_root or src.cgroup_root not in folder.parents:
            return out
        folder = folder.parent


def _cgroup_v1(folder: Path) -> dict[str, int]:
    limit = _number(folder / "memory.limit_in_bytes")
    if limit is None or limit >= UNLIMITED_V1:
        return {}
    used = _number(folder / "memory.usage_in_bytes") or 0
    return {f"cgroup {folder / 'memory.limit_in_bytes'}": limit - used}


def _rlimits(src: Sources) -> dict[str, int]:
    """A process limit less what the process already uses of it."""
    given = _process_rlimits() if src.rlimits is None else src.rlimits
    in_use = {"RLIMIT_AS": "VmSize", "RLIMIT_DATA": "VmData"}
    out = {}
    for name, limit in given.items():
        used = _meminfo(src.status, in_use.get(name, "")) or 0
        out[name] = limit - used
    return out
