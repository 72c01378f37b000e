"""A set of agent ids with O(k) insertion, removal and uniform random draws.

Members sit in a dense array; a `slot` array (shared by every set of one app, since an agent is
in at most one of them) remembers each member's position. Removing k members moves at most k
others from the tail into the holes, all in vectorised steps. Optional named columns travel with
each member (the engaged users' activity threshold, last active day, registration month and
segment), so the daily activity step reads and writes contiguous arrays, not scattered ones.
"""

from __future__ import annotations

import numpy as np

from .compiled import compile_all, use_compiled

ABSENT = -1


class IndexedSet:
    """Agent ids in a dense array, positions kept in a shared `slot` array."""

    def __init__(
        self, slot: np.ndarray, columns: dict[str, type] | None = None, capacity: int = 64
    ):
        self.slot = slot
        self.ids = np.empty(capacity, dtype=np.int32)
        self.cols: dict[str, np.ndarray] = {
            name: np.empty(capacity, dtype) for name, dtype in (columns or {}).items()
        }
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def members(self) -> np.ndarray:
        """A view of the current members (valid until the next change)."""
        return self.ids[: self.n]

    def column(self, name: str) -> np.ndarray:
        """A view of one column, aligned with `members()` (valid until the next change)."""
        return self.cols[name][: self.n]

    def get(self, name: str, ids: np.ndarray) -> np.ndarray:
        """Column `name` of members `ids`."""
        return self.cols[name][self.slot[ids]]

    def put(self, name: str, ids: np.ndarray, values: np.ndarray | int) -> None:
        """Set column `name` of members `ids`."""
        self.cols[name][self.slot[ids]] = values

    def add(self, ids: np.ndarray, **values: np.ndarray | int) -> None:
        """Insert ids that are in no set of this app, with a value for every column."""
        k = len(ids)
        if k == 0:
            return
        self._reserve(self.n + k)
        self.ids[self.n : self.n + k] = ids
        for name, col in self.cols.items():
            col[self.n : self.n + k] = values[name]
        self.slot[ids] = np.arange(self.n, self.n + k, dtype=np.int32)
        self.n += k

    def remove(self, ids: np.ndarray) -> None:
        """Remove distinct ids that are members of this set: the members in the tail that
        stay fill the holes the others leave below the new size (one compiled pass over the
        ids where numba is installed; numpy otherwise, same arrangement)."""
        k = len(ids)
        if k == 0:
            return
        new_n = self.n - k
        if use_compiled(_jit_plan_removal):
            holes, movers = np.empty(k, np.int32), np.empty(k, np.int32)
            n_moves = _jit_plan_removal(ids, self.slot, self.ids, new_n, self.n, holes, movers)
            holes, movers = holes[:n_moves], movers[:n_moves]
        else:
            holes, movers = _plan_removal_numpy(ids, self.slot, self.ids, new_n)
        for col in self.cols.values():
            col[holes] = col[movers]
        self.n = new_n

    def sample(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """k distinct members drawn uniformly (not removed)."""
        k = min(k, self.n)
        if k == 0:
            return np.empty(0, dtype=np.int32)
        return self.ids[distinct_positions(rng, self.n, k)]

    def take(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """Draw k distinct members uniformly and remove them."""
        chosen = self.sample(rng, k)
        self.remove(chosen)
        return chosen

    def clear(self) -> np.ndarray:
        """Remove every member; return them."""
        out = self.ids[: self.n].copy()
        self.slot[out] = ABSENT
        self.n = 0
        return out

    def _reserve(self, need: int) -> None:
        if need <= len(self.ids):
            return
        size = max(need, 2 * len(self.ids))
        self.ids = _grow(self.ids, size)
        self.cols = {name: _grow(col, size) for name, col in self.cols.items()}


def _plan_removal_numpy(
    ids: np.ndarray, slot: np.ndarray, dense: np.ndarray, new_n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Move the staying tail members into the holes (in the order of `ids`, from the
    lowest tail position up); returns (holes, movers) for the columns to follow."""
    pos = slot[ids]
    in_tail = np.zeros(len(ids), dtype=bool)
    in_tail[pos[pos >= new_n] - new_n] = True
    holes = pos[pos < new_n]
    movers = new_n + np.flatnonzero(~in_tail)
    dense[holes] = dense[movers]
    slot[dense[holes]] = holes
    slot[ids] = ABSENT
    return holes, movers


def _plan_removal(ids, slot, dense, new_n, n, holes, movers):  # fmt: skip
    """`_plan_removal_numpy`, compiled: writes holes and movers, returns how many."""
    n_holes = 0
    for agent in ids:
        p = slot[agent]
        if p < new_n:
            holes[n_holes] = p
            n_holes += 1
        else:
            dense[p] = ABSENT  # a leaving tail member: not a mover
        slot[agent] = ABSENT
    n_movers = 0
    for p in range(new_n, n):
        if dense[p] != ABSENT:
            movers[n_movers] = p
            n_movers += 1
    for j in range(n_holes):
        agent = dense[movers[j]]
        dense[holes[j]] = agent
        slot[agent] = holes[j]
    return n_holes


def distinct_positions(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """k distinct positions of range(n), uniformly. When collisions are unlikely, draw with
    replacement and redraw on a repeat (exact rejection sampling, and much cheaper than
    `choice(replace=False)` for small k); otherwise let numpy choose."""
    if k * k < n:
        while True:
            positions = rng.integers(0, n, size=k)
            if _all_distinct(positions):
                return positions
    return rng.choice(n, size=k, replace=False)


def _all_distinct(values: np.ndarray) -> bool:
    if len(values) < 64:  # a Python set is quicker than a sort for a few
        return len(set(values.tolist())) == len(values)
    ordered = np.sort(values)
    return bool((ordered[1:] != ordered[:-1]).all())


def _grow(array: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, dtype=array.dtype)
    out[: len(array)] = array
    return out


(_jit_plan_removal,) = compile_all(_plan_removal)
