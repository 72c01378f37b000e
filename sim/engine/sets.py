"""A set of agent ids with O(k) insertion, removal and uniform random draws.

Members sit in a dense array; a `slot` array (shared by every set of one app, since an agent is
in at most one of them) remembers each member's position. Removing k members moves at most k
others from the tail into the holes. Optional named columns travel with each member (the
engaged users' activity threshold, last active day, registration month, segment and lapse
day), so the daily activity step reads and writes contiguous arrays, not scattered ones.
`SegmentSets` keeps one set per segment and draws from all of them at once: a partial
Fisher-Yates shuffle moves each draw into its set's tail, so taking k members costs k swaps
and no redraws. The hot loops are compiled where numba is installed, with numpy twins that
leave the same arrangement.
"""

from __future__ import annotations

import numpy as np

from sim.engine import draws
from sim.engine.compiled import use_compiled
from sim.engine.kernels import sets as kernels
from sim.engine.kernels.sets import NO_SET
from sim.model.encodings import ABSENT


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

    def grow_by(self, k: int) -> int:
        """Make room for k new members, to be written by the caller (ids, columns and
        slots) at rows start .. start + k - 1; returns start."""
        start = self.n
        self._reserve(start + k)
        self.n += k
        return start

    def remove(self, ids: np.ndarray) -> None:
        """Remove distinct ids that are members of this set: the members in the tail that
        stay fill the holes the others leave below the new size (one compiled pass over the
        ids where numba is installed; numpy otherwise, same arrangement)."""
        k = len(ids)
        if k == 0:
            return
        new_n = self.n - k
        if use_compiled(kernels.plan_removal):
            holes, movers = np.empty(k, np.int32), np.empty(k, np.int32)
            n_moves = kernels.plan_removal(ids, self.slot, self.ids, new_n, self.n, holes, movers)
            holes, movers = holes[:n_moves], movers[:n_moves]
        else:
            holes, movers = _plan_removal_numpy(ids, self.slot, self.ids, new_n)
        for col in self.cols.values():
            col[holes] = col[movers]
        self.n = new_n

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


