"""Values a what-if takes from the scenario it extends: `{like: key.path, times: x}`.

A what-if should change what it names and nothing the calibration decides. Where it needs a
number the calibration sets (a channel that moves to another app keeps the calibrated
inflow), it writes `customers_per_day: {like: timeline.social_security_channel.customers_per_day}`
instead of copying today's value, and, where it means a change relative to that value,
`{like: ..., times: 1.1}`. A reference to its own key means the extended file's value
(`referral_from: {elife: {like: apps.rongexing.referral_from.elife, times: 3}}`: three times
the parent's): the merge keeps the parent's value and notes the factor (`sim.scenario.relative`).
References are resolved on the merged tree just before validation, so in a world drawn from
a posterior they read that world's value, and a factor multiplies the world's.
"""

from __future__ import annotations

from typing import Any, cast

from sim.errors import KeyPath, Problem, ScenarioError
from sim.scenario.relative import NO_PARENT_VALUE, RELATIVE
from sim.scenario.yamlio import LineMap

REFERENCE_KEYS = {"like", "times", "source"}  # a factor is a number: it may cite one
MAX_DEPTH = 8  # a reference to a reference to ... : a cycle if deeper


class _Unresolved(Exception):
    """A reference that names no number (already reported)."""


def resolve_references(tree: dict[str, Any], lines: LineMap) -> dict[str, Any]:
    """The tree with every `{like: ..., times: ...}` replaced by its number, and each value
    a what-if set relative to its parent's multiplied by its factor."""
    problems: list[Problem] = []
    factors: dict[str, float] = cast(dict[Any, Any], tree).get(RELATIVE, {})
    tree = {k: v for k, v in tree.items() if k is not RELATIVE}
    out = _walk(tree, tree, (), lines, problems)
    if problems:
        raise ScenarioError(problems)
    for dotted, factor in factors.items():
        _scale(out, dotted.split("."), factor)
    return out


def _walk(
    node: Any, tree: dict[str, Any], path: KeyPath, lines: LineMap, bad: list[Problem]
) -> Any:
    if is_reference(node):
        try:
            return _value_of(node, tree, path, lines, depth=0)
        except _Unresolved as exc:
            bad.append(exc.args[0])
            return None
    if isinstance(node, dict):
        return {k: _walk(v, tree, (*path, k), lines, bad) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, tree, (*path, i), lines, bad) for i, v in enumerate(node)]
    return node


def is_reference(node: Any) -> bool:
    return isinstance(node, dict) and "like" in node and set(node) <= REFERENCE_KEYS


def _value_of(
    ref: dict[str, Any], tree: dict[str, Any], path: KeyPath, lines: LineMap, depth: int
) -> float:
    target, times = ref["like"], ref.get("times", 1.0)
    if not isinstance(times, int | float) or isinstance(times, bool):
        raise _Unresolved(lines.problem((*path, "times"), "must be a number", times))
    if target == ".".join(str(k) for k in path):  # one the merge could not take as relative
        raise _Unresolved(lines.problem((*path, "like"), NO_PARENT_VALUE, target))
    found = _lookup(tree, target) if isinstance(target, str) else None
    if isinstance(found, dict) and is_reference(found) and depth < MAX_DEPTH:
        found = _value_of(found, tree, path, lines, depth + 1)
    if not isinstance(found, int | float) or isinstance(found, bool):
        what = "a reference cycle" if is_reference(found) else "not the key path of a number"
        raise _Unresolved(lines.problem((*path, "like"), f"{what} of this scenario", target))
    return found * times


def _lookup(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _scale(tree: dict[str, Any], keys: list[str], factor: float) -> None:
    """Multiply the number at `keys` (a path the merge checked) by `factor`, in place."""
    node = tree
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = node[keys[-1]] * factor
