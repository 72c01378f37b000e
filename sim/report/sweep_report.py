"""The sweep report: every run's inputs and outcomes, sensitivity indices, a tornado figure."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from sim.report.context import context_html, context_markdown, paragraph
from sim.report.folders import (
    RATIOS,
    atomic_folder,
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
    opening = paragraph(sweep_sentences(indices, info))
    context = (context_markdown(base), context_html(base)) if base is not None else ([], [])
    with atomic_folder(out_dir) as tmp:
        table.to_parquet(tmp / "runs.parquet", index=False)
        _runs_csv(table, info).to_csv(tmp / "runs.csv", index=False)
        figures = []
        if not indices.empty:
            indices.to_csv(tmp / "sensitivity.csv", index=False)
            figures = _tornados(indices, tmp / "figures")
        (tmp / "summary.md").write_text(_summary(indices, info, opening, context[0]))
        body = ["<h2>Summary</h2>", f"<p>{html.escape(opening)}</p>"]
        if not indices.empty:
            body += ["<h2>Sensitivity</h2>", html_table(indices)]
            body += [html_image(p, p.stem) for p in figures]
        body += context[1]
        (tmp / "report.html").write_text(html_page("appsim sweep", "\n".join(body)))
        write_json(tmp / "manifest.json", {**info, "files": file_list(tmp)})
    return out_dir


def _runs_csv(table: pd.DataFrame, info: dict[str, Any]) -> pd.DataFrame:
    """The runs with outcomes in whole customers (ratio outcomes to 4 decimals); the
    parameter values as drawn."""
    outcomes = (info.get("spec") or {}).get("outcomes") or {}
    metrics = {name: o.get("metric") for name, o in outcomes.items() if isinstance(o, dict)}
    counts = [n for n, m in metrics.items() if m not in RATIOS and n in table.columns]
    ratios = [n for n, m in metrics.items() if m in RATIOS and n in table.columns]
    return for_csv(table, counts=counts, ratios=ratios)


def _tornados(indices: pd.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    main = indices[indices["index"].isin(["mu_star", "ST"])]
    for outcome, rows in main.groupby("outcome"):
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
        ax.set_title(tex_safe(f"{outcome}: {rows['index'].iloc[0]} with 95% CI"))
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        path = folder / f"tornado_{outcome}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


def _summary(indices: pd.DataFrame, info: dict[str, Any], opening: str, context: list[str]) -> str:
    lines = [
        f"# Sweep: {info.get('sampler')} design",
        "",
        "## Summary",
        "",
        opening,
        "",
        counts_line(info),
        "",
    ]
    if not indices.empty:
        ranked = indices.sort_values(["outcome", "value"], ascending=[True, False])
        lines += ["## Sensitivity (ranked)", "", markdown_table(ranked), ""]
    lines += [
        "`runs.parquet`: every run's inputs and outcomes; the store keeps each run's "
        "month-end tables under its content hash.",
        "",
        *context,
    ]
    return "\n".join(lines)


def counts_line(info: dict[str, Any]) -> str:
    """`61 distinct runs (61 computed, 0 from the store, 0 failed); 200 design points`."""
    design = f"{info['design_runs']} design points"
    if info["seeds"] > 1:
        design = f"{info['design_runs']} design runs ({info['seeds']} seeds a point)"
    return (
        f"{info['distinct_runs']} distinct runs ({info.get('done', 0)} computed, "
        f"{info.get('cached', 0)} from the store, {info.get('failed', 0)} failed); {design}"
    )
