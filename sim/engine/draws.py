"""numpy's samplers for the small batches a run draws thousands of times a day.

A numpy Generator method costs 5-13 us a call on a handful of values (argument checks and
broadcasting), which at coarse scales is much of a run: lapse days, the binomial counts of
reactivation and adoption, the uniforms of a draw from a set. Compiled, the same sampler
(numba's port of numpy's, drawing from the same bit generator: `sim.engine.compiled.
generator_at`) costs under 1 us and gives the same numbers and leaves the same state. Each
function takes a `sim.model.streams.Stream`; any other Generator, or `APPSIM_KERNELS=numpy`,
takes numpy's method: the numpy twin.
"""

from __future__ import annotations

import numpy as np

from sim.engine.compiled import use_compiled
from sim.engine.kernels import draws as kernels


def geometric(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """`rng.geometric(p)` of an array of probabilities in (0, 1] (int64)."""
    pointers = getattr(rng, "pointers", None)
    if pointers is None or not use_compiled(kernels.geometric):
        return rng.geometric(p)
    out = np.empty(len(p), np.int64)
    kernels.geometric(pointers, p, out)
    return out


def binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """`rng.binomial(n, p)` of equal-length arrays: counts n >= 0 (int64), p in [0, 1]."""
    pointers = getattr(rng, "pointers", None)
    if pointers is None or not use_compiled(kernels.binomial):
        return rng.binomial(n, p)
    out = np.empty(len(n), np.int64)
    kernels.binomial(pointers, n, p, out)
    return out


def uniforms(rng: np.random.Generator, k: int) -> np.ndarray:
    """`rng.random(k)`: k uniforms in [0, 1) (float64)."""
    pointers = getattr(rng, "pointers", None)
    if pointers is None or not use_compiled(kernels.uniforms):
        return rng.random(k)
    out = np.empty(k)
    kernels.uniforms(pointers, out)
    return out