class SegmentSets:
    """One `IndexedSet` per segment (an app's pool, or its dormant users), sharing the
    app's slot array: draws are uniform within a segment. Adding and taking handle every
    segment in one compiled pass where numba is installed (numpy per segment otherwise,
    same arrangement)."""

    def __init__(self, slot: np.ndarray, segments: list[int]):
        self.slot, self.segments = slot, segments
        self.sets = [IndexedSet(slot) for _ in segments]
        self.set_of = np.full(256, NO_SET, dtype=np.int64)  # by (uint8) segment code
        self.set_of[segments] = np.arange(len(segments))
        self.codes = np.array(segments, dtype=np.uint8)

    def __len__(self) -> int:
        return sum([s.n for s in self.sets])  # (the recorder asks for every app every day)

    def sizes(self) -> np.ndarray:
        """Members per segment, in the order of `segments`."""
        return np.array([s.n for s in self.sets], dtype=np.int64)

    def add(self, ids: np.ndarray, segs: np.ndarray) -> np.ndarray:
        """Insert ids (in no set of the app), each into its segment's set, in order;
        returns how many went to each set (in the order of `segments`)."""
        if len(ids) == 0:
            return np.zeros(len(self.sets), dtype=np.int64)
        if not use_compiled(kernels.add_by_index):
            index = self.set_of[segs]
            groups = [ids[index == i] for i in range(len(self.sets))]
            for members, group in zip(self.sets, groups, strict=True):
                members.add(group)
            return np.array([len(g) for g in groups], dtype=np.int64)
        counts = kernels.count_by_index(segs, self.set_of, len(self.sets))
        starts = np.empty(len(self.sets), dtype=np.int64)
        for i, k in enumerate(counts.tolist()):
            starts[i] = self.sets[i].grow_by(k) if k else self.sets[i].n
        dense = tuple(m.ids for m in self.sets)
        kernels.add_by_index(ids, segs, self.set_of, starts, dense, self.slot)
        return counts

    def add_run(
        self, run: range, segment_of: np.ndarray, state: np.ndarray, free: int, mark: int
    ) -> np.ndarray:
        """Insert the agents of a run of ids whose state is `free` and whose segment has a
        set here, each into its segment's set in id order, and set their state to `mark`;
        returns how many went to each set. Compiled: one counting pass over the run, then
        one pass per set, with no index arrays (a launch admits tens of millions of agents,
        whose fresh temporaries this machine is slow to touch for the first time)."""
        lo, hi = run.start, run.stop
        if not use_compiled(kernels.count_run):
            segs = segment_of[lo:hi]
            fresh = (state[lo:hi] == free) & (self.set_of[segs] != NO_SET)
            if fresh.all():  # the usual case (and a launch's millions): no index arrays
                new = np.arange(lo, hi, dtype=np.int32)
                state[lo:hi] = mark
            else:
                new = (lo + np.flatnonzero(fresh)).astype(np.int32)
                segs = segs[fresh]
                state[new] = mark
            return self.add(new, segs)
        counts = np.zeros(len(self.sets), np.int64)
        kernels.count_run(lo, hi, segment_of, state, free, self.set_of, counts)
        for i, members in enumerate(self.sets):
            if counts[i]:
                row = members.grow_by(int(counts[i]))
                kernels.fill_run(lo, hi, segment_of, state, free, mark, self.set_of, i,
                              members.ids, row, self.slot)  # fmt: skip
        return counts

    def take(self, rng: np.random.Generator, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Draw counts[i] distinct members uniformly from segment i's set (capped at its
        size) and remove them; returns them, segment by segment, and their segments.

        A partial Fisher-Yates shuffle into each set's tail: draw d is uniform over the
        n - d members not yet drawn and swaps with the last of them, then the set shrinks.
        No redraws and no holes to fill: one draw of uniforms and one pass for all segments.
        A uniform u picks position floor(u (n - d)), within 2**-53 of uniform."""
        sizes = self.sizes()
        counts = np.minimum(counts, sizes)
        total = int(counts.sum())
        if total == 0:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.uint8)
        uniforms = draws.uniforms(rng, total)
        taken = np.empty(total, dtype=np.int32)
        if use_compiled(kernels.take_by_index):
            dense = tuple(m.ids for m in self.sets)
            kernels.take_by_index(uniforms, counts, sizes, dense, self.slot, taken)
        else:
            start = 0
            for members, k in zip(self.sets, counts.tolist(), strict=True):
                if k:
                    mine = slice(start, start + k)
                    taken[mine] = _take_into_tail(uniforms[mine], members.ids, self.slot, members.n)
                    start += k
        for members, k in zip(self.sets, counts.tolist(), strict=True):
            members.n -= k
        return taken, np.repeat(self.codes, counts)

    def remove(self, ids: np.ndarray, segs: np.ndarray) -> None:
        """Remove distinct members, of segments `segs`."""
        index = self.set_of[segs]
        for i, members in enumerate(self.sets):
            members.remove(ids[index == i])

    def clear(self) -> np.ndarray:
        """Remove every member; return them."""
        return np.concatenate([m.clear() for m in self.sets] or [np.empty(0, np.int32)])


def _take_into_tail(
    uniforms: np.ndarray, dense: np.ndarray, slot: np.ndarray, n: int
) -> np.ndarray:
    """One set's partial Fisher-Yates shuffle into its tail, in numpy: draw d takes the
    member at floor(uniforms[d] (n - d)) and moves the last undrawn one, at n - 1 - d, into
    its place. When no draw lands where an earlier one wrote (distinct picks, none in the
    last k positions) the swaps are independent and run as a few vectorised steps;
    otherwise (rare unless k is near n) they run one by one."""
    k = len(uniforms)
    last = n - 1 - np.arange(k)
    picks = np.minimum((uniforms * (last + 1)).astype(np.int64), last)
    if picks.max() < n - k and _all_distinct(picks):
        taken = dense[picks]
        moved = dense[last]
        dense[picks] = moved
        slot[moved] = picks
        slot[taken] = ABSENT
        return taken
    taken = np.empty(k, dtype=np.int32)
    for d, p in enumerate(picks.tolist()):
        agent, moved = dense[p], dense[n - 1 - d]
        dense[p] = moved
        slot[moved] = p
        slot[agent] = ABSENT
        taken[d] = agent
    return taken


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
