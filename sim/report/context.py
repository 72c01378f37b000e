"""What a report says about its scenario besides results: the timeline of levers and events,
and the assumptions table (every number and date the scenario sets, with its source).

Both come from the validated scenario, so a report shows what the run used: values written
in the file and in the files it extends, references (`like:`) resolved, and no defaults the
file did not write. A value's source is the `source:` of the nearest block that holds it.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pandas as pd

from sim.report.folders import html_table, markdown_table
from sim.results.words import counted
from sim.scenario.schema import Scenario

NO_SOURCE = "(none given)"


def timeline_table(sc: Scenario) -> pd.DataFrame:
    """One row per lever or event, in date order: date, type, app, event, what it does."""
    rows = []
    for name, event in sc.timeline.items():
        data = event.model_dump()
        rows.append(
            {
                "date": _when(data, sc.horizon.end),
                "type": data["type"],
                "app": data["app"],
                "app name": _name(sc, data["app"]),
                "event": name,
                "what it does": what_it_does(data),
            }
        )
    table = pd.DataFrame(rows, columns=["date", "type", "app", "app name", "event", "what it does"])
    return table.sort_values(["date", "event"], kind="stable").reset_index(drop=True)


def _name(sc: Scenario, app: str) -> str:
    """An app's display name, shown beside its id ("" for an app the scenario lacks)."""
    spec = sc.apps.get(app)
    return spec.name if spec is not None else ""


def _when(data: dict[str, Any], horizon_end: dt.date) -> str:
    if "date" in data:
        return str(data["date"].isoformat())
    end = data.get("end")
    return f"{data['start'].isoformat()} to {(end or horizon_end).isoformat()}"


def _times(data: dict[str, Any], *keys: str) -> str:
    """`activity x1.2, acquisition x1.5` for the multipliers or boosts that are not 1."""
    parts = []
    for key in keys:
        value = data.get(key, 1.0)
        if value != 1.0:
            parts.append(f"{key.rsplit('_', 1)[0]} x{value:g}")
    return ", ".join(parts) or "no multipliers"


def _segments(data: dict[str, Any]) -> str:
    chosen = data.get("segments", "all")
    return "" if chosen == "all" else f" for {', '.join(chosen)}"


MULTIPLIERS = ("activity_multiplier", "acquisition_multiplier", "reactivation_multiplier")
BOOSTS = ("activity_boost", "acquisition_boost", "reactivation_boost")


def what_it_does(data: dict[str, Any]) -> str:
    """The event in words, from its fields."""
    kind = data["type"]
    if kind == "launch":
        return "the app launches"
    if kind == "delist":
        moves = ", ".join(f"{share:.0%} move to {app}" for app, share in data["migrate_to"].items())
        return f"the app is delisted; {moves or 'no users move'}, the rest leave"
    if kind == "merge":
        return (
            f"merged into {data['into']}: {data['migrate_share']:.0%} of its users follow, the "
            f"rest leave; {data['into']} afterwards: {_times(data, *MULTIPLIERS)}"
        )
    if kind in ("release", "release_cadence"):
        label = f"{data['label']}: " if data.get("label") else ""
        each = ", each" if kind == "release_cadence" else ":"
        half = data["half_life_days"]
        return (
            f"{label}{_releases(data)}{each} {_times(data, *BOOSTS)} at release, the boost "
            f"halving every {half:g} {'day' if half == 1 else 'days'}"
        )
    if kind == "campaign":
        return f"while it runs{_segments(data)}: {_times(data, *MULTIPLIERS[1:])}"
    if kind == "edition":
        keys = (*MULTIPLIERS[:2], "ceiling_multiplier", MULTIPLIERS[2])
        return f"an edition{_segments(data)}: {_times(data, *keys)}"
    if kind == "channel":
        return f"{data['customers_per_day']:,.0f} new registrations a day{_segments(data)}"
    return kind


def _releases(data: dict[str, Any]) -> str:
    every = data.get("every")
    if every is None:
        return "a release"
    if isinstance(every, int):
        return f"releases every {counted(every, 'day')}"
    return f"{every} releases"


def assumptions_table(sc: Scenario) -> pd.DataFrame:
    """Every number and date the scenario sets: key path, value, source."""
    rows: list[dict[str, str]] = []
    _collect(sc.model_dump(exclude_unset=True), "", sc.source or NO_SOURCE, rows)
    return pd.DataFrame(rows, columns=["key", "value", "source"])


def _collect(node: Any, path: str, source: str, rows: list[dict[str, str]]) -> None:
    if isinstance(node, dict):
        own = node.get("source")
        here = " ".join(own.split()) if isinstance(own, str) and own.strip() else source
        for key, value in node.items():
            if key != "source":
                _collect(value, f"{path}.{key}" if path else str(key), here, rows)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _collect(value, f"{path}[{i}]", source, rows)
    elif isinstance(node, int | float | dt.date) and not isinstance(node, bool):
        rows.append({"key": path, "value": _value(node), "source": source})


def _value(value: float | dt.date) -> str:
    """As written: a date in ISO form, a number in the shortest form that is exact."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and abs(value) >= 1e5:
        return f"{value:,.0f}"
    return repr(value) if isinstance(value, float) else str(value)


def context_sheets(sc: Scenario) -> dict[str, pd.DataFrame]:
    """The timeline and assumptions sheets every report's tables.xlsx ends with."""
    return {"timeline": timeline_table(sc), "assumptions": assumptions_table(sc)}


def paragraph(sentences: list[str]) -> str:
    return " ".join(s for s in sentences if s)


ASSUMPTIONS_NOTE = (
    "Every number and date the scenario sets (its file and the files it extends), with the "
    "`source:` of the block that holds it: a citation (docs/sources.md) or `assumption`."
)


def context_markdown(sc: Scenario) -> list[str]:
    """The timeline and assumptions sections of a summary.md."""
    return [
        "## Timeline",
        "",
        markdown_table(timeline_table(sc)) if sc.timeline else "(no events)",
        "",
        "## Assumptions",
        "",
        ASSUMPTIONS_NOTE,
        "",
        markdown_table(assumptions_table(sc)),
        "",
    ]


def context_html(sc: Scenario) -> list[str]:
    """The timeline and assumptions sections of a report.html (assumptions folded: long)."""
    rows = assumptions_table(sc)
    return [
        "<h2>Timeline</h2>",
        html_table(timeline_table(sc)) if sc.timeline else "<p>(no events)</p>",
        "<h2>Assumptions</h2>",
        f"<p>{html.escape(ASSUMPTIONS_NOTE)}</p>",
        f"<details><summary>{counted(len(rows), 'value')} and their sources</summary>",
        html_table(rows),
        "</details>",
    ]
