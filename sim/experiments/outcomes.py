"""What a target, a sweep outcome or a comparison may read of a run: a metric (a column of
the daily table) of an app of the scenario (or `suite` / `suite_sum`) on a day of its
horizon. Checked before anything is simulated, so a misspelt name cannot end a long run."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable

from sim.errors import KeyPath, Problem
from sim.scenario.schema import Scenario
from sim.scenario.yamlio import LineMap

# the columns of a run's daily table (sim.engine.recorder), apart from date and app
METRICS = (
    "registered",
    "engaged",
    "lapsed",
    "new_registered",
    "new_lapsed",
    "new_reactivated",
    "new_migrated_in",
    "new_migrated_out",
    "new_left",
    "dau",
    "wau",
    "mau",
    "dau_mau",
)
SUITE_ROWS = ("suite", "suite_sum")


def apps_of(scenarios: Iterable[Scenario]) -> list[str]:
    """The app rows the runs of these scenarios have: every app, then the suite rows."""
    seen: dict[str, None] = {}
    for scenario in scenarios:
        seen.update(dict.fromkeys(scenario.apps))
    return [*seen, *SUITE_ROWS]


def unknown(kind: str, name: str, valid: Iterable[str]) -> str | None:
    """None if `name` is valid, else a message naming the close or the valid choices."""
    valid = list(valid)
    if name in valid:
        return None
    same_letters = [v for v in valid if v.lower() == name.lower()]  # MAU for mau
    close = same_letters or difflib.get_close_matches(name, valid, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown {kind}; {hint}valid: {', '.join(valid)}"


def outside(day: dt.date, scenario: Scenario) -> str | None:
    """None if `day` is in the scenario's horizon, else a message saying so."""
    start, end = scenario.horizon.start, scenario.horizon.end
    if start <= day <= end:
        return None
    return f"outside the scenario's horizon {start}..{end}"


def reading_problems(
    at: KeyPath, app: str, metric: str, day: dt.date, scenario: Scenario, lines: LineMap
) -> list[Problem]:
    """What is wrong with reading `metric` of `app` on `day` of the scenario's runs, each
    located at `at` + the key (`app`, `metric`, `date`) in the file `lines` maps."""
    problems = []
    for key, value, message in (
        ("app", app, unknown("app", app, apps_of([scenario]))),
        ("metric", metric, unknown("metric", metric, METRICS)),
        ("date", day.isoformat(), outside(day, scenario)),
    ):
        if message:
            problems.append(lines.problem((*at, key), message, value))
    return problems
