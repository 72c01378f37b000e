"""Figures of a run's growth curves (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from sim.results.fonts import use_in_matplotlib
from sim.results.markers import draw_marks, single

if TYPE_CHECKING:
    from sim.results.result import Result

TITLES = {
    "registered": "Registered users",
    "engaged": "Engaged users",
    "mau": "Monthly active users (trailing 30 days)",
    "dau": "Daily active users",
    "wau": "Weekly active users",
}


def app_label(result: Result, app_id: str) -> str:
    """An app's display name (its id where it has none), drawable in any figure: the CJK
    font that comes with the install is registered first."""
    use_in_matplotlib()
    return result.scenario.apps[app_id].name or app_id


def growth_figure(
    result: Result, metrics: tuple[str, ...] = ("registered", "mau", "dau")
) -> Figure:
    """One panel per metric, one line per app, in millions of customers."""
    fig, axes = plt.subplots(len(metrics), 1, figsize=(9, 3.2 * len(metrics)), squeeze=False)
    for ax, metric in zip(axes[:, 0], metrics, strict=True):
        _plot_apps(ax, result, metric)
    fig.tight_layout()
    return fig


def _plot_apps(ax: plt.Axes, result: Result, metric: str) -> None:
    for app_id in result.scenario.apps:
        series = result.series(metric, app_id) / 1e6
        ax.plot(series.index, series.to_numpy(), label=app_label(result, app_id), lw=1.4)
    draw_marks(ax, single(result.scenario))
    ax.set_title(TITLES.get(metric, metric))
    ax.set_ylabel("millions")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")


def suite_figure(result: Result) -> Figure:
    """Suite MAU summed over apps vs de-duplicated; suite registered de-duplicated."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.4))
    for app, label in (
        ("suite_sum", "sum over apps"),
        ("suite", "distinct customers active in any app"),
    ):
        series = result.series("mau", app) / 1e6
        top.plot(series.index, series.to_numpy(), label=label, lw=1.6)
    top.set_title("Suite MAU (trailing 30 days)")
    registered = result.series("registered", "suite") / 1e6
    bottom.plot(
        registered.index,
        registered.to_numpy(),
        color="tab:green",
        label="distinct customers registered in any suite app",
        lw=1.6,
    )
    bottom.set_title("Suite registered users (de-duplicated)")
    for ax in (top, bottom):
        draw_marks(ax, single(result.scenario))
        ax.set_ylabel("millions")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def write_figures(result: Result, folder: Path) -> list[Path]:
    """Save registered.png, mau.png, dau.png and suite_mau.png in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    figures = {m: growth_figure(result, (m,)) for m in ("registered", "mau", "dau")}
    figures["suite_mau"] = suite_figure(result)
    paths = []
    for name, fig in figures.items():
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
