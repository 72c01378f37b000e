"""Estimating a run's memory before allocating it, and refusing runs that cannot fit.

Two estimates, the second only when the first does not fit:

- a bound from the dtypes alone: per agent, the population arrays and, per app, the state
  arrays of `apps.AppState` plus one member-set entry for every agent (as if each were an
  engaged user), with headroom for transient arrays. It cannot be short, but it counts
  ~2.5x what the baseline uses.
- a measurement: a pilot run of the same scenario with ~100,000 agents (a few seconds)
  whose arrays (per-agent ones, member sets at their grown capacity, recorder, work
  arrays) are summed at the end of every day; their peak per agent, with headroom for
  the sets' growth steps and a day's transients, times the run's agents, plus the fixed
  tables and the interpreter with its libraries. Memory grows in proportion to agents
  (the tables that do not are counted apart), so a pilot measures what a fine run needs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.engine import mem_limits
from sim.engine.population import agents_per_day
from sim.engine.propensity import TABLE_BYTES
from sim.errors import UsageError
from sim.model.calendar import Calendar
from sim.scenario.limits import SCALE_MAX, SCALE_MAX_TEXT
from sim.scenario.load import scenario_hash
from sim.scenario.schema import Scenario

# segment, eligible day, suite last, n apps, suite apps engaged in, month mask; the activity
# step's work arrays (3 x int32 for up to ~60% of agents engaged in the largest app)
POPULATION_BYTES = 1 + 4 + 2 + 1 + 1 + 2 + 7
# state, slot, propensity, last active, reg month; a set entry (an engaged one carries id,
# threshold, last active day, registration month, segment and lapse day)
APP_BYTES = 1 + 4 + 4 + 2 + 2 + 13
HEADROOM = 1.5  # transient copies during a day (draws, masks, gathers)
PILOT_AGENTS = 100_000
# a set's storage doubles when it fills (for the copy, old and new storage at once) and the
# pilot may sit just past a doubling where the run sits just before the next; and a day's
# transients (draws, gathers, a delisting's migrations) come and go between two samples:
# tracemalloc saw a run allocate up to 1.2x the pilot's peak per agent (a short-lived app
# delisted into another, tests/engine/test_memory.py)
PILOT_HEADROOM = 1.35
# Python with numpy, scipy, pandas and numba, and the compiled kernels. A baseline run of
# 22,667 agents: 134 MB of its own memory (214 MB when it compiles the kernels) and 370 MB
# of library files mapped, of which 145-290 MB were resident in most runs (as much as the
# page cache holds of them); a run within the test suite peaked at 642 MB in all
INTERPRETER_BYTES = 750e6
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
    """The recorder's per-day and per-month tables and the propensities' quantile tables
    (at most one per app and segment), whatever the scale, and the interpreter with its
    libraries."""
    cal = Calendar(scenario.horizon.start, scenario.horizon.end)
    n_apps = len(scenario.apps)
    tables = cal.n_days * (n_apps + 1) * 8 * 16 + cal.n_months**2 * n_apps * 8
    tables += n_apps * len(scenario.population.segments) * TABLE_BYTES
    return int(tables + INTERPRETER_BYTES)


_PILOTS: dict[str, float] = {}  # bytes per agent, by scenario hash


def measured_bytes_per_agent(scenario: Scenario) -> float:
    """The peak bytes per agent of a pilot run with about `PILOT_AGENTS` agents: the
    engine's arrays and the activity step's work arrays summed at the end of every day
    (views counted once), less the tables that do not grow with agents (the recorder's
    per-day and per-month tables, the propensities' quantile tables). Measured once per
    scenario and process."""
    key = scenario_hash(scenario)
    if key not in _PILOTS:
        _PILOTS[key] = _pilot(scenario)
    return _PILOTS[key]


def _pilot(scenario: Scenario) -> float:
    from sim.engine.column_scans import work_arrays
    from sim.engine.fast import Engine

    work_arrays(forget=True)  # sized by an earlier, larger run: let the pilot's own grow
    scale = max(1.0, n_agents(scenario, 1.0) / PILOT_AGENTS)
    pilot = Engine(scenario, seed=0, scale=scale)
    peak = 0

    def sample(day: int) -> None:
        nonlocal peak
        peak = max(peak, array_bytes([pilot, work_arrays()]))

    pilot.run(sample)
    # tables whose size does not grow with agents: the recorder's, the propensities' quantiles
    fixed = array_bytes([pilot.rec.tables(), [app.propensities for app in pilot.apps]])
    return max(peak - fixed, 0) / max(pilot.pop.n_agents, 1)


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


SOURCES = mem_limits.Sources()  # where the limits are read (tests stand in other files)


def available_bytes() -> int:
    """Memory a run may take: the tightest of MemAvailable, the cgroup's and the process's
    limits (`sim.engine.mem_limits`)."""
    return mem_limits.tightest(SOURCES)[1]


def _limit_note(have: int) -> str:
    """Which limit binds, where it is not the machine's free memory."""
    name, room = mem_limits.tightest(SOURCES)
    return f" under {name}" if name != "MemAvailable" and room == have else ""


def check_memory(scenario: Scenario, scale: float, at_once: int = 1) -> int:
    """Raise UsageError if the run would not fit in memory (`at_once` such runs at the same
    time: each may plan on that share of it); return the estimate (the bound where it
    fits, else the pilot's measurement)."""
    budget = _budget(at_once)
    need = needed_bytes(scenario, scale, budget)
    if need > budget:
        raise _refusal(scenario, scale, need, at_once)
    return need


def check_runs_at_once(runs: list[tuple[Scenario, float]], at_once: int) -> None:
    """Before starting `at_once` of these runs at the same time: the one that needs the
    most memory must fit in its share of it (each run checks itself again as it starts,
    against what is left then)."""
    if at_once <= 1 or not runs:
        return
    budget = _budget(at_once)
    distinct = {(scenario_hash(scenario), scale): (scenario, scale) for scenario, scale in runs}
    needs = [(needed_bytes(sc, scale, budget), sc, scale) for sc, scale in distinct.values()]
    need, scenario, scale = max(needs, key=lambda item: item[0])
    if need > budget:
        raise _refusal(scenario, scale, need, at_once)


def needed_bytes(scenario: Scenario, scale: float, budget: float) -> int:
    """The bound where it is within `budget`, else the pilot's measurement."""
    bound = estimate_bytes(scenario, scale)
    if bound <= budget:
        return bound
    return int(n_agents(scenario, scale) * _per_agent(scenario) + fixed_bytes(scenario))


def _per_agent(scenario: Scenario) -> float:
    return measured_bytes_per_agent(scenario) * PILOT_HEADROOM


def _budget(at_once: int) -> float:
    return available_bytes() * BUDGET_SHARE / max(at_once, 1)


def _refusal(scenario: Scenario, scale: float, need: int, at_once: int) -> UsageError:
    budget = _budget(at_once)
    finest = _finest_scale_that_fits(scenario, _per_agent(scenario), budget)
    if not finest or finest > SCALE_MAX:  # advise only a scale the command line accepts
        advice = f"no scale fits (the coarsest, --scale {SCALE_MAX_TEXT}, does not)"
    else:
        advice = f"use --scale {finest:g} or coarser"
    if at_once > 1:
        advice += " (or fewer workers)"
    have = available_bytes()
    share = f"{BUDGET_SHARE:.0%} of the {have / 2**30:.1f} GiB available{_limit_note(have)}"
    share += f", shared by {at_once} runs at once" if at_once > 1 else ""
    return UsageError(
        f"scenario {scenario.name!r} at scale {scale:g} needs about {need / 2**30:.1f} GiB, "
        f"more than the {budget / 2**30:.1f} GiB a run may use ({share}); {advice}"
    )


def _finest_scale_that_fits(scenario: Scenario, per_agent: float, budget: float) -> float:
    """The smallest whole scale whose run fits `budget` (0 if none does)."""
    room = budget - fixed_bytes(scenario)
    if room < 2 * per_agent:
        return 0.0
    customers = n_agents(scenario, 1.0)
    scale = float(max(1, math.ceil(customers * per_agent / room)))
    while n_agents(scenario, scale) * per_agent > room:  # agents are rounded day by day
        scale = float(math.ceil(scale * 1.01 + 1))
    return scale
