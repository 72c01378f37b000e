"""The mechanisms' formulas, written once for every engine.

The fast engine applies them to a segment's or a day's arrays, the reference engine to one
customer's floats; numpy's functions take both. Keeping them here means a change to the model
is a change to one line, and the engines' equivalence tests check the engines, not two
copies of the model.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def lapse_hazard(base: Any, propensity: Any, exponent: Any) -> Any:
    """A newly engaged user's daily hazard of lapsing: the segment's base hazard, falling
    with the user's activity propensity ((1 - p) ** exponent), at most 1."""
    return np.minimum(base * (1.0 - propensity) ** exponent, 1.0)


def market_potential(ceiling: Any, ceiling_multiplier: Any, eligible: Any) -> Any:
    """A segment's Bass market potential: its ceiling share (x the levers' multiplier, at
    most 1) of the eligible customers, in whole agents."""
    return np.floor(np.minimum(1.0, ceiling * ceiling_multiplier) * eligible)


def word_of_mouth(registered: float, potential: float) -> float:
    """Bass's F: the app's registered users over its whole market potential (at most 1)."""
    return min(1.0, registered / potential) if potential > 0 else 0.0


def adoption_hazard(p: Any, q: Any, word_of_mouth: float, acquisition: Any) -> Any:
    """Bass's daily hazard of adopting, p + q F, times the levers' acquisition multiplier."""
    return np.clip((p + q * word_of_mouth) * acquisition, 0.0, 1.0)
