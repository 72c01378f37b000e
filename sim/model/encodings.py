"""How the model's state is written into arrays: one definition used by every engine.

A customer's state in an app is a small code; a day is an int16 counted from the horizon's
start, with a few codes below zero for "before the horizon" and "never"; an engaged row's
registration month carries two flags of the suite's book; a daily activity probability is
a 16-bit threshold (active when a uniform 16-bit draw is below it) and a lever's multiplier
a fixed-point number in units of 1/65536. The fast engine's numpy code, its compiled loops
and the reference engine all read these from here, so they cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# a customer's state in one app; ENGAGED and LAPSED adjacent: together, "registered"
OUT, POOL, ENGAGED, LAPSED, GONE = 0, 1, 2, 3, 4
ABSENT = -1  # a customer's slot (row) in an app's sets when it is in none of them

NO_DAY = -64  # the last active day of a customer never active
PAST = -NO_DAY  # bin of day d is d + PAST: bins below PAST hold pre-horizon history, bin 0 "never"
LAST_DAY = np.iinfo(np.int16).max  # a lapse day past the horizon: "never"

# an engaged row's `reg` holds the registration month in its low bits and two flags
# (`sim.engine.suite_book`): SOLO, its customer is engaged in no other suite app;
# SYNCED, and the row's last active day is the customer's last in the suite
REG_MONTH, SOLO, SYNCED = 0x0FFF, 0x1000, 0x2000
ALONE = SOLO | SYNCED  # a row whose actives move the suite's histogram by themselves

THRESHOLD_UNIT = 65536.0  # a probability of 1 as a 16-bit threshold (held as 65535)
ONE = np.uint64(65536)  # a multiplier of 1 in fixed point


def activity_threshold(propensity: Any) -> Any:
    """A daily activity probability (a float or an array of them) as a 16-bit threshold,
    still as floats: the caller casts to uint16. Compiled loops call this same function."""
    return np.minimum(np.rint(propensity * THRESHOLD_UNIT), THRESHOLD_UNIT - 1.0)
