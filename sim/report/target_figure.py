"""The check report's figure: each targeted curve with its target drawn at its date."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from sim.results.figures import app_label
from sim.results.fonts import use_in_matplotlib
from sim.results.markers import draw_marks, single

if TYPE_CHECKING:
    from sim.experiments.targets import TargetSet
    from sim.results.result import Result


def targets_figure(results: list[Result], targets: TargetSet) -> Figure:
    """Each targeted curve (mean over runs) with its target drawn at its date."""
    use_in_matplotlib()  # before any text: the panels' marks and titles carry app names
    pairs = sorted({(t.app, t.metric) for t in targets.targets.values()})
    cols = 2
    rows = (len(pairs) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.8 * rows), squeeze=False)
    for ax, (app, metric) in zip(axes.ravel(), pairs, strict=False):
        _plot_target_panel(ax, results, targets, app, metric)
    for ax in axes.ravel()[len(pairs) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _plot_target_panel(
    ax: plt.Axes, results: list[Result], targets: TargetSet, app: str, metric: str
) -> None:
    curves = [r.series(metric, app) / 1e6 for r in results]
    mean = sum(curves[1:], curves[0]) / len(curves)
    ax.plot(mean.index, mean.to_numpy(), lw=1.4, label="simulated (mean)")
    for target in targets.targets.values():
        if (target.app, target.metric) != (app, metric):
            continue
        low, high = target.bounds()
        when = float(date2num(target.date))
        top = high if high != float("inf") else low * 1.25
        ax.vlines(when, low / 1e6, top / 1e6, color="tab:red", lw=3, alpha=0.6)
        ax.plot(
            [when],
            [target.value / 1e6],
            "o",
            color="tab:red",
            label=f"target {target.relation} {target.value / 1e6:g} M",
        )
    scenario = results[0].scenario
    draw_marks(ax, single(scenario), apps=None if app not in scenario.apps else {app})
    shown = app_label(results[0], app) if app in scenario.apps else app
    ax.set_title(f"{shown}: {metric}", fontsize=10)
    ax.set_ylabel("millions")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
