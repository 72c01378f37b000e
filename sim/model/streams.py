"""Named random streams: one seed per run, one independent generator per mechanism and app.

A stream's seed derives from the run seed and the stream's *name*, not from the order in which
streams are created. So two scenarios that differ in one lever draw the same numbers for
everything else (common random numbers), and adding an app does not reshuffle the others.

Daily mechanisms use `daily(day, ...)`: a counter-based generator (Philox) keyed by the name
and positioned at the day. How many numbers a mechanism consumed yesterday (which a lever may
change) then cannot shift today's draws, so paired scenarios stay in step day after day.
"""

from __future__ import annotations

import ctypes
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


class Stream(np.random.Generator):
    """A `numpy.random.Generator` that also holds the addresses compiled loops draw from
    (`pointers`: what `sim.engine.compiled.generator_at` reads). Passing a Generator itself
    to a compiled function costs about 17 us of unboxing a call; an array of its bit
    generator's addresses costs 0.4 us, and the draws are the same numbers from the same
    state, which the numpy methods then continue from."""

    def __init__(self, bits: np.random.BitGenerator):
        super().__init__(bits)
        self.pointers = bit_generator_pointers(bits)
        self.rewind: Callable[[int], None] | None = None  # set by `_rewindable`


def bit_generator_pointers(bits: np.random.BitGenerator) -> np.ndarray:
    """The addresses numba's Generator model holds, in its order: the state (twice), the
    next_uint64, next_uint32 and next_double functions, and the bit generator struct. They
    stay valid while `bits` lives (setting its `state` rewrites the struct in place)."""
    c = bits.ctypes

    def address(function: Any) -> int:
        return int(ctypes.cast(function, ctypes.c_void_p).value or 0)

    words = [c.state_address, c.state.value, address(c.next_uint64), address(c.next_uint32),
             address(c.next_double), c.bit_generator.value]  # fmt: skip
    return np.array(words, dtype=np.uint64)


class Streams:
    """Factory of named `Stream`s (numpy Generators) for one run."""

    def __init__(self, seed: int):
        if seed < 0:
            raise ValueError(f"seed must be >= 0 (got {seed})")
        self.seed = seed
        self._made: dict[str, Stream] = {}
        self._daily: dict[str, tuple[Stream, dict[str, Any]]] = {}

    def daily(self, day: int, *name: str) -> Stream:
        """The generator of stream `name` for one day: independent of every other day's.
        It is the stream's one generator, rewound: valid until the next `daily` of `name`."""
        key = "/".join(name)
        if key not in self._daily:
            words = _seed_sequence(self.seed, key).generate_state(2, np.uint64)
            self._daily[key] = _rewindable(np.random.Philox(key=words))
        generator, state = self._daily[key]
        if generator.rewind is not None:
            generator.rewind(day)
            return generator
        # rewinding the stream's one generator to a prepared state costs a sixteenth of
        # making a new one (and a quarter of editing the generator's own state)
        state["state"]["counter"][3] = day
        generator.bit_generator.state = state
        return generator

    def get(self, *name: str) -> Stream:
        """The generator named by the parts of `name`, e.g. get('adoption', 'elife', 'youth')."""
        key = "/".join(name)
        if key not in self._made:
            # what np.random.default_rng(seed sequence) makes
            self._made[key] = Stream(np.random.PCG64(_seed_sequence(self.seed, key)))
        return self._made[key]


def _seed_sequence(seed: int, key: str) -> np.random.SeedSequence:
    digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
    words = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    return np.random.SeedSequence(entropy=seed, spawn_key=words)


def _rewindable(bits: np.random.Philox) -> tuple[Stream, dict[str, Any]]:
    """A generator and the state that rewinds it to a counter as freshly made (its buffer
    empty); `daily` sets the counter's last word to the day."""
    state: dict[str, Any] = dict(bits.state)
    state["state"] = {**state["state"], "counter": np.zeros(4, np.uint64)}
    state.update(buffer_pos=4, has_uint32=0, uinteger=0)
    stream = Stream(bits)
    stream.rewind = _raw_rewind(stream, state)
    return stream, state


def _raw_rewind(stream: Stream, state: dict[str, Any]) -> Callable[[int], None] | None:
    """A function that rewinds the stream to `state` at a day by writing numpy's Philox
    state struct in place (its counter, then buffer position, buffer, has_uint32 and
    uinteger: numpy's philox.h), in half the time of setting `bit_generator.state` from
    a dict, which a run does 60,000 times. Checked once against setting the state: None
    (rewind through the dict) if this numpy lays the struct out otherwise."""
    bits = stream.bit_generator
    words = np.ctypeslib.as_array((ctypes.c_uint64 * 8).from_address(int(stream.pointers[0])))
    counter = np.ctypeslib.as_array((ctypes.c_uint64 * 4).from_address(int(words[0])))
    # buffer_pos (an int, then padding), the four buffered words, has_uint32 and uinteger
    tail = np.array([state["buffer_pos"], *state["buffer"], 0], np.uint64)
    day = np.zeros(4, np.uint64)

    def rewind(d: int) -> None:
        day[3] = d
        counter[:] = day
        words[2:] = tail

    saved = bits.state
    rewind(2557)
    made = bits.state
    bits.state = saved
    state["state"]["counter"][3] = 2557
    if _same_state(made, state):
        return rewind
    return None


def _same_state(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    def flat(s: Mapping[str, Any]) -> tuple[Any, ...]:
        inner = s["state"]
        return (s["bit_generator"], tuple(inner["counter"].tolist()), tuple(inner["key"].tolist()),
                tuple(np.asarray(s["buffer"]).tolist()), s["buffer_pos"], s["has_uint32"],
                s["uinteger"])  # fmt: skip

    return flat(a) == flat(b)


# counter-based 16-bit draws of the activity step: its compiled loop makes them on the fly
GOLDEN, MIX1, MIX2 = (
    np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
)


def uniform16(key: np.uint64, n: int) -> np.ndarray:
    """n uniform 16-bit draws: the four 16-bit lanes of SplitMix64(key + j x golden) for
    j = 0, 1, ... (little-endian lane order, as the compiled loop reads them)."""
    counters = np.arange((n + 3) // 4, dtype=np.uint64)
    return splitmix(key + counters * GOLDEN).view(np.uint16)[:n]


def splitmix(z: Any) -> Any:
    """SplitMix64's finaliser (Steele, Lea and Flood 2014), on a uint64 or an array of them."""
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))
