"""Priors of a posterior calibration: each free parameter with a distribution and a source.

A prior file names parameters by their key path in the scenario, as a calibration spec does,
and gives each a distribution:

- `uniform` and `loguniform` on [low, high];
- `beta` with shapes a, b, stretched onto [low, high] (default [0, 1]);
- `normal` with mean and sd, and `truncnormal`, a normal cut to [low, high].

It also fixes how each simulated world is run: the scale and the number of seeds, which are
nuisance (a fresh seed per simulation, never tuned).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from sim.errors import Problem, ScenarioError
from sim.experiments.ranges import (
    INSIDE,
    INSIDE_LEAD,
    Check,
    bound_checks,
    problems_against_base,
)
from sim.scenario.load import pydantic_problem
from sim.scenario.schema import Model
from sim.scenario.yamlio import LineMap, load_tree


class PriorParameter(Model):
    dist: Literal["uniform", "loguniform", "beta", "normal", "truncnormal"]
    low: float | None = None
    high: float | None = None
    a: float | None = Field(None, gt=0, description="beta's first shape")
    b: float | None = Field(None, gt=0, description="beta's second shape")
    mean: float | None = None
    sd: float | None = Field(None, gt=0)
    source: str = Field(min_length=1, description="a literature range, or 'assumption: why'")

    @model_validator(mode="after")
    def _complete(self) -> PriorParameter:
        for key in _NEEDS[self.dist]:
            if getattr(self, key) is None:
                raise ValueError(f"a {self.dist} prior needs {', '.join(_NEEDS[self.dist])}")
        takes = _TAKES[self.dist]
        ignored = [k for k in _SHAPES if getattr(self, k) is not None and k not in takes]
        if ignored:
            raise ValueError(_ignored_message(self.dist, ignored))
        if self.dist == "beta" and (self.low is None) != (self.high is None):
            raise ValueError("a beta prior takes both low and high, or neither (then [0, 1])")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low must be below high (got {self.low:g} and {self.high:g})")
        if self.dist == "loguniform" and (self.low or 0) <= 0:
            raise ValueError("a loguniform prior needs low > 0")
        return self

    def range_checks(self) -> list[Check]:
        """The values of this prior's support to try in the scenario: its ends (a normal's
        at mean -/+ REACH sd) and a value inside, each located at the key that sets it."""
        if self.dist == "normal":
            mean, sd = float(self.mean or 0), float(self.sd or 1)
            lead = (
                f"a normal prior reaches any value (tried at mean -/+ {REACH} sd; use "
                "truncnormal with low and high): "
            )
            ends = [(("mean",), mean - REACH * sd, lead), (("mean",), mean + REACH * sd, lead)]
            return [*ends, ((), mean + INSIDE * sd, INSIDE_LEAD)]
        if self.low is None or self.high is None:  # a beta on its default [0, 1]
            lead = "a beta prior without low and high spans [0, 1]: "
            return [(("dist",), 0.0, lead), (("dist",), 1.0, lead), ((), INSIDE, INSIDE_LEAD)]
        return bound_checks(self.low, self.high)

    def scipy(self) -> tuple[str, tuple[float, ...]]:
        """The scipy.stats name and arguments of this distribution."""
        lo, hi = self.low or 0.0, self.high if self.high is not None else 1.0
        if self.dist == "uniform":
            return "uniform", (lo, hi - lo)
        if self.dist == "loguniform":
            return "loguniform", (lo, hi)
        if self.dist == "beta":
            return "beta", (float(self.a or 1), float(self.b or 1), lo, hi - lo)
        mean, sd = float(self.mean or 0), float(self.sd or 1)
        if self.dist == "normal":
            return "norm", (mean, sd)
        low = -math.inf if self.low is None else (self.low - mean) / sd
        high = math.inf if self.high is None else (self.high - mean) / sd
        return "truncnorm", (low, high, mean, sd)

    def scipy_rv(self) -> tuple[Any, ...]:
        """`scipy()` flattened, as pyabc.RV takes it: the name, then the arguments."""
        name, args = self.scipy()
        return (name, *args)

    def frozen(self) -> Any:
        import scipy.stats

        name, args = self.scipy()
        return getattr(scipy.stats, name)(*args)


REACH = 40  # sd either side of a normal prior's mean at which its reach is tried
_SHAPES = ("low", "high", "a", "b", "mean", "sd")
_TAKES: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "beta": ("a", "b", "low", "high"),
    "normal": ("mean", "sd"),
    "truncnormal": ("mean", "sd", "low", "high"),
}
_NEEDS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "beta": ("a", "b"),
    "normal": ("mean", "sd"),
    "truncnormal": ("mean", "sd", "low", "high"),
}


def _ignored_message(dist: str, ignored: list[str]) -> str:
    """Why keys a distribution would silently ignore are refused."""
    hint = "; to cut a normal to [low, high], use dist: truncnormal" if dist == "normal" else ""
    return (
        f"a {dist} prior takes no {', '.join(ignored)} (it would ignore them); it takes "
        f"{', '.join(_TAKES[dist])}{hint}"
    )


class Prior(Model):
    source: str = ""
    scale: float = Field(5000.0, ge=1.0, description="customers per agent in every world")
    seeds: int = Field(1, ge=1, le=20, description="runs averaged per simulated world")
    population: int = Field(200, ge=10, le=100000, description="particles per generation")
    budget: int = Field(4000, ge=10, description="simulations at most (whole worlds)")
    generations: int = Field(12, ge=1, le=100, description="ABC-SMC generations at most")
    parameters: dict[str, PriorParameter] = Field(min_length=1)

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """`n` independent draws of every parameter."""
        return {p: d.frozen().rvs(size=n, random_state=rng) for p, d in self.parameters.items()}


def load_prior(path: str | Path, base: str | Path | None = None) -> Prior:
    """Read and validate a prior file; every problem located as file:line: key. With the
    `base` scenario, also check the scale and every prior's support against that scenario."""
    tree, lines = load_tree(path)
    try:
        prior = Prior.model_validate(tree)
    except ValidationError as exc:
        raise ScenarioError([pydantic_problem(err, tree, lines) for err in exc.errors()]) from None
    if base is not None:
        problems = _problems_against(prior, lines, base)
        if problems:
            raise ScenarioError(problems)
    return prior


def _problems_against(prior: Prior, lines: LineMap, base: str | Path) -> list[Problem]:
    """The prior's scale and supports checked against the scenario `base`."""
    checks = {name: p.range_checks() for name, p in prior.parameters.items()}
    return problems_against_base(base, prior.scale, checks, lines)
