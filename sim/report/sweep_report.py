"""The sweep report: every run's inputs and outcomes, sensitivity indices, a tornado figure."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.report.context import context_html, context_markdown, context_sheets, paragraph
from sim.report.folders import (
    RATIOS,
    atomic_folder,
    by_rows,
    file_list,
    for_csv,
    html_image,
    html_page,
    html_table,
    markdown_table,
    write_json,
)
from sim.report.labels import tex_safe
from sim.report.summary_text import sweep_sentences
from sim.report.units import COUNT_UNIT, RATIO_UNIT, in_millions
from sim.report.workbook import write_workbook
from sim.results.words import counted
from sim.scenario.schema import Scenario


def write_sweep_report(
    table: pd.DataFrame,
    indices: pd.DataFrame,
    out_dir: Path,
    info: dict[str, Any],
    base: Scenario | None = None,
) -> Path:
    """runs.parquet/csv, sensitivity.csv, tornado figures, summary.md, report.html and
    manifest.json; with the `base` scenario, its timeline and assumptions too."""
    counts = count_rows(indices, info)
    opening = paragraph(sweep_sentences(indices, info, counts))
    context = (context_markdown(base), context_html(base)) if base is not None else ([], [])
    title = f"sweep of {base.name if base else Path(str(info.get('base'))).stem}"
    title += f": {info.get('sampler')} design"
    shown = shown_indices(indices, counts)
    with atomic_folder(out_dir) as tmp:
        table.to_parquet(tmp / "runs.parquet", index=False)
        _runs_csv(table, info).to_csv(tmp / "runs.csv", index=False)
        figures = []
        if not indices.empty:
            scores = [c for c in SCORES if c in indices.columns]
            by_rows(indices, scores, ~counts).to_csv(tmp / "sensitivity.csv", index=False)
            figures = _tornados(indices, tmp / "figures", counts)
        write_workbook(tmp / "tables.xlsx", _sheets(table, shown, info, base))
        (tmp / "summary.md").write_text(_summary(title, shown, info, opening, context[0]))
        body = ["<h2>Summary</h2>", f"<p>{html.escape(opening)}</p>"]
        if not indices.empty:
            body += ["<h2>Sensitivity</h2>", html_table(shown)]
            body += [html_image(p, p.stem) for p in figures]
        body += context[1]
        (tmp / "report.html").write_text(html_page(f"appsim {title}", "\n".join(body)))
        write_json(tmp / "manifest.json", {**info, "files": file_list(tmp)})
    return out_dir


SCORES = ("value", "ci95", "sigma")  # the index, its 95% half-width, Morris's sigma
VARIANCE_SHARES = ("S1", "ST")  # Sobol's indices: shares of the outcome's variance


def count_rows(indices: pd.DataFrame, info: dict[str, Any]) -> pd.Series:
    """The rows whose scores count customers: Morris's (in the outcome's unit) for an
    outcome that is not a ratio."""
    if indices.empty:
        return pd.Series(dtype=bool)
    outcomes = (info.get("spec") or {}).get("outcomes") or {}
    metrics = {n: o.get("metric") for n, o in outcomes.items() if isinstance(o, dict)}
    ratio_outcome = indices["outcome"].map(metrics).isin(RATIOS)
    return ~indices["index"].isin(VARIANCE_SHARES) & ~ratio_outcome


def score_unit(indices: pd.DataFrame, counts: pd.Series) -> str:
    """The unit of the scores of `indices` (rows of one kind, or several)."""
    if counts.all():
        return COUNT_UNIT
    if indices["index"].isin(VARIANCE_SHARES).all():
        return "share of variance"
    if not counts.any() and not indices["index"].isin(VARIANCE_SHARES).any():
        return RATIO_UNIT
    return f"{COUNT_UNIT}; {RATIO_UNIT} for ratio outcomes; share of variance for S1, ST"


def shown_indices(indices: pd.DataFrame, counts: pd.Series) -> pd.DataFrame:
    """The indices as people read them: customer counts in millions, units in the headers."""
    if indices.empty:
        return indices
    out = indices.copy()
    for col in SCORES:
        if col in out.columns:
            out[col] = out[col].where(~counts, out[col] / 1e6)
    unit = score_unit(indices, counts)
    names = {"value": f"value ({unit})", "ci95": f"ci95 (+/-, {unit})", "sigma": f"sigma ({unit})"}
    ranked = out.sort_values(["outcome", "value"], ascending=[True, False])
    return ranked.rename(columns=names)


def _outcome_columns(table: pd.DataFrame, info: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The runs table's outcome columns that count customers, and those that are ratios."""
    outcomes = (info.get("spec") or {}).get("outcomes") or {}
    metrics = {name: o.get("metric") for name, o in outcomes.items() if isinstance(o, dict)}
    counts = [n for n, m in metrics.items() if m not in RATIOS and n in table.columns]
    ratios = [n for n, m in metrics.items() if m in RATIOS and n in table.columns]
    return counts, ratios


