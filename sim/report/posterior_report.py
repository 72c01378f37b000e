"""The report of a posterior calibration: particles, generations, fit, pair plot, page.

It opens like every report: the summary in words (sim.report.posterior_summary), the
scenario's timeline and assumptions, then the tables; the CSVs hold whole customers and
ratios to 4 decimals, the pages and tables.xlsx millions with the unit in each header.
"""

from __future__ import annotations

import html
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
from sim.report.context import context_html, context_markdown, context_sheets, paragraph
from sim.report.folders import (
    RATIOS,
    by_metric,
    for_csv,
    html_image,
    html_page,
    html_table,
    markdown_table,
)
from sim.report.posterior_summary import parameters_table, posterior_sentences
from sim.report.units import RATIO_UNIT, in_millions
from sim.report.workbook import write_workbook
from sim.scenario.schema import Scenario

FIT_VALUES = ["low", "high", "q05", "q50", "q95"]
GENERATION_UNITS = {
    "epsilon": "epsilon (distance; 0 = every target met)",
    "simulations": "simulations (worlds)",
    "accepted": "accepted (particles)",
    "acceptance_rate": f"acceptance_rate ({RATIO_UNIT})",
    "ess": "ess (effective particles)",
}


def write_posterior_report(
    history: Any,
    prior: Prior,
    targets: TargetSet,
    generations: pd.DataFrame,
    notes: list[str],
    out: Path,
    scenario: Scenario,
) -> None:
    """posterior.parquet, generations.csv, fit.csv, tables.xlsx, pairs.png, summary.md,
    report.html."""
    table = post.posterior_table(history, prior)
    table.to_parquet(out / "posterior.parquet", index=False)
    generations_csv(generations).to_csv(out / "generations.csv", index=False)
    fit = post.predictive_table(history, targets)
    fit_csv(fit).to_csv(out / "fit.csv", index=False)
    fig = pairs_figure(table)
    fig.savefig(out / "pairs.png", dpi=90)
    plt.close(fig)
    params = parameters_table(table, prior)
    shown = {
        "fit": shown_fit(fit),
        "parameters": in_millions(params, [], ratios=["width_ratio"]),
        "generations": shown_generations(generations),
    }
    opening = paragraph(posterior_sentences(prior, generations, fit, params))
    write_workbook(out / "tables.xlsx", {**shown, **context_sheets(scenario)})
    (out / "summary.md").write_text(_summary(scenario, opening, notes, shown))
    (out / "report.html").write_text(_page(scenario, opening, notes, shown, out / "pairs.png"))


def fit_csv(fit: pd.DataFrame) -> pd.DataFrame:
    """fit.csv: whole customers, ratio metrics and the share inside to 4 decimals."""
    return for_csv(by_metric(fit, FIT_VALUES), counts=[], ratios=["share_inside"])


def shown_fit(fit: pd.DataFrame) -> pd.DataFrame:
    """The fit as people read it: millions (ratio metrics as they are), units named."""
    return in_millions(fit, FIT_VALUES, ratios=[*RATIOS, "share_inside"], metric="metric")


def generations_csv(generations: pd.DataFrame) -> pd.DataFrame:
    """generations.csv: the acceptance rate to 4 decimals, the effective sample whole, and
    epsilon to 4 significant figures (a small epsilon is not rounded to 0, which means
    every target met)."""
    out = for_csv(generations, counts=["ess"], ratios=["acceptance_rate"])
    out["epsilon"] = [float(f"{e:.4g}") for e in generations["epsilon"]]
    return out


def shown_generations(generations: pd.DataFrame) -> pd.DataFrame:
    return generations.rename(columns=GENERATION_UNITS)


TITLES = {
    "fit": "Posterior predictive, per target (5/50/95% across the posterior's worlds)",
    "parameters": "Posterior of the free parameters, against their priors",
    "generations": "Generations",
}


def _summary(
    scenario: Scenario, opening: str, notes: list[str], shown: dict[str, pd.DataFrame]
) -> str:
    lines = [f"# {scenario.name}: posterior calibration", "", "## Summary", "", opening, ""]
    lines += [*(f"- warning: {n}" for n in notes), "", *context_markdown(scenario)]
    for key, table in shown.items():
        lines += [f"## {TITLES[key]}", "", markdown_table(table), ""]
    lines += ["Files: " + FILES, ""]
    return "\n".join(lines)


FILES = (
    "`posterior.parquet` (the last generation's particles and weights, for `--worlds`), "
    "`fit.csv` and `generations.csv` (whole customers, ratios to 4 decimals), `tables.xlsx` "
    "(these tables in millions, units in the headers, with the timeline and assumptions), "
    f"`pairs.png` (the particles' pair plot), `{post.DB_NAME}` (pyabc's history: a rerun "
    "resumes)."
)


def _page(
    scenario: Scenario,
    opening: str,
    notes: list[str],
    shown: dict[str, pd.DataFrame],
    pairs: Path,
) -> str:
    parts = ["<h2>Summary</h2>", f"<p>{html.escape(opening)}</p>"]
    parts += [f"<p><b>warning:</b> {html.escape(n)}</p>" for n in notes]
    parts += context_html(scenario)
    for key, table in shown.items():
        parts += [f"<h2>{html.escape(TITLES[key])}</h2>", html_table(table)]
    parts += [html_image(pairs, "pair plot of the posterior"), f"<p>{html.escape(FILES)}</p>"]
    title = f"appsim posterior calibration: {scenario.name}"
    return html_page(title, "\n".join(parts))


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
