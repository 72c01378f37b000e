"""Values a what-if takes from the scenario it extends: `{like: key.path, times: x}`.

A what-if should change what it names and nothing the calibration decides. Where it needs a
number the calibration sets (a channel that moves to another app keeps the calibrated
inflow), it writes `customers_per_day: {like: timeline.social_security_channel.customers_per_day}`
instead of copying today's value, and, where it means a change relative to that value,
`{like: ..., times: 1.1}`. References are resolved on the merged tree just before
validation, so in a world drawn from a posterior they read that world's value.
"""

from __future__ import annotations

from typing import Any

from sim.errors import KeyPath, Problem, ScenarioError
from sim.scenario.yamlio import LineMap

REFERENCE_KEYS = {"like", "times"}
MAX_DEPTH = 8  # a reference to a reference to ... : a cycle if deeper


def resolve_references(tree: dict[str, Any], lines: LineMap) -> dict[str, Any]:
    """The tree with every `{like: ..., times: ...}` replaced by its number."""
    problems: list[Problem] = []
    out = _walk(tree, tree, (), lines, problems)
    if problems:
        raise ScenarioError(problems)
    return out


def _walk(
    node: Any, tree: dict[str, Any], path: KeyPath, lines: LineMap, bad: list[Problem]
) -> Any:
    if is_reference(node):
        return _value_of(node, tree, path, lines, bad, depth=0)
    if isinstance(node, dict):
        return {k: _walk(v, tree, (*path, k), lines, bad) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, tree, (*path, i), lines, bad) for i, v in enumerate(node)]
    return node


def is_reference(node: Any) -> bool:
    return isinstance(node, dict) and "like" in node and set(node) <= REFERENCE_KEYS


def _value_of(
    ref: dict[str, Any],
    tree: dict[str, Any],
    path: KeyPath,
    lines: LineMap,
    bad: list[Problem],
    depth: int,
) -> Any:
    target, times = ref["like"], ref.get("times", 1.0)
    if not isinstance(times, int | float) or isinstance(times, bool):
        bad.append(lines.problem((*path, "times"), "must be a number", times))
        return None
    found = _lookup(tree, target) if isinstance(target, str) else None
    if isinstance(found, dict) and is_reference(found) and depth < MAX_DEPTH:
        found = _value_of(found, tree, path, lines, bad, depth + 1)
    if not isinstance(found, int | float) or isinstance(found, bool):
        what = "a reference cycle" if is_reference(found) else "not the key path of a number"
        bad.append(lines.problem((*path, "like"), f"{what} of this scenario", target))
        return None
    return found * times


def _lookup(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node
