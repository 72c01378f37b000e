"""Per scenario of a comparison: its description and the exact overrides it makes against
the file it extends (see sim.scenario.overrides), for the summary and the scenarios section."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.scenario.overrides import overrides
from sim.scenario.schema import Scenario

INLINE_OVERRIDES = 2  # a what-if with more is summed up in the opening sentence, listed below


@dataclass(frozen=True)
class ScenarioNote:
    name: str
    description: str
    parent: str | None = None  # the file it extends, as a path relative to the working folder
    changes: list[str] = field(default_factory=list)

    def short(self) -> str:
        """Description and overrides in a parenthesis of the opening summary."""
        parts = [self.description.strip().rstrip(".")] if self.description.strip() else []
        if len(self.changes) <= INLINE_OVERRIDES:
            parts += self.changes
        else:
            parts.append(f"{len(self.changes)} overrides, listed under Scenarios")
        return "; ".join(parts)


def notes_for(scenarios: list[Scenario], paths: list[Path] | None) -> list[ScenarioNote]:
    """A note per scenario; without the files, the descriptions only."""
    if paths is None:
        return [ScenarioNote(sc.name, sc.description) for sc in scenarios]
    out = []
    for sc, path in zip(scenarios, paths, strict=True):
        parent, found = overrides(path)
        shown = _relative(parent) if parent is not None else None
        out.append(ScenarioNote(sc.name, sc.description, shown, [o.text() for o in found]))
    return out


def _relative(path: Path) -> str:
    return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)


def notes_sheets(notes: list[ScenarioNote]) -> dict[str, pd.DataFrame]:
    """The scenarios sheet (each one's description) and the overrides sheet of a workbook."""
    described = [(n.name, n.description.strip()) for n in notes]
    changes = [(n.name, n.parent or "", c) for n in notes for c in n.changes]
    return {
        "scenarios": pd.DataFrame(described, columns=["scenario", "description"]),
        "overrides": pd.DataFrame(changes, columns=["scenario", "extends", "override"]),
    }


def notes_markdown(notes: list[ScenarioNote]) -> list[str]:
    lines = ["## Scenarios", ""]
    for note in notes:
        lines += [f"### {note.name}", "", note.description.strip() or "(no description)", ""]
        if note.parent is None:
            lines += ["Extends no other file.", ""]
            continue
        lines += [f"Against `{note.parent}`, the file it extends:", ""]
        lines += [f"- {text}" for text in note.changes] or ["- no changes"]
        lines.append("")
    return lines


def notes_html(notes: list[ScenarioNote]) -> list[str]:
    parts = ["<h2>Scenarios</h2>"]
    for note in notes:
        parts.append(f"<h3>{html.escape(note.name)}</h3>")
        parts.append(f"<p>{html.escape(note.description.strip() or '(no description)')}</p>")
        if note.parent is None:
            parts.append("<p>Extends no other file.</p>")
            continue
        items = "".join(f"<li>{html.escape(t)}</li>" for t in note.changes) or "<li>no changes</li>"
        parts.append(f"<p>Against <code>{html.escape(note.parent)}</code>:</p><ul>{items}</ul>")
    return parts
