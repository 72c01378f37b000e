"""Series targets: a CSV of dated figures (`date, app, metric, value[, rel_tol]`), one target
a row, each the interval value / (1 + tol) .. value x (1 + tol) (symmetric in log space).

A bank analyst fills it from the bank's own monthly data; the targets file names it
(`series: [{file: ..., rel_tol: 0.1, source: ...}]`). Every mistake is located at its CSV
line and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

from sim.errors import KeyPath, Problem, ScenarioError
from sim.experiments.target_spec import SeriesFile, Target
from sim.scenario.inputs import Refused, read_input, why_unreadable
from sim.scenario.yamlio import LineMap

COLUMNS = ("date", "app", "metric", "value")
MAX_ROWS = 100_000


def read_series(path: Path, spec: SeriesFile, lines: LineMap, where: KeyPath) -> dict[str, Target]:
    """The targets of one series CSV, named `app.metric.date`."""
    reader, rows = _rows(path, lines, where)
    header = set(reader.fieldnames or ())
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ScenarioError(
            [lines.problem(where, f"the CSV needs columns {', '.join(COLUMNS)}", str(path))]
        )
    out: dict[str, Target] = {}
    problems: list[Problem] = []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        target = _target(row, spec, str(path), number, problems)
        if target is not None:
            out[f"{target.app}.{target.metric}.{target.date.isoformat()}"] = target
    if problems:
        raise ScenarioError(problems)
    return out


def _rows(path: Path, lines: LineMap, where: KeyPath) -> tuple[csv.DictReader, list[dict]]:
    """The CSV's reader and rows; a file that is not a readable UTF-8 CSV is a problem
    located at the targets file's `where` (or at the CSV's line, when it has one)."""
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
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = f"not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"
        raise ScenarioError([Problem(str(path), line, (), msg)]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return reader, [row for _, row in zip(range(MAX_ROWS), reader, strict=False)]
    except csv.Error as exc:
        msg = f"not a CSV file ({exc})"
        raise ScenarioError([Problem(str(path), reader.line_num or 1, (), msg)]) from None


def _target(
    row: dict[str, Any], spec: SeriesFile, file: str, line: int, problems: list[Problem]
) -> Target | None:
    try:
        day = dt.date.fromisoformat(row["date"].strip())
    except (ValueError, AttributeError):
        problems.append(Problem(file, line, ("date",), "use YYYY-MM-DD", row.get("date")))
        return None
    value = _number(row, "value", file, line, problems)
    tol_text = (row.get("rel_tol") or "").strip()
    tol = _number(row, "rel_tol", file, line, problems) if tol_text else spec.rel_tol
    if value is None or tol is None:
        return None
    if value <= 0 or not 0 <= tol < 1:
        problems.append(Problem(file, line, ("value",), "value > 0 and 0 <= rel_tol < 1", value))
        return None
    where = f"{spec.source} ({Path(file).name}:{line})"
    metric, app = ((row[k] or "").strip() for k in ("metric", "app"))  # a short row: None
    return interval_target(metric, app, day, value, tol, where)


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


def _number(
    row: dict[str, Any], key: str, file: str, line: int, bad: list[Problem]
) -> float | None:
    try:
        value = float(str(row.get(key)).strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        bad.append(Problem(file, line, (key,), "not a finite number", row.get(key)))
        return None
    return value
