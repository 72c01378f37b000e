"""What a scenario file adds, changes and removes against the file it `extends`.

The file's own keys are walked against its parent's merged tree (the parent with everything
it extends in turn), so each entry is one thing the file itself says: a new key (a whole new
event is one entry), a value that replaces the parent's, or a blank (`null`) that deletes an
inherited key. `name` and `description` are the file's own by definition and not listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sim.scenario.yamlio import load_tree, own_tree

SKIPPED = frozenset({"name", "description"})


@dataclass(frozen=True)
class Override:
    """One thing a file says against its parent: `old` is the parent's value (None when
    added, or when the parent has no such key), `new` the file's (None when removed)."""

    kind: Literal["adds", "changes", "removes"]
    path: str
    old: Any
    new: Any

    def text(self) -> str:
        """The override in one line, as `appsim validate` and the comparison report say it."""
        if self.kind == "adds":
            return f"adds {self.path}: {compact(self.new)}"
        if self.kind == "changes":
            return f"changes {self.path}: {compact(self.old)} -> {compact(self.new)}"
        if self.old is None:
            return f"removes {self.path}: blank, but the extended file has no such key (no effect)"
        return f"removes {self.path}: {_removed(self.path, self.old)}, deleted by a blank value"


def overrides(path: str | Path) -> tuple[Path | None, list[Override]]:
    """The file `path` extends (None if it extends none) and what `path` says against it."""
    own, parent_path = own_tree(path)
    if parent_path is None:
        return None, []
    parent, _ = load_tree(parent_path)
    own = {k: v for k, v in own.items() if k not in SKIPPED}
    return parent_path, _walk(own, parent, ())


def _walk(own: dict[str, Any], parent: dict[str, Any], prefix: tuple[str, ...]) -> list[Override]:
    out: list[Override] = []
    for key, value in own.items():
        path = (*prefix, str(key))
        dotted = ".".join(path)
        old = parent.get(key)
        if value is None:
            out.append(Override("removes", dotted, old, None))
        elif key not in parent:
            out.append(Override("adds", dotted, None, value))
        elif isinstance(value, dict) and isinstance(old, dict):
            out += _walk(value, old, path)
        elif value != old:
            out.append(Override("changes", dotted, old, value))
    return out


def _removed(path: str, old: Any) -> str:
    """What a blank value deleted: an inherited event is named with its type and app."""
    if path.startswith("timeline.") and path.count(".") == 1 and isinstance(old, dict):
        when = f"on {_scalar(old['date'])}" if old.get("date") else ""
        when = when or (f"from {_scalar(old['start'])}" if old.get("start") else "")
        on = f" on {old['app']}" if old.get("app") else ""
        since = f" ({when})" if when else ""
        return f"the inherited {old.get('type', '')} event{on}{since}".replace("  ", " ")
    return f"the inherited value {compact(old)}"


def compact(value: Any) -> str:
    """A value in one line, every key of it: mappings as `{key: value, ...}` without their
    `source` (a report lists sources in its assumptions table)."""
    if isinstance(value, dict):
        items = (f"{k}: {compact(v)}" for k, v in value.items() if k != "source")
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(compact(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
