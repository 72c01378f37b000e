"""Named random streams: one seed per run, one independent generator per mechanism and app.

A stream's seed derives from the run seed and the stream's *name*, not from the order in which
streams are created. So two scenarios that differ in one lever draw the same numbers for
everything else (common random numbers), and adding an app does not reshuffle the others.
"""

from __future__ import annotations

import hashlib

import numpy as np


class Streams:
    """Factory of named `numpy.random.Generator`s for one run."""

    def __init__(self, seed: int):
        if seed < 0:
            raise ValueError(f"seed must be >= 0 (got {seed})")
        self.seed = seed
        self._made: dict[str, np.random.Generator] = {}

    def get(self, *name: str) -> np.random.Generator:
        """The generator named by the parts of `name`, e.g. get('adoption', 'elife', 'youth')."""
        key = "/".join(name)
        if key not in self._made:
            self._made[key] = np.random.default_rng(_seed_sequence(self.seed, key))
        return self._made[key]


def _seed_sequence(seed: int, key: str) -> np.random.SeedSequence:
    digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
    words = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    return np.random.SeedSequence(entropy=seed, spawn_key=words)
