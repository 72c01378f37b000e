"""Comparing strategies: replications with common random numbers, paired differences.

Every scenario runs over the same seeds. Since each mechanism and app draws from its own
named stream, two scenarios that differ in one lever share the draws of everything else, so
the paired difference (B - A for the same seed) has far less noise than the difference of
independent runs. `paired_differences` reports both interval widths, and their ratio.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.results.result import Result

BASE_METRICS = [("mau", "suite_sum"), ("mau", "suite"), ("registered", "suite")]
APP_METRICS = ("mau", "dau", "registered")


@dataclass
class Comparison:
    """The replications of several scenarios over the same seeds."""

    names: list[str]
    seeds: list[int]
    results: dict[str, list[Result]]  # scenario name -> one result per seed, in seed order

    def apps(self) -> list[str]:
        """Every app of any scenario, in first-seen order."""
        seen: dict[str, None] = {}
        for runs in self.results.values():
            seen.update(dict.fromkeys(runs[0].scenario.apps))
        return list(seen)

    def metrics(self) -> list[tuple[str, str]]:
        return BASE_METRICS + [(m, a) for a in self.apps() for m in APP_METRICS]

    def values(self, name: str, metric: str, app: str, date: dt.date) -> np.ndarray:
        """One value per seed (0 where the scenario has no such app)."""
        return np.array([_value(r, metric, app, date) for r in self.results[name]])

    def curves(self, name: str, metric: str, app: str) -> pd.DataFrame:
        """Dates x seeds of one metric."""
        cols = {r.seed: _series(r, metric, app) for r in self.results[name]}
        return pd.DataFrame(cols)


def _series(result: Result, metric: str, app: str) -> pd.Series:
    rows = result.daily[result.daily["app"] == app]
    if rows.empty:
        dates = result.daily["date"].drop_duplicates()
        return pd.Series(0.0, index=pd.DatetimeIndex(dates))
    return rows.set_index("date")[metric]


def _value(result: Result, metric: str, app: str, date: dt.date) -> float:
    series = _series(result, metric, app)
    return float(series.get(pd.Timestamp(date), np.nan))


def paired_differences(cmp: Comparison, dates: list[dt.date]) -> pd.DataFrame:
    """Each scenario minus the first, per metric and date: mean, 95% CI paired and as if
    the seeds were independent, and the ratio of the two widths."""
    base = cmp.names[0]
    rows = []
    for name in cmp.names[1:]:
        for metric, app in cmp.metrics():
            for date in dates:
                a = cmp.values(base, metric, app, date)
                b = cmp.values(name, metric, app, date)
                rows.append(
                    {
                        "scenario": name,
                        "metric": metric,
                        "app": app,
                        "date": date.isoformat(),
                        **_interval(a, b),
                    }
                )
    return pd.DataFrame(rows)


def _interval(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    n = len(a)
    diff = b - a
    t = stats.t.ppf(0.975, n - 1) if n > 1 else np.nan
    paired = t * diff.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    independent = t * np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / n) if n > 1 else np.nan
    return {
        "base_mean": float(a.mean()),
        "mean": float(b.mean()),
        "difference": float(diff.mean()),
        "ci_low": float(diff.mean() - paired),
        "ci_high": float(diff.mean() + paired),
        "ci_half_paired": float(paired),
        "ci_half_independent": float(independent),
        "width_ratio": float(paired / independent) if independent > 0 else np.nan,
    }


def ranking(cmp: Comparison, metric: str, app: str, date: dt.date) -> pd.DataFrame:
    """Scenarios ranked by the mean outcome, with the share of seeds on which each is best
    (paired: the same seed's runs compete) as a measure of how sure the ranking is."""
    table = np.vstack([cmp.values(n, metric, app, date) for n in cmp.names])  # scenarios x seeds
    best = np.argmax(table, axis=0)
    out = pd.DataFrame(
        {
            "scenario": cmp.names,
            "mean": table.mean(axis=1),
            "p5": np.percentile(table, 5, axis=1),
            "p95": np.percentile(table, 95, axis=1),
            "share_of_seeds_best": [float(np.mean(best == i)) for i in range(len(cmp.names))],
        }
    )
    out = out.sort_values("mean", ascending=False, ignore_index=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    ahead = [
        float(np.mean(table[cmp.names.index(s)] > table[cmp.names.index(t)]))
        for s, t in zip(out["scenario"][:-1], out["scenario"][1:], strict=True)
    ]
    out["share_of_seeds_ahead_of_next"] = [*ahead, np.nan]
    return out


def crn_summary(diffs: pd.DataFrame) -> float:
    """Median ratio of paired to independent CI widths over the comparisons that differ."""
    ratios = diffs["width_ratio"].replace([np.inf, -np.inf], np.nan).dropna()
    return float(ratios.median()) if len(ratios) else float("nan")
