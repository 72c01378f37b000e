"""What every comparison checks of its inputs before the first run: distinct scenario
names, one horizon, the dates of its tables, the outcome it ranks by; and its folder's name.
Shared by `appsim compare` and `appsim compare --worlds`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MAX_FOLDER_NAME = 80


def default_folder_name(names: list[str]) -> str:
    """`compare-<a>-vs-<b>-...` from every scenario's name, so that comparing other what-ifs
    does not land in the same folder; `compare-<first>-<8 hex digits>` (a hash of all the
    names, in order) when that would be longer than 80 characters."""
    import hashlib

    full = "compare-" + "-vs-".join(names)
    if len(full) <= MAX_FOLDER_NAME:
        return full
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:8]
    return f"compare-{names[0]}-{digest}"


def unique_names(names: list[str]) -> None:
    from sim.errors import UsageError

    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(f"scenario names must differ (give each file its own name:): {dupes}")


def table_dates(text: str | None, scenario: Any) -> list[Any]:
    from sim.errors import UsageError
    from sim.scenario.schema import iso_day

    start, end = scenario.horizon.start, scenario.horizon.end
    if not text:
        return sorted({*scenario.horizon.key_dates, end})
    out = []
    for part in text.split(","):
        try:
            day = iso_day(part.strip())
        except ValueError as exc:
            raise UsageError(f"--at: {exc} (got {part!r})") from None
        if not start <= day <= end:
            raise UsageError(f"--at: {day} is outside the horizon {start}..{end}")
        out.append(day)
    return sorted(out)


def same_horizon(paths: list[Path], scenarios: list[Any]) -> None:
    """Paired differences need the same days in every run: refuse other horizons, each
    located at the line of the scenario's horizon end (or start) that differs."""
    from sim.errors import ScenarioError
    from sim.scenario.yamlio import load_tree

    first = scenarios[0].horizon
    problems = []
    for path, scenario in zip(paths[1:], scenarios[1:], strict=True):
        h = scenario.horizon
        key = "start" if h.start != first.start else "end"
        if (h.start, h.end) != (first.start, first.end):
            message = (
                f"scenarios must share a horizon to be compared: this one runs "
                f"{h.start}..{h.end}, {paths[0]} runs {first.start}..{first.end}"
            )
            _, lines = load_tree(path)
            problems.append(lines.problem(("horizon", key), message, getattr(h, key)))
    if problems:
        raise ScenarioError(problems)


def parse_outcome(text: str, scenarios: list[Any]) -> tuple[str, str]:
    from sim.errors import UsageError
    from sim.experiments.outcomes import METRICS, apps_of, unknown

    metric, _, app = text.partition(":")
    if not metric or not app:
        raise UsageError(f"--outcome must be metric:app, e.g. mau:suite_sum (got {text!r})")
    for kind, name, valid in (
        ("metric", metric, METRICS),
        ("app", app, apps_of(scenarios)),
    ):
        message = unknown(kind, name, valid)
        if message:
            raise UsageError(f"--outcome: {message} (got {name!r})")
    return metric, app
