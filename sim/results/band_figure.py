"""Figures of curves across plausible worlds: the median and the 5-95% band per app."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.results.figures import TITLES, app_label
from sim.results.markers import draw_marks, single
from sim.results.words import counted

if TYPE_CHECKING:
    from sim.results.result import Result


def bands_figure(bands: pd.DataFrame, result: Result, n_worlds: int) -> Figure:
    """One panel per metric: each app's median across worlds, shaded 5-95%."""
    metrics = list(dict.fromkeys(bands["metric"]))
    fig, axes = plt.subplots(len(metrics), 1, figsize=(9, 3.2 * len(metrics)), sharex=True)
    for ax, metric in zip(list(getattr(axes, "flat", [axes])), metrics, strict=True):
        rows = bands[(bands["metric"] == metric) & (bands["app"] != "suite")]
        for app, curve in rows.groupby("app", sort=False):
            dates = pd.to_datetime(curve["date"])
            label = app if app == "suite_sum" else app_label(result, str(app))
            (line,) = ax.plot(dates, curve["q50"] / 1e6, lw=1.3, label=label)
            ax.fill_between(
                dates, curve["q05"] / 1e6, curve["q95"] / 1e6, color=line.get_color(), alpha=0.2
            )
        draw_marks(ax, single(result.scenario))
        ax.set_title(
            f"{TITLES.get(metric, metric)}: median and 5-95% across "
            f"{counted(n_worlds, 'plausible world')} (parameter uncertainty)"
        )
        ax.set_ylabel("millions")
        ax.grid(alpha=0.3)
    axes_list = list(getattr(axes, "flat", [axes]))
    axes_list[0].legend(fontsize=8, ncol=3)
    fig.tight_layout()
    return fig
