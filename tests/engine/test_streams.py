"""A daily stream rewound in place draws what a generator made afresh at that day draws."""

from __future__ import annotations

import numpy as np

from sim.model.streams import Streams, _seed_sequence


def _fresh(seed: int, key: str, day: int) -> np.random.Generator:
    words = _seed_sequence(seed, key).generate_state(2, np.uint64)
    return np.random.Generator(np.random.Philox(key=words, counter=[0, 0, 0, day]))


def test_a_rewound_daily_stream_draws_as_a_fresh_one():
    streams = Streams(11)
    assert streams.daily(0, "adoption", "bank").rewind is not None  # the in-place rewind
    for day in [5, 3, 3, 2556, 0, 17]:
        rng = streams.daily(day, "adoption", "bank")
        expected = _fresh(11, "adoption/bank", day)
        assert rng.random(3).tolist() == expected.random(3).tolist()
        # a 32-bit draw leaves a half word buffered: the next rewind must forget it
        assert rng.integers(0, 10, dtype=np.uint32) == expected.integers(0, 10, dtype=np.uint32)
        assert (
            rng.geometric(np.array([0.1, 0.5])).tolist()
            == expected.geometric(np.array([0.1, 0.5])).tolist()
        )
