"""Free parameters' ranges checked against the base scenario before anything runs.

A calibration spec's bounds, a sweep's bounds and a prior's support are each set, one value
at a time, into the base scenario and validated with its schema and cross-checks: both ends
and a value inside (a whole-number key is valid at integer ends and not in between). Every
problem is located at the spec's or prior's line of the bound, with the value and what the
scenario allows.
"""

from __future__ import annotations

import copy
from typing import Any

from sim.errors import KeyPath, Problem, dotted
from sim.scenario.load import load_scenario, scenario_from_tree
from sim.scenario.yamlio import LineMap, load_tree

# one value to try: where it is written under `parameters.NAME`, the value, and the words
# that open a problem with it ("" for a bound written as such)
Check = tuple[KeyPath, float, str]
INSIDE = 0.3719  # where inside [low, high] the value tried lies (not a round number)
INSIDE_LEAD = "every value between low and high may be drawn, also this one inside: "


def bound_checks(low: float, high: float) -> list[Check]:
    """The ends of [low, high] as written, then a value inside it."""
    inside = low + INSIDE * (high - low)
    return [(("low",), low, ""), (("high",), high, ""), ((), inside, INSIDE_LEAD)]


def problems_against_base(
    base: Any, scale: float, checks: dict[str, list[Check]], lines: LineMap
) -> list[Problem]:
    """A calibration file's `scale` and its parameters' values to try (`checks`), checked
    against the scenario file `base`; located in the file `lines` maps. A scale that leaves
    no agent is said once, not again for every value."""
    problems = []
    too_coarse = load_scenario(base).too_coarse(scale)
    if too_coarse:
        problems.append(lines.problem(("scale",), too_coarse, scale))
    base_tree, base_lines = load_tree(base)
    kept = None if too_coarse else scale
    return problems + range_problems(checks, lines, base_tree, base_lines, kept)


def range_problems(
    checks: dict[str, list[Check]],
    lines: LineMap,
    tree: dict[str, Any],
    tree_lines: LineMap,
    scale: float | None = None,
) -> list[Problem]:
    """What is wrong with each parameter's values to try, each set alone in the scenario
    `tree` (the others at the scenario's values), located in the file `lines` maps; with
    `scale`, a value that leaves no agent at that scale is a problem too. A value inside
    the range is tried only when both ends are valid."""
    problems = []
    for name, cases in checks.items():
        unknown = not_a_key(tree, name)
        if unknown:
            problems.append(lines.problem(("parameters", name), unknown, show=False))
            continue
        found: list[Problem] = []
        for where, value, lead in cases:
            if found and not where:
                break  # an end is wrong already: the inside says nothing new
            why, show = invalid_with(tree, tree_lines, name, value, scale)
            if why:
                at = ("parameters", name, *where)
                found.append(lines.problem(at, lead + why, value, show=show))
        problems += found
    return problems


def not_a_key(tree: dict[str, Any], name: str) -> str | None:
    """Why the key path `name` cannot be set in `tree` (a missing mapping on the way, or a
    value that is not a mapping), or None. The last key may be missing: it has a default."""
    node: Any = tree
    parts = name.split(".")
    for i, key in enumerate(parts[:-1]):
        if not isinstance(node, dict) or key not in node:
            where = dotted(tuple(parts[:i])) or "the top level"
            valid = sorted(node) if isinstance(node, dict) else []
            return f"not a key path of the scenario: {where} has no {key!r}; valid: {valid}"
        node = node[key]
    if not isinstance(node, dict):
        return f"not a key path of the scenario: {'.'.join(parts[:-1])} is not a mapping"
    return None


def with_values(tree: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """A copy of a scenario tree with each dotted key path set to its value."""
    out = copy.deepcopy(tree)
    for path, value in values.items():
        node = out
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return out


def invalid_with(
    tree: dict[str, Any], tree_lines: LineMap, name: str, value: float, scale: float | None
) -> tuple[str | None, bool]:
    """Why the scenario with `name` set to `value` is not valid (or not at `scale`), and
    whether the message wants the value appended; (None, False) if it is valid."""
    from sim.errors import ScenarioError

    try:
        scenario = scenario_from_tree(with_values(tree, {name: value}), tree_lines)
    except ScenarioError as exc:
        key = tuple(name.split("."))
        own = [p.message for p in exc.problems if p.path[: len(key)] == key]
        if own:
            allowed = "; or ".join(dict.fromkeys(own))
            return f"outside what the scenario allows: {allowed}", True
        return f"with {name} = {value:g} the scenario is invalid: {exc.problems[0]}", False
    too_coarse = scenario.too_coarse(scale) if scale else None
    if too_coarse:
        return f"at the spec's scale {scale:,.10g}, {too_coarse}", True
    return None, False
