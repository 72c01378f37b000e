"""Bounds shared by the command line, the scenario schema and the memory guard."""

SCALE_MIN, SCALE_MAX = 1.0, 1e7  # customers per simulated agent
SCALE_RANGE_TEXT = "1 and 1e7"  # as messages write them (`:g` would write 1e+07)
SCALE_MAX_TEXT = "1e7"
# customers of one bank: more than the world's population (about 8e9) is a typo or a unit
# mistake, and numbers far past it overflow the engine's integer agent counts
MAX_CUSTOMERS, MAX_CUSTOMERS_TEXT = 1e10, "1e10"
