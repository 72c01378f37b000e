"""The result of one run: tidy pandas tables, the run's identity, and quick plots.

`sim.results.run.run` makes one. Tables are in customers (agents x scale):

- `daily`: one row per (date, app) with stocks (registered, engaged, lapsed), flows
  (new_*), activity (dau, wau, mau trailing 30 days) and dau_mau; app `suite` is the
  de-duplicated suite (each customer once), `suite_sum` the sum over suite apps; the
  boolean column `is_aggregate` is True on those two, so `daily[~daily.is_aggregate]`
  holds the real apps only (summed over apps it gives suite_sum, not three times it);
- `monthly`: calendar-month MAU, month-end registered and mean DAU per app and for the suite
  (with the same `is_aggregate` column);
- `overlap`: customers active in both of two apps in a calendar month (and registered in
  both, at year ends);
- `cohorts`: retention of each registration-month cohort in later months.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import html
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.errors import ResultQueryError
from sim.scenario.load import scenario_hash
from sim.scenario.schema import Scenario


@dataclass
class Result:
    """Tables of one run, plus what identifies it."""

    scenario: Scenario
    seed: int
    scale: float
    daily: pd.DataFrame
    monthly: pd.DataFrame
    overlap: pd.DataFrame
    cohorts: pd.DataFrame
    wall_seconds: float
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.daily = _flag_aggregates(self.daily)
        self.monthly = _flag_aggregates(self.monthly)

    def __repr__(self) -> str:
        """One line: what was run, not the tables (they would flood the screen)."""
        sc = self.scenario
        return (
            f"Result(scenario={_clip(sc.name, 60)!r}, seed={self.seed}, "
            f"scale=1:{self.scale:g}, agents={_count(self.info.get('agents'))}, "
            f"horizon={sc.horizon.start}..{sc.horizon.end}, apps={_apps_text(list(sc.apps))})"
        )

    def _repr_html_(self) -> str:
        """A small table for notebooks."""
        sc = self.scenario
        rows = [
            ("scenario", sc.name),
            ("seed", str(self.seed)),
            ("scale", f"1:{self.scale:g} customers per agent"),
            ("agents", _count(self.info.get("agents"))),
            ("horizon", f"{sc.horizon.start} .. {sc.horizon.end}"),
            ("apps", ", ".join(sc.apps)),
            ("tables", ", ".join(f"{n} ({len(getattr(self, n)):,} rows)" for n in _TABLES)),
        ]
        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table><caption>appsim Result</caption>{cells}</table>"

    def metrics(self) -> list[str]:
        """The metrics `series` and `at` know: the daily table's numeric columns."""
        return [
            str(c)
            for c in self.daily.columns
            if c not in _NOT_METRICS and pd.api.types.is_numeric_dtype(self.daily[c])
        ]

    def apps(self) -> list[str]:
        """The apps `series` and `at` know: the scenario's, then `suite_sum` and `suite`."""
        present = set(self.daily["app"]) if "app" in self.daily else set()
        known = [*self.scenario.apps, "suite_sum", "suite"]
        return [a for a in known if a in present] + sorted(present - set(known))

    def series(self, metric: str, app: str = "suite") -> pd.Series:
        """One metric of one app (or `suite` / `suite_sum`) as a date-indexed series."""
        if metric not in self.metrics():
            raise ResultQueryError(_unknown("metric", metric, self.metrics()))
        if app not in self.apps():
            names = {spec.name: a for a, spec in self.scenario.apps.items() if spec.name}
            if app in names:
                raise ResultQueryError(
                    f"{app!r} is the name of {names[app]!r}: use {names[app]!r} (apps are "
                    f"asked for by id: {', '.join(self.apps())})"
                )
            raise ResultQueryError(_unknown("app", app, self.apps()))
        rows = self.daily[self.daily["app"] == app]
        return rows.set_index("date")[metric]

    def at(self, date: str | dt.date | pd.Timestamp, metric: str, app: str = "suite") -> float:
        """A metric's value on a date (``YYYY-MM-DD``, a `datetime.date`, a Timestamp or a
        numpy datetime64, as a table's own dates are)."""
        series = self.series(metric, app)
        day = _day(date)
        if day not in series.index:
            first, last = series.index.min(), series.index.max()
            raise ResultQueryError(
                f"{day.date()} is outside the run: it covers {first.date()}..{last.date()}"
            )
        return float(series.loc[day])

    def output_hash(self) -> str:
        """A hash of every table: equal hashes mean identical results."""
        digest = hashlib.sha256()
        for table in (self.daily, self.monthly, self.overlap, self.cohorts):
            # the aggregate flag follows from `app`: hashing the columns without it keeps
            # the hashes of every earlier run
            table = table.drop(columns=[AGGREGATE], errors="ignore")
            digest.update(np.asarray(pd.util.hash_pandas_object(table, index=False)).tobytes())
        return digest.hexdigest()[:16]

    def manifest(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "scenario_hash": scenario_hash(self.scenario),
            "seed": self.seed,
            "scale": self.scale,
            "version": __version__,
            "wall_seconds": round(self.wall_seconds, 3),
            "output_hash": self.output_hash(),
            **self.info,
        }

    def plot(self, metrics: tuple[str, ...] = ("registered", "mau", "dau")):
        """A matplotlib figure of the given metrics per app (one panel each)."""
        from sim.results.figures import growth_figure

        return growth_figure(self, metrics)


