"""Estimating a run's memory before allocating it, and refusing runs that cannot fit.

Per agent the engine keeps a few population arrays and, per app, the state arrays of
`apps.AppState` plus one member-set entry; the recorder adds fixed per-day tables. The bytes
per agent below are counted from those dtypes, with headroom for transient arrays.
"""

from __future__ import annotations

import os

import numpy as np

from .calendar import Calendar
from .errors import UsageError
from .population import agents_per_day
from .schema import Scenario

# segment, eligible day, suite last, n apps, month mask; the activity step's work arrays
# (3 x int32 for up to ~60% of agents engaged in the largest app)
POPULATION_BYTES = 1 + 4 + 2 + 1 + 2 + 7
# state, slot, propensity, last active, reg month; a set entry (an engaged one carries id,
# threshold, last active day, registration month, segment and lapse day)
APP_BYTES = 1 + 4 + 4 + 2 + 2 + 13
HEADROOM = 1.5  # transient copies during a day (draws, masks, gathers)


def bytes_per_agent(n_apps: int) -> float:
    return (POPULATION_BYTES + n_apps * APP_BYTES) * HEADROOM


def estimate_bytes(scenario: Scenario, scale: float) -> int:
    """Bytes a run of `scenario` at `scale` is expected to need at its peak."""
    cal = Calendar(scenario.horizon.start, scenario.horizon.end)
    n_agents = int(agents_per_day(scenario.population, cal, scale)[-1])
    n_apps = len(scenario.apps)
    fixed = cal.n_days * (n_apps + 1) * 8 * 16 + cal.n_months**2 * n_apps * 8
    return int(n_agents * bytes_per_agent(n_apps) + fixed + 150e6)


def available_bytes() -> int:
    """Memory this machine can give a run (MemAvailable, or total RAM if unknown)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def check_memory(scenario: Scenario, scale: float) -> int:
    """Raise UsageError if the run would not fit in memory; return the estimate."""
    need = estimate_bytes(scenario, scale)
    have = available_bytes()
    if need <= have * 0.9:
        return need
    smallest = _smallest_scale_that_fits(scenario, have * 0.9)
    raise UsageError(
        f"scenario {scenario.name!r} at scale {scale:g} needs about {need / 2**30:.1f} GiB but "
        f"only {have / 2**30:.1f} GiB is available; use --scale {smallest:g} or coarser"
    )


def _smallest_scale_that_fits(scenario: Scenario, budget: float) -> float:
    for scale in np.geomspace(1, 1e6, 61):
        if estimate_bytes(scenario, float(scale)) <= budget:
            return float(np.ceil(scale))
    return 1e6
