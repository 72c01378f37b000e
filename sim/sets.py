"""A set of agent ids with O(k) insertion, removal and uniform random draws.

Members sit in a dense array; a `slot` array (shared by every set of one app, since an agent is
in at most one of them) remembers each member's position. Removing k members moves at most k
others from the tail into the holes, all in vectorised steps. Optional named columns travel with
each member (the engaged users' activity threshold, last active day, registration month and
segment), so the daily activity step reads and writes contiguous arrays, not scattered ones.
"""

from __future__ import annotations

import numpy as np

ABSENT = -1
SMALL = 8  # removals of up to this many ids go one by one


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
        """Remove distinct ids that are members of this set."""
        k = len(ids)
        if k == 0:
            return
        if k <= SMALL:
            self._remove_few(ids)
            return
        pos = self.slot[ids]
        new_n = self.n - k
        in_tail = np.zeros(k, dtype=bool)
        in_tail[pos[pos >= new_n] - new_n] = True
        holes = pos[pos < new_n]
        movers = new_n + np.flatnonzero(~in_tail)
        self.ids[holes] = self.ids[movers]
        for col in self.cols.values():
            col[holes] = col[movers]
        self.slot[self.ids[holes]] = holes
        self.slot[ids] = ABSENT
        self.n = new_n

    def _remove_few(self, ids: np.ndarray) -> None:
        """Swap-remove one at a time: for a handful of ids, cheaper than the vector path."""
        dense, slot, cols = self.ids, self.slot, self.cols.values()
        for agent in ids.tolist():
            pos = int(slot[agent])
            last = self.n - 1
            if pos != last:
                mover = int(dense[last])
                dense[pos] = mover
                slot[mover] = pos
                for col in cols:
                    col[pos] = col[last]
            slot[agent] = ABSENT
            self.n = last

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


def distinct_positions(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """k distinct positions of range(n), uniformly. When collisions are unlikely, draw with
    replacement and redraw on a repeat (exact rejection sampling, and much cheaper than
    `choice(replace=False)` for small k); otherwise let numpy choose."""
    if k * k < n:
        while True:
            positions = rng.integers(0, n, size=k)
            if k == 1 or len(set(positions.tolist())) == k:
                return positions
    return rng.choice(n, size=k, replace=False)


def _grow(array: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, dtype=array.dtype)
    out[: len(array)] = array
    return out
