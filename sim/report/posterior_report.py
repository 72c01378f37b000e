"""The report of a posterior calibration: particles, generations, fit, pair plot, page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments import posterior as post
from sim.experiments.prior import Prior
from sim.experiments.targets import TargetSet
from sim.report.folders import html_image, html_page, html_table, markdown_table


def write_posterior_report(
    history: Any,
    prior: Prior,
    targets: TargetSet,
    generations: pd.DataFrame,
    notes: list[str],
    out: Path,
) -> None:
    """posterior.parquet, generations.csv, fit.csv, pairs.png, summary.md, report.html."""
    table = post.posterior_table(history, prior)
    table.to_parquet(out / "posterior.parquet", index=False)
    generations.to_csv(out / "generations.csv", index=False)
    fit = post.predictive_table(history, targets)
    fit.to_csv(out / "fit.csv", index=False)
    fig = pairs_figure(table)
    fig.savefig(out / "pairs.png", dpi=90)
    plt.close(fig)
    shown_fit = _fit_in_millions(fit)
    (out / "summary.md").write_text(_summary(prior, generations, shown_fit, notes))
    body = "\n".join(
        [
            *(f"<p><b>warning:</b> {n}</p>" for n in notes),
            "<h2>Generations</h2>",
            html_table(generations),
            "<h2>Posterior predictive, per target (millions; 5/50/95% across worlds)</h2>",
            html_table(shown_fit),
            "<h2>Posterior of the free parameters</h2>",
            html_image(out / "pairs.png", "pair plot of the posterior"),
        ]
    )
    (out / "report.html").write_text(html_page("appsim posterior calibration", body))


def _fit_in_millions(fit: pd.DataFrame) -> pd.DataFrame:
    shown = fit.copy()
    for col in ("low", "high", "q05", "q50", "q95"):
        shown[col] = shown[col] / 1e6
    return shown


def _summary(prior: Prior, generations: pd.DataFrame, fit: pd.DataFrame, notes: list[str]) -> str:
    last = generations.iloc[-1]
    lines = [
        "# Posterior calibration",
        "",
        f"{len(prior.parameters)} free parameters, {int(generations['simulations'].sum()):,} "
        f"simulated worlds at 1:{prior.scale:g} over {len(generations)} generations; the last "
        f"at epsilon {last['epsilon']:.3g} with {int(last['accepted'])} particles "
        f"(effective sample {last['ess']:.0f}). Epsilon 0 means every particle meets every "
        "target: the posterior is the prior restricted to the worlds that meet them all.",
        "",
        *(f"- warning: {n}" for n in notes),
        "",
        "## Posterior predictive (millions)",
        "",
        markdown_table(fit),
        "",
        "## Generations",
        "",
        markdown_table(generations),
        "",
    ]
    return "\n".join(lines)


def pairs_figure(table: pd.DataFrame) -> Figure:
    """A corner plot: weighted histograms on the diagonal, particles below it."""
    params = [c for c in table.columns if c != "weight"]
    n = len(params)
    weights = table["weight"].to_numpy()
    fig, axes = plt.subplots(n, n, figsize=(1.6 * n + 1, 1.6 * n + 1), squeeze=False)
    for i, row in enumerate(params):
        for j, col in enumerate(params):
            ax = axes[i][j]
            if j > i:
                ax.axis("off")
            elif i == j:
                ax.hist(table[col], bins=20, weights=weights, color="#4477aa")
            else:
                size = 4 + 40 * weights / max(float(np.max(weights)), 1e-12)
                ax.scatter(table[col], table[row], s=size, alpha=0.4, color="#4477aa")
            ax.tick_params(labelsize=5)
            if i == n - 1:
                ax.set_xlabel(_short(col), fontsize=6)
            if j == 0 and i > 0:
                ax.set_ylabel(_short(row), fontsize=6)
    fig.tight_layout()
    return fig


def _short(path: str) -> str:
    """A key path shortened for an axis label: `apps.bank.x.mean` -> `bank.mean`."""
    parts = path.split(".")
    return ".".join(parts[1:2] + parts[-1:]) if len(parts) > 2 else path
