"""appsim: a discrete-event simulation of a bank's mobile app suite.

import sim
scenario = sim.load_scenario("scenarios/baseline.yaml")
result = sim.run(scenario, seed=1, scale=1000)
result.daily          # tidy DataFrame: date, app, registered, dau, mau, ...
result.plot()
"""

__version__ = "0.1.0"

from .errors import ScenarioError, UsageError
from .result import Result, run
from .scenario import load_scenario

__all__ = ["Result", "ScenarioError", "UsageError", "__version__", "load_scenario", "run"]
