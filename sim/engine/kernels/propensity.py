"""The compiled loops of `sim.engine.propensity`."""

from __future__ import annotations

import numpy as np

from sim.engine.compiled import compile_all

STEPS = 4096  # equal steps of probability in the bulk
TAIL_STEPS = 16  # of them, at each end, covered by the tail tables instead


def _bulk(u, table, bulk, p, tails):  # fmt: skip
    """The bulk's interpolation of `quantiles`, compiled (the same arithmetic, so the same
    values, as its numpy lines); lists the draws that fall in a tail, returns how many."""
    n_tails = 0
    for j in range(len(u)):
        x = u[j] * STEPS
        k = np.intp(x)
        row = table[j]
        left = bulk[row, k]
        p[j] = left + (x - k) * (bulk[row, k + 1] - left)
        tails[n_tails] = j
        n_tails += (k < TAIL_STEPS) | (k >= STEPS - TAIL_STEPS)
    return n_tails


(bulk,) = compile_all(
    _bulk
)  # fmt: skip
