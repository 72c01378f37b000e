"""The across-worlds part of a run's report: bands.csv and the figure of its bands."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from sim.report.units import in_millions
from sim.results.band_figure import bands_figure
from sim.results.result import Result

QUANTILES = ["q05", "q50", "q95"]


def bands_sheet(bands: pd.DataFrame) -> pd.DataFrame:
    """The bands as tables.xlsx shows them: ISO dates, millions, the unit in each header."""
    shown = bands.assign(date=pd.to_datetime(bands["date"]).dt.date.astype(str))
    return in_millions(shown, QUANTILES)


def write_bands(bands: pd.DataFrame, result: Result, n_worlds: int, folder: Path) -> Path:
    """Write bands.csv (customers, whole numbers) and figures/bands.png; return the figure."""
    rounded = bands.copy()
    rounded["date"] = pd.to_datetime(rounded["date"]).dt.date.astype(str)
    for col in QUANTILES:
        rounded[col] = rounded[col].round().astype("int64")
    rounded.to_csv(folder / "bands.csv", index=False)
    path = folder / "figures" / "bands.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = bands_figure(bands, result, n_worlds)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
