"""appsim: a discrete-event simulation of a bank's mobile app suite.

    import sim
    scenario = sim.load_scenario("scenarios/baseline.yaml")
    result = sim.run(scenario, seed=1, scale=1000)
    result.daily          # tidy DataFrame: date, app, registered, dau, mau, ...
    result.plot()

The public names are imported on first use, so that `python -m sim` starts (and answers
Ctrl-C) before numpy and pandas are loaded.
"""

# The first of appsim's code to run when it is started as a program: from this line on,
# Ctrl-C is exit 130, never a traceback (sim/startup.py imports only built-in modules).
from sim import startup

if startup.started_as_program():  # not when a notebook or a test imports appsim
    startup.install()

from importlib import import_module
from typing import Any

__version__ = "0.2.0"
__all__ = ["Result", "ScenarioError", "UsageError", "__version__", "load_scenario", "run"]

_WHERE = {
    "Result": "results.result",
    "run": "results.run",
    "load_scenario": "scenario.load",
    "ScenarioError": "errors",
    "UsageError": "errors",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
