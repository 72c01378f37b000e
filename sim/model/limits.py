"""Bounds shared by the command line, the scenario schema and the memory guard."""

SCALE_MIN, SCALE_MAX = 1.0, 1e7  # customers per simulated agent