AGGREGATE = "is_aggregate"  # flags the rows that add up apps (`aggregate` is a DataFrame method)
AGGREGATE_APPS = ("suite", "suite_sum")
_TABLES = ("daily", "monthly", "overlap", "cohorts")
_NOT_METRICS = {"date", "app", AGGREGATE}


def _flag_aggregates(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with a boolean `is_aggregate` column after `app` (a shallow copy: the caller's
    frame is left as it was)."""
    if "app" not in table.columns or AGGREGATE in table.columns:
        return table
    flagged = table.copy(deep=False)
    where = list(flagged.columns).index("app") + 1
    flagged.insert(where, AGGREGATE, flagged["app"].isin(AGGREGATE_APPS).to_numpy(dtype=bool))
    return flagged


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(date: object) -> pd.Timestamp:
    """A day from ISO text, a date or a Timestamp; anything else (01/02/2019) is refused."""
    if isinstance(date, str):
        text = date.strip()
        try:
            if not _ISO_DAY.fullmatch(text):
                raise ValueError
            return pd.Timestamp(dt.date.fromisoformat(text))
        except ValueError:
            raise ResultQueryError(
                f"not a date: {date!r}; use YYYY-MM-DD (e.g. 2019-05-31)"
            ) from None
    if isinstance(date, dt.date | pd.Timestamp | np.datetime64):  # a datetime is a date too
        return pd.Timestamp(date).normalize()
    raise ResultQueryError(
        f"not a date: {date!r}; use YYYY-MM-DD text, a datetime.date or a pandas Timestamp"
    )


def _unknown(kind: str, name: str, valid: list[str]) -> str:
    """`unknown metric 'MAU'; did you mean 'mau'? valid metrics: ...`."""
    by_case = [v for v in valid if v.lower() == name.lower()]
    close = by_case or difflib.get_close_matches(name, valid, n=1)
    hint = f" did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r};{hint} valid {kind}s: {', '.join(valid)}"


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _apps_text(apps: list[str], limit: int = 150) -> str:
    text = "[" + ", ".join(apps) + "]"
    if len(text) <= limit:
        return text
    shown: list[str] = []
    for app in apps:
        if len(", ".join([*shown, app])) > limit - 20:
            break
        shown.append(app)
    return "[" + ", ".join(shown) + f", … ({len(apps)} apps)]"
