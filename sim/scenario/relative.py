"""A what-if's values relative to the file it extends: `{like: its own key, times: x}`.

The merge of `extends` (`sim.scenario.yamlio`) keeps the parent's value and notes the factor
under `RELATIVE` at the merged tree's top; `sim.scenario.references` applies it after a
world's values, if any, were written into the tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.errors import KeyPath, ScenarioError

if TYPE_CHECKING:
    from sim.scenario.yamlio import LineMap

NO_PARENT_VALUE = (
    "refers to its own key: the extended file's value, but that file has no number here"
)


class RELATIVE:
    """The key, at a merged tree's top, of the what-ifs' changes relative to the files they
    extend: {key path: factor}. A class, not a string, so that no YAML key can be it; the
    references are applied after a world's values are written into the tree
    (`sim.scenario.references`), so "x 1.1 of the parent" is x 1.1 of each world's value."""


def refers_to_itself(value: Any, path: KeyPath) -> bool:
    return (
        isinstance(value, dict)
        and value.get("like") == ".".join(str(k) for k in path)
        and set(value) <= {"like", "times", "source"}
    )


def keep_relative(
    base: dict[str, Any],
    key: str,
    ref: dict[str, Any],
    path: KeyPath,
    over_lines: LineMap,
    lines: LineMap,
    relative: dict[str, float],
) -> None:
    """`{like: its own key, times: x}`: x times the extended file's value (the parent's, or
    the world's where a posterior sets it). The value and its line stay the parent's."""
    times = ref.get("times", 1.0)
    if not isinstance(times, int | float) or isinstance(times, bool):
        raise ScenarioError([over_lines.problem((*path, "times"), "must be a number", times)])
    old = base.get(key)
    if not isinstance(old, int | float | dict) or isinstance(old, bool):
        raise ScenarioError([over_lines.problem((*path, "like"), NO_PARENT_VALUE, ref["like"])])
    dotted = ".".join(str(k) for k in path)
    relative[dotted] = relative.get(dotted, 1.0) * float(times)
    file, line = over_lines.locate((*path, "times") if "times" in ref else path)
    lines.set((RELATIVE.__name__, dotted), file, line or 1)
