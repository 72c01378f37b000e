"""The figures of a comparison: overlaid curves with bands, and each what-if's difference
from the base over time, all with the scenarios' event marks."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from sim.experiments.compare import Comparison
from sim.report import difference_figure as diff_fig
from sim.report.labels import tex_safe
from sim.results.fonts import use_in_matplotlib
from sim.results.markers import compared_marks, draw_marks
from sim.scenario.schema import Scenario

SUITE_PANELS = [("mau", "suite_sum"), ("mau", "suite"), ("registered", "suite")]


def colours(names: list[str]) -> dict[str, str]:
    """One colour per scenario, in matplotlib's default cycle (the base first)."""
    return {name: f"C{i % 10}" for i, name in enumerate(names)}


def scenarios_of(cmp: Comparison) -> dict[str, Scenario]:
    return {name: cmp.results[name][0].scenario for name in cmp.names}


def comparison_figures(cmp: Comparison, folder: Path) -> list[Path]:
    """suite.png and apps_mau.png (overlays), then difference_<what-if>.png for each."""
    folder.mkdir(parents=True, exist_ok=True)
    app_panels = [("mau", a) for a in cmp.apps()]
    paths = [
        diff_fig.save(band_figure(cmp, SUITE_PANELS), folder / "suite.png"),
        diff_fig.save(band_figure(cmp, app_panels), folder / "apps_mau.png"),
    ]
    return paths + difference_figures(cmp, folder)


def difference_figures(cmp: Comparison, folder: Path) -> list[Path]:
    """Per what-if, (what-if - base) over time, banded over the paired seeds."""
    base = cmp.names[0]
    scenarios = scenarios_of(cmp)
    paths = []
    for name in cmp.names[1:]:
        panels = diff_fig.seed_panels(cmp.curves, base, name)
        marks = compared_marks({base: scenarios[base], name: scenarios[name]})
        fig = diff_fig.difference_figure(
            (name, base), panels, diff_fig.over_seeds(len(cmp.seeds)), marks, colours(cmp.names)
        )
        paths.append(diff_fig.save(fig, folder / diff_fig.file_name(name)))
    return paths


def _label(cmp: Comparison, app: str) -> str:
    """An app's display name beside its id (from the first scenario that has it)."""
    for runs in cmp.results.values():
        app_spec = runs[0].scenario.apps.get(app)
        if app_spec is not None and app_spec.name:
            return f"{app_spec.name} ({app})"
    return app


def band_figure(cmp: Comparison, panels: list[tuple[str, str]]) -> Figure:
    """A panel per (metric, app): each scenario's median with its 5-95% band over seeds.
    What the band is goes once in the figure's title; panels are titled by what they show,
    short enough for two side by side."""
    use_in_matplotlib()
    cols = 2 if len(panels) > 3 else 1
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(10 if cols == 2 else 9, 3 * rows), squeeze=False)
    palette = colours(cmp.names)
    marks = compared_marks(scenarios_of(cmp))
    for ax, (metric, app) in zip(axes.ravel(), panels, strict=False):
        for name in cmp.names:
            curves = cmp.curves(name, metric, app) / 1e6
            median = curves.median(axis=1)
            ax.plot(
                median.index, median.to_numpy(), lw=1.3, color=palette[name], label=tex_safe(name)
            )
            ax.fill_between(
                median.index,
                curves.quantile(0.05, axis=1).to_numpy(),
                curves.quantile(0.95, axis=1).to_numpy(),
                color=palette[name],
                alpha=0.2,
            )
        apps = None if app.startswith("suite") else {app}
        draw_marks(ax, marks, palette, apps=apps)
        ax.set_title(tex_safe(f"{metric} {_label(cmp, app)}"), fontsize=10)
        ax.set_ylabel("millions")
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(diff_fig.over_seeds(len(cmp.seeds), paired=False), fontsize=10)
    fig.tight_layout()
    return fig
