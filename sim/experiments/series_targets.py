"""Series targets: a CSV of dated figures (`date, app, metric, value[, rel_tol]`), one target
a row, each the interval value / (1 + tol) .. value x (1 + tol) (symmetric in log space).

A bank analyst fills it from the bank's own monthly data; the targets file names it
(`series: [{file: ..., rel_tol: 0.1, source: ...}]`). Every mistake is located at its CSV
line and column, with the value and what is valid: an unknown or misspelt column, a row
with too many or too few fields, a date that is not YYYY-MM-DD or lies outside the
scenario's horizon, an app or metric the runs do not have, a value that is not a positive
finite number, a tolerance outside [0, 1), a second row for the same figure.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
from pathlib import Path
from typing import Any

from sim.errors import KeyPath, Problem, ScenarioError
from sim.experiments.outcomes import METRICS, apps_of, outside, unknown
from sim.experiments.target_spec import SeriesFile, Target
from sim.scenario.inputs import Refused, read_input, why_unreadable
from sim.scenario.schema import Scenario, iso_day
from sim.scenario.yamlio import LineMap

COLUMNS = ("date", "app", "metric", "value")
OPTIONAL = ("rel_tol",)
MAX_ROWS = 100_000
Row = tuple[int, dict[Any, Any]]  # the line a row starts on, and the row


def read_series(
    path: Path,
    spec: SeriesFile,
    lines: LineMap,
    where: KeyPath,
    scenario: Scenario | None = None,
) -> dict[str, Target]:
    """The targets of one series CSV, named `app.metric.date`; with a scenario, each row's
    app, metric and date are checked against what its runs have."""
    header, rows = _rows(path, lines, where)
    _check_header(header, str(path))
    if not rows:
        raise ScenarioError([Problem(str(path), 1, (), "a header and no rows; one row a target")])
    out: dict[str, Target] = {}
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for line, row in rows:
        target = _target(row, spec, Problems(str(path), line, problems), scenario)
        if target is None:
            continue
        name = f"{target.app}.{target.metric}.{target.date.isoformat()}"
        if name in first:
            message = f"a second row for {name} (the first is line {first[name]})"
            problems.append(Problem(str(path), line, ("date",), message, row["date"].strip()))
        first.setdefault(name, line)
        out[name] = target
    if problems:
        raise ScenarioError(problems)
    return out


class Problems:
    """The problems of one CSV row: each at the row's line, under its column's name."""

    def __init__(self, file: str, line: int, found: list[Problem]):
        self.file, self.line, self.found = file, line, found

    def add(self, column: str, message: str, value: object) -> None:
        """A problem with `column` of the row ("" for the row as a whole)."""
        at = (column,) if column else ()
        self.found.append(Problem(self.file, self.line, at, message, value))


def _rows(path: Path, lines: LineMap, where: KeyPath) -> tuple[list[str], list[Row]]:
    """The CSV's header and rows; a file that is not a readable UTF-8 CSV is a problem
    located at the targets file's `where` (or at the CSV's line, when it has one)."""
    reader = csv.DictReader(io.StringIO(_text(path, lines, where), newline=""))
    rows: list[Row] = []
    try:
        header = [name.strip() for name in reader.fieldnames or ()]
        reader.fieldnames = header
        for row in reader:
            if len(rows) == MAX_ROWS:
                msg = f"more than {MAX_ROWS:,} rows; split the figures over several series files"
                raise ScenarioError([Problem(str(path), reader.line_num, (), msg)])
            spread = sum(str(v).count("\n") for v in row.values())  # newlines inside quotes
            rows.append((reader.line_num - spread, row))
    except csv.Error as exc:
        msg = f"not a CSV file ({exc})"
        raise ScenarioError([Problem(str(path), reader.line_num or 1, (), msg)]) from None
    return header, rows


def _text(path: Path, lines: LineMap, where: KeyPath) -> str:
    """The CSV's text (UTF-8, a byte-order mark as Excel writes it dropped)."""
    try:
        data = read_input(path, "series CSV")
    except OSError as exc:
        raise ScenarioError([lines.problem(where, why_unreadable(exc), str(path))]) from None
    except Refused as exc:
        raise ScenarioError([lines.problem(where, str(exc), str(path))]) from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ScenarioError([Problem(str(path), line, (), "binary file, not CSV text")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = f"not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"
        raise ScenarioError([Problem(str(path), line, (), msg)]) from None


def _check_header(header: list[str], file: str) -> None:
    """The header (line 1) must name each needed column once, and no other."""
    valid = (*COLUMNS, *OPTIONAL)
    problems = []
    for i, name in enumerate(header):
        if name not in valid:
            close = difflib.get_close_matches(name.lower(), valid, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            message = f"unknown column {i + 1}; {hint}valid: {', '.join(valid)}"
            problems.append(Problem(file, 1, (), message, name))
        elif name in header[:i]:
            problems.append(Problem(file, 1, (), f"column {i + 1} repeats {name!r}", name))
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        message = f"the CSV needs columns {', '.join(COLUMNS)}[, rel_tol]; missing: "
        problems.append(Problem(file, 1, (), message + ", ".join(missing), ",".join(header)))
    if problems:
        raise ScenarioError(problems)


def _target(
    row: dict[Any, Any], spec: SeriesFile, bad: Problems, scenario: Scenario | None
) -> Target | None:
    """The row's target, or None with its problems added to `bad`."""
    before = len(bad.found)
    if row.get(None):  # fields beyond the header's columns
        bad.add("", "more fields than the header has columns", row[None])
    given = [v for k, v in row.items() if k is not None]
    if None in given:  # a short row
        count = f"{given.index(None)} field(s), the header has {len(given)} columns"
        bad.add("", f"a short row: {count}", ",".join(v for v in given if v is not None))
        return None
    text = {k: (row.get(k) or "").strip() for k in (*COLUMNS, *OPTIONAL)}
    day = _date(text["date"], bad, scenario)
    app = _name(text["app"], "app", apps_of([scenario]) if scenario else None, bad)
    metric = _name(text["metric"], "metric", METRICS, bad)
    value = _value(text["value"], bad)
    tol = _tolerance(text["rel_tol"], bad) if text["rel_tol"] else spec.rel_tol
    if metric == "dau_mau" and value is not None and value > 1:
        bad.add("value", "dau_mau is a share of MAU, at most 1; write 30% as 0.3", text["value"])
    if len(bad.found) > before or day is None or value is None or tol is None:
        return None
    where = f"{spec.source} ({Path(bad.file).name}:{bad.line})"
    return interval_target(metric, app, day, value, tol, where)


def _date(text: str, bad: Problems, scenario: Scenario | None) -> dt.date | None:
    try:
        day = iso_day(text)
    except ValueError as exc:
        bad.add("date", str(exc), text)
        return None
    beyond = outside(day, scenario) if scenario else None
    if beyond:
        bad.add("date", beyond, text)
    return day


def _name(text: str, column: str, valid: Any, bad: Problems) -> str:
    if not text:
        named = f": one of {', '.join(valid)}" if valid else ""
        bad.add(column, f"empty; every row names its {column}{named}", text)
    elif valid is not None:
        why = unknown(column, text, valid)
        if why:
            bad.add(column, why, text)
    return text


def _value(text: str, bad: Problems) -> float | None:
    value = _finite(text)
    if value is None or value <= 0:
        bad.add("value", "must be a positive finite number", text)
        return None
    return value


def _tolerance(text: str, bad: Problems) -> float | None:
    tol = _finite(text)
    if tol is None or not 0 <= tol < 1:
        hint = "; write 10% as 0.1" if tol is not None and tol >= 1 else ""
        bad.add("rel_tol", f"must be a number from 0 up to (not including) 1{hint}", text)
        return None
    return tol


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def interval_target(
    metric: str, app: str, day: dt.date, value: float, tol: float, source: str
) -> Target:
    """A figure known up to `tol`: the interval value / (1 + tol) .. value x (1 + tol)."""
    return Target(
        metric=metric,
        app=app,
        date=day,
        relation="~=",
        value=value,
        band=(value / (1 + tol), value * (1 + tol)),
        rel_tol=0.0,  # the tolerance is already the band
        source=source,
    )
