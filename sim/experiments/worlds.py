"""Plausible worlds: K parameter sets drawn from a posterior, and a scenario run in each.

A posterior file (`posterior.parquet`, from `appsim calibrate --posterior`) holds weighted
parameter sets named by key path. `draw_worlds` resamples K of them by weight (systematic
resampling, seeded); `world_scenario` writes one world's values into a scenario tree, so a
what-if that extends the baseline inherits the world's values wherever it does not name
them. The bands across worlds carry parameter uncertainty (within the prior and the model's
structure), not only the Monte Carlo noise of one world.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.experiments.calibrate import with_values
from sim.scenario.inputs import MAX_TABLE_BYTES, Refused, read_input, why_unreadable
from sim.scenario.load import scenario_from_dict
from sim.scenario.schema import Scenario
from sim.scenario.yamlio import load_tree, root_file

METRICS = ("registered", "mau", "dau")


def load_posterior(path: Path) -> pd.DataFrame:
    """The weighted parameter sets of a posterior file, checked."""
    try:
        data = read_input(path, "posterior file", MAX_TABLE_BYTES)
        table = pd.read_parquet(io.BytesIO(data))
    except Refused as exc:
        raise UsageError(f"--worlds {path}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"--worlds {path}: {why_unreadable(exc)}") from None
    except Exception as exc:  # whatever the Parquet reader trips on (ArrowInvalid, ...)
        raise UsageError(f"--worlds {path}: not a readable posterior file ({exc})") from None
    if "weight" not in table or len(table) == 0 or len(table.columns) < 2:
        raise UsageError(f"--worlds {path}: needs parameter columns and a weight column")
    wrong = [str(c) for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if wrong:
        raise UsageError(f"--worlds {path}: columns {', '.join(wrong)} are not numbers")
    if not np.all(np.isfinite(table["weight"])) or (table["weight"] < 0).any():
        raise UsageError(f"--worlds {path}: weights must be finite and non-negative")
    return table


def draw_worlds(posterior: pd.DataFrame, k: int, seed: int = 0) -> list[dict[str, float]]:
    """K worlds resampled by weight (systematic: each particle about K x its weight times)."""
    weights = posterior["weight"].to_numpy(float)
    cdf = np.cumsum(weights / weights.sum())
    start = np.random.default_rng(seed).uniform(0, 1 / k)
    picks = np.minimum(np.searchsorted(cdf, start + np.arange(k) / k), len(cdf) - 1)
    params = posterior.drop(columns="weight")
    return [{c: float(params.iloc[i][c]) for c in params.columns} for i in picks]


def world_scenario(path: Path, world: dict[str, float]) -> tuple[Scenario, list[str]]:
    """The scenario of file `path` in one world, and the world's parameters it pins.

    A world's values belong to the root of the file's chain of `extends` (the calibrated
    baseline); a what-if changes what it names and nothing else. So a parameter the what-if
    (or any file between it and the root) sets itself keeps the what-if's value, and every
    other free parameter takes the world's."""
    tree, lines = load_tree(path)
    root = str(root_file(path))
    pinned = [p for p in world if lines.locate(tuple(p.split(".")))[0] != root]
    free = {p: v for p, v in world.items() if p not in pinned}
    return scenario_from_dict(with_values(tree, free), str(path)), pinned


def bands(results_by_world: list[pd.DataFrame]) -> pd.DataFrame:
    """Month-end 5/50/95% across worlds of registered, MAU and DAU, per app and suite:
    columns exactly date, app, metric, q05, q50, q95 (customers)."""
    stacked = pd.concat(
        [_month_ends(daily).assign(world=i) for i, daily in enumerate(results_by_world)]
    )
    long = stacked.melt(
        id_vars=["date", "app", "world"], value_vars=list(METRICS), var_name="metric"
    )
    grouped = long.groupby(["date", "app", "metric"], sort=True)["value"]
    out = pd.DataFrame({f"q{round(q * 100):02d}": grouped.quantile(q) for q in (0.05, 0.5, 0.95)})
    return out.reset_index()[["date", "app", "metric", "q05", "q50", "q95"]]


def _month_ends(daily: pd.DataFrame) -> pd.DataFrame:
    dates = pd.to_datetime(daily["date"])
    month_end = dates == dates + pd.offsets.MonthEnd(0)
    last = dates == dates.max()
    return daily.loc[month_end | last, ["date", "app", *METRICS]]
