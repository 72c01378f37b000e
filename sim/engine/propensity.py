"""Activity propensities, Beta(a, b) per segment, drawn by inverting a table of quantiles.

numpy draws a Beta as the ratio of two Gamma draws, each by rejection: about 60 ns a draw,
and a run at 1:10 draws 90 million (one per registration). Here a draw is one uniform u and
the Beta's quantile function at u, read off tables made once per (a, b) with scipy's exact
inverse (`scipy.special.betaincinv`):

- in the bulk, 4,096 equal steps of probability, interpolated linearly (a compiled loop
  where numba is installed, the same arithmetic as its numpy twin: the same values);
- in each tail (the first and last 16 steps, where the quantile function is steepest), steps
  of 1/8 octave of the distance to the end, down to 2**-48 of it (a 53-bit uniform reaches
  2**-45), interpolating the logarithm of the distance of the quantile to 0 (or to 1): a
  Beta's tails are power laws, which that interpolation follows.

A draw is thus a deterministic function of one uniform. Its place in the exact distribution,
F(drawn), is within 1e-4 of the exact quantile's, F(Q(u)), for means 0.001-0.9 and
concentrations 0.2-1,000 (`tests/engine/test_propensity.py`; 2e-5 for the baseline's): a sampler
within 1e-4 of the Beta in Kolmogorov distance, where numpy's is exact up to rounding.
(With a below about 1e-4, the top tail's quantiles under 1e-16 come out as 0: the same
propensity, whose activity threshold and lapse factor are those of 0.) It takes 7-19 ns a
draw on batches of 20,000-1,500 against numpy's 53-61 ns.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special

from sim.engine import draws
from sim.engine.compiled import use_compiled
from sim.engine.kernels import propensity as kernels
from sim.engine.kernels.propensity import STEPS, TAIL_STEPS

EDGE = TAIL_STEPS / STEPS  # probability in each tail table
PER_OCTAVE = 8
OCTAVES = 48
TINY = 1e-300  # the least quantile kept (one that underflows has no logarithm)
TABLE_BYTES = (STEPS + 1 + 2 * (OCTAVES * PER_OCTAVE + 1)) * 8  # one (a, b)'s tables, float64


@lru_cache(maxsize=256)
def quantile_tables(a: float, b: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bulk table (quantiles at u = k / STEPS) and the tails' tables: the log of the
    quantile at u = EDGE * 2**-s (bottom) and the log of 1 - the quantile at 1 - u (top),
    for s = j / PER_OCTAVE."""
    if not (a > 0 and b > 0):  # a mean x concentration that underflowed: no Beta
        raise ValueError(f"Beta parameters must be positive, got a={a}, b={b}")
    bulk = np.maximum(special.betaincinv(a, b, np.arange(STEPS + 1) / STEPS), TINY)
    reach = EDGE * np.exp2(-np.arange(OCTAVES * PER_OCTAVE + 1) / PER_OCTAVE)
    bottom = np.log(np.maximum(special.betaincinv(a, b, reach), TINY))
    # 1 - Q(1 - r) is the quantile of Beta(b, a) at r: exact where 1 - Q would round to 1
    top = np.log(np.maximum(special.betaincinv(b, a, reach), TINY))
    return bulk, bottom, top


class PropensityTables:
    """The quantile tables of an app's segments, stacked for drawing by segment."""

    def __init__(self, a: np.ndarray, b: np.ndarray, segments: list[int]):
        pairs = sorted({(float(a[s]), float(b[s])) for s in segments})
        tables = [quantile_tables(*pair) for pair in pairs]
        self.bulk = np.stack([t[0] for t in tables]) if tables else np.zeros((0, STEPS + 1))
        self.bottom = np.stack([t[1] for t in tables]) if tables else np.zeros((0, 1))
        self.top = np.stack([t[2] for t in tables]) if tables else np.zeros((0, 1))
        self.table_of = np.zeros(len(a), np.intp)  # by segment code
        for s in segments:
            self.table_of[s] = pairs.index((float(a[s]), float(b[s])))

    def draw(self, rng: np.random.Generator, segs: np.ndarray) -> np.ndarray:
        """One propensity per agent of segments `segs` (float32), from one uniform each."""
        u = draws.uniforms(rng, len(segs))
        return self.quantiles(u, self.table_of[segs]).astype(np.float32)

    def quantiles(self, u: np.ndarray, table: np.ndarray) -> np.ndarray:
        """The quantiles at probabilities `u` of the Betas of tables `table` (float64)."""
        p: np.ndarray
        if use_compiled(kernels.bulk):
            p, tails = np.empty(len(u)), np.empty(len(u), np.intp)
            tails = tails[: kernels.bulk(u, table, self.bulk, p, tails)]
        else:
            x = u * STEPS
            k = x.astype(np.intp)
            at = table * (STEPS + 1) + k  # flat indices: numpy's fastest gather
            left = self.bulk.take(at)
            p = left + (x - k) * (self.bulk.take(at + 1) - left)
            tails = np.flatnonzero((k < TAIL_STEPS) | (k >= STEPS - TAIL_STEPS))
        if len(tails):
            p[tails] = self._tails(u[tails], table[tails])
        return p

    def _tails(self, u: np.ndarray, table: np.ndarray) -> np.ndarray:
        low = u < 0.5
        reach = np.where(low, u, 1.0 - u)  # the distance to the end, in probability
        s = -np.log2(np.maximum(reach, TINY) / EDGE) * PER_OCTAVE
        j = np.minimum(s.astype(np.intp), OCTAVES * PER_OCTAVE - 1)
        frac = np.minimum(s - j, 1.0)
        at = table * (OCTAVES * PER_OCTAVE + 1) + j
        left = np.where(low, self.bottom.take(at), self.top.take(at))
        right = np.where(low, self.bottom.take(at + 1), self.top.take(at + 1))
        q = np.exp(left + frac * (right - left))
        return np.where(low, q, 1.0 - q)