def _runs_csv(table: pd.DataFrame, info: dict[str, Any]) -> pd.DataFrame:
    """The runs with outcomes in whole customers (ratio outcomes to 4 decimals); the
    parameter values as drawn."""
    counts, ratios = _outcome_columns(table, info)
    return for_csv(table, counts=counts, ratios=ratios)


def _sheets(
    table: pd.DataFrame, shown: pd.DataFrame, info: dict[str, Any], base: Scenario | None
) -> dict[str, pd.DataFrame]:
    """tables.xlsx: the runs (outcomes in millions) and the indices as the summary shows
    them, then the base scenario's timeline and assumptions."""
    counts, ratios = _outcome_columns(table, info)
    sheets = {"runs": in_millions(table, counts, ratios=ratios)}
    if not shown.empty:
        sheets["sensitivity"] = shown
    return {**sheets, **(context_sheets(base) if base is not None else {})}


def _tornados(indices: pd.DataFrame, folder: Path, counts: pd.Series | None = None) -> list[Path]:
    """A tornado figure per outcome; `counts` marks the rows in customers (by default every
    Morris row), drawn in millions."""
    if counts is None:
        counts = ~indices["index"].isin(VARIANCE_SHARES)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    main = indices["index"].isin(["mu_star", "ST"])
    for outcome, rows in indices[main].groupby("outcome"):
        in_customers = counts[rows.index]
        scaled = rows.copy()
        for col in ("value", "ci95"):
            scaled[col] = rows[col].where(~in_customers, rows[col] / 1e6)
        fig = tornado_figure(str(outcome), scaled, score_unit(rows, in_customers))
        path = folder / f"tornado_{outcome}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


def tornado_figure(outcome: str, rows: pd.DataFrame, unit: str) -> Figure:
    """One bar per parameter: its index (mu_star or ST) for `outcome`, with its 95% CI."""
    rows = rows.sort_values("value")
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.5))
    ax.barh(
        [tex_safe(p) for p in rows["parameter"]],
        rows["value"],
        xerr=rows["ci95"],
        color="tab:blue",
        alpha=0.8,
        capsize=3,
    )
    index = rows["index"].iloc[0]
    ax.set_title(tex_safe(f"{outcome}: {index} with 95% CI"))
    ax.set_xlabel(tex_safe(f"{index} of {outcome} ({unit}), 95% CI over the bootstrap"))
    ax.set_ylabel("parameter")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def _summary(
    title: str, shown: pd.DataFrame, info: dict[str, Any], opening: str, context: list[str]
) -> str:
    lines = [
        f"# {title[0].upper()}{title[1:]}",
        "",
        "## Summary",
        "",
        opening,
        "",
        counts_line(info),
        "",
    ]
    if not shown.empty:
        lines += ["## Sensitivity (ranked)", "", markdown_table(shown), ""]
    lines += [
        "`runs.parquet`: every run's inputs and outcomes; the store keeps each run's "
        "month-end tables under its content hash.",
        "",
        *context,
    ]
    return "\n".join(lines)


def counts_line(info: dict[str, Any]) -> str:
    """`61 distinct runs (61 computed, 0 from the store, 0 failed); 200 design points`."""
    design = counted(info["design_runs"], "design point")
    if info["seeds"] > 1:
        design = f"{counted(info['design_runs'], 'design run')} ({info['seeds']} seeds a point)"
    return (
        f"{counted(info['distinct_runs'], 'distinct run')} ({info.get('done', 0)} computed, "
        f"{info.get('cached', 0)} from the store, {info.get('failed', 0)} failed); {design}"
    )
