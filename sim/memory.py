"""Estimating a run's memory before allocating it, and refusing runs that cannot fit.

Two estimates, the second only when the first does not fit:

- a bound from the dtypes alone: per agent, the population arrays and, per app, the state
  arrays of `apps.AppState` plus one member-set entry for every agent (as if each were an
  engaged user), with headroom for transient arrays. It cannot be short, but it counts
  ~2.5x what the baseline uses.
- a measurement: a pilot run of the same scenario with ~100,000 agents (about a second)
  whose arrays (per-agent ones, member sets at their grown capacity, recorder, work
  arrays) are summed once a month; their peak per agent, with headroom for the sets'
  growth steps and a day's transients, times the run's agents, plus the fixed tables and
  the interpreter with its libraries. Memory grows in proportion to agents (the tables
  that do not are counted apart), so a pilot measures what a fine run needs.
"""

from __future__ import annotations

import math
import os
from typing import Any

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
PILOT_AGENTS = 100_000
# a set's storage doubles when it fills: the pilot's sets may sit just past a doubling and
# the run's just before the next; plus a day's transients (draws, gathers)
PILOT_HEADROOM = 1.25
INTERPRETER_BYTES = 300e6  # Python, numpy, pandas, numba and the compiled kernels
BUDGET_SHARE = 0.9  # of the memory available, what a run may plan to use


def bytes_per_agent(n_apps: int) -> float:
    return (POPULATION_BYTES + n_apps * APP_BYTES) * HEADROOM


def estimate_bytes(scenario: Scenario, scale: float) -> int:
    """An upper bound of the bytes a run of `scenario` at `scale` needs at its peak."""
    return int(
        n_agents(scenario, scale) * bytes_per_agent(len(scenario.apps)) + fixed_bytes(scenario)
    )


def n_agents(scenario: Scenario, scale: float) -> int:
    cal = Calendar(scenario.horizon.start, scenario.horizon.end)
    return int(agents_per_day(scenario.population, cal, scale)[-1])


def fixed_bytes(scenario: Scenario) -> int:
    """The recorder's per-day and per-month tables (whatever the scale) and the
    interpreter with its libraries."""
    cal = Calendar(scenario.horizon.start, scenario.horizon.end)
    n_apps = len(scenario.apps)
    tables = cal.n_days * (n_apps + 1) * 8 * 16 + cal.n_months**2 * n_apps * 8
    return int(tables + INTERPRETER_BYTES)


def measured_bytes_per_agent(scenario: Scenario) -> float:
    """The peak bytes per agent of a pilot run with about `PILOT_AGENTS` agents: the
    engine's arrays summed on every 30th day and at the end (views counted once; the
    member sets never shrink, so their peak is in the next sum)."""
    from .engine import Engine

    scale = max(1.0, n_agents(scenario, 1.0) / PILOT_AGENTS)
    pilot = Engine(scenario, seed=0, scale=scale)
    sums = []

    def sample(day: int) -> None:
        if day % 30 == 0:
            sums.append(array_bytes(pilot))

    pilot.run(sample)
    sums.append(array_bytes(pilot))
    tables = fixed_bytes(scenario) - INTERPRETER_BYTES
    return max(max(sums) - tables, 0) / max(pilot.pop.n_agents, 1)


def array_bytes(root: Any) -> int:
    """Bytes of the numpy arrays reachable from `root` through appsim's own objects,
    lists, tuples and dicts; an array seen through several views counts once."""
    seen: set[int] = set()
    total = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, np.ndarray):
            while isinstance(obj.base, np.ndarray):
                obj = obj.base
            if id(obj) not in seen:
                seen.add(id(obj))
                total += obj.nbytes
        elif id(obj) in seen:
            continue
        elif isinstance(obj, dict):
            seen.add(id(obj))
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple):
            seen.add(id(obj))
            stack.extend(obj)
        elif type(obj).__module__.startswith("sim.") and hasattr(obj, "__dict__"):
            seen.add(id(obj))
            stack.extend(vars(obj).values())
    return total


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


def check_memory(scenario: Scenario, scale: float, at_once: int = 1) -> int:
    """Raise UsageError if the run would not fit in memory (`at_once` such runs at the same
    time: each may plan on that share of it); return the estimate (the bound where it
    fits, else the pilot's measurement)."""
    budget = available_bytes() * BUDGET_SHARE / max(at_once, 1)
    bound = estimate_bytes(scenario, scale)
    if bound <= budget:
        return bound
    per_agent = measured_bytes_per_agent(scenario) * PILOT_HEADROOM
    need = int(n_agents(scenario, scale) * per_agent + fixed_bytes(scenario))
    if need <= budget:
        return need
    finest = _finest_scale_that_fits(scenario, per_agent, budget)
    advice = f"use --scale {finest:g} or coarser" if finest else "no scale fits"
    if at_once > 1:
        advice += " (or fewer workers)"
    share = f"{BUDGET_SHARE:.0%} of the {available_bytes() / 2**30:.1f} GiB available"
    share += f", shared by {at_once} runs at once" if at_once > 1 else ""
    raise UsageError(
        f"scenario {scenario.name!r} at scale {scale:g} needs about {need / 2**30:.1f} GiB, "
        f"more than the {budget / 2**30:.1f} GiB a run may use ({share}); {advice}"
    )


def check_runs_at_once(runs: list[tuple[Scenario, float]], at_once: int) -> None:
    """Before starting `at_once` of these runs at the same time: the largest of them (most
    agents) must fit in its share of the memory (each run checks itself again as it
    starts, against what is left then)."""
    if at_once > 1 and runs:
        scenario, scale = max(runs, key=lambda run: n_agents(*run))
        check_memory(scenario, scale, at_once)


def _finest_scale_that_fits(scenario: Scenario, per_agent: float, budget: float) -> float:
    """The smallest whole scale whose run fits `budget` (0 if none does)."""
    room = budget - fixed_bytes(scenario)
    if room <= 0:
        return 0.0
    scale = max(1.0, math.ceil(n_agents(scenario, 1.0) * per_agent / room))
    while n_agents(scenario, scale) * per_agent > room:  # the rounding of agents per day
        scale += 1
    return float(scale)
