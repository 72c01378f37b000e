"""Difference-over-time charts: a what-if minus the base, day by day, with its band.

Two overlaid curves that differ by a few percent look the same; their difference does not.
Each chart shows, for the suite's key metrics, the median of (what-if - base) and its 5-95%
band over paired samples. What a sample is decides which uncertainty the band shows, and
the chart says it in its title:

- a plain comparison pairs seeds (common random numbers) in one parameter set: the band is
  Monte Carlo noise, "over seeds, one world";
- a comparison with --worlds pairs worlds drawn from a posterior, each world's difference
  the mean over its seeds: the band is parameter uncertainty, "across worlds".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.report.labels import tex_safe
from sim.results.fonts import use_in_matplotlib
from sim.results.markers import Mark, draw_marks
from sim.results.words import counted

KEY_METRICS = [("mau", "suite"), ("dau", "suite"), ("registered", "suite")]
PANEL_TITLES = {
    "mau": "suite MAU (distinct customers, trailing 30 days)",
    "dau": "suite DAU (distinct customers)",
    "registered": "suite registered (distinct customers)",
}


def over_seeds(n_seeds: int, paired: bool = True) -> str:
    seeds = counted(n_seeds, "paired seed" if paired else "seed")
    return f"median and 5-95% band over {seeds} (one world: Monte Carlo noise)"


def across_worlds(n_worlds: int, reps: int) -> str:
    return (
        f"median and 5-95% band across {counted(n_worlds, 'world')} (parameter uncertainty; "
        f"each world the mean of {counted(reps, 'paired seed')})"
    )


def bands(diffs: pd.DataFrame) -> pd.DataFrame:
    """Dates x samples of differences -> dates x (q05, q50, q95)."""
    return pd.DataFrame(
        {
            "q05": diffs.quantile(0.05, axis=1),
            "q50": diffs.median(axis=1),
            "q95": diffs.quantile(0.95, axis=1),
        }
    )


def difference_figure(
    names: tuple[str, str],
    panels: dict[tuple[str, str], pd.DataFrame],
    band_label: str,
    marks: list[tuple[Mark, str | None]],
    colours: dict[str, str],
) -> Figure:
    """One panel per (metric, app): the median difference (millions) of names[0] minus
    names[1] (the base) shaded 5-95%, with both scenarios' event marks."""
    use_in_matplotlib()
    colour = colours.get(names[0], "tab:blue")
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.8 * len(panels)), squeeze=False)
    for i, (ax, ((metric, _app), band)) in enumerate(zip(axes[:, 0], panels.items(), strict=True)):
        values = band / 1e6
        ax.plot(values.index, values["q50"].to_numpy(), color=colour, lw=1.4, label="median")
        ax.fill_between(
            values.index,
            values["q05"].to_numpy(),
            values["q95"].to_numpy(),
            color=colour,
            alpha=0.25,
            label="5-95% band",
        )
        ax.axhline(0, color="#555", lw=0.8)
        draw_marks(ax, marks, colours, labels=i == 0)  # the panels share their dates
        ax.set_title(tex_safe(PANEL_TITLES.get(metric, metric)), fontsize=10)
        ax.set_ylabel("difference, millions")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle(tex_safe(f"{names[0]} minus {names[1]}: {band_label}"), fontsize=10)
    fig.tight_layout()
    return fig


def save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def file_name(name: str) -> str:
    """A file name from a scenario name (kept to letters, digits, - and _)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return f"difference_{safe}.png"


def world_panels(
    curve: Callable[[int, str, str], pd.Series],
    n_names: int,
    n_worlds: int,
    reps: int,
) -> list[dict[tuple[str, str], pd.DataFrame]]:
    """Per what-if, the across-worlds bands of each key metric. `curve(i, metric, app)` is
    run i's daily series, runs ordered scenario, world, seed (as compare --worlds runs
    them); a world's difference is the mean over its seeds of the paired differences."""
    out = []
    for which in range(1, n_names):
        panels = {}
        for metric, app in KEY_METRICS:
            per_world = {}
            for k in range(n_worlds):
                runs = [(k * reps + r) for r in range(reps)]
                diff = [
                    curve(which * n_worlds * reps + j, metric, app) - curve(j, metric, app)
                    for j in runs
                ]
                per_world[k] = pd.concat(diff, axis=1).mean(axis=1)
            panels[(metric, app)] = bands(pd.DataFrame(per_world))
        out.append(panels)
    return out


def seed_panels(
    curves: Callable[[str, str, str], pd.DataFrame], base: str, name: str
) -> dict[tuple[str, str], pd.DataFrame]:
    """The over-seeds bands of each key metric: `curves(name, metric, app)` is dates x seeds,
    the same seeds in every scenario, so column by column the difference is paired."""
    return {
        (metric, app): bands(curves(name, metric, app) - curves(base, metric, app))
        for metric, app in KEY_METRICS
    }
