"""The report of `appsim check`: the fit table, the targets figure, summary and HTML page."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from sim.report.context import context_html, context_markdown, context_sheets, paragraph
from sim.report.folders import (
    atomic_folder,
    file_list,
    html_image,
    html_page,
    html_table,
    markdown_table,
    write_json,
)
from sim.report.summary_text import check_sentences
from sim.report.workbook import write_workbook
from sim.scenario.schema import Scenario


def write_check_report(
    out: Path,
    scenario: Scenario,
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    figure: Any,
    info: dict[str, Any],
) -> Path:
    """`tables` are the fit table as computed, as written to fit.csv and as shown to people."""
    table, csv, shown = tables
    opening = paragraph(check_sentences(table, int(info["seeds"])))
    with atomic_folder(out) as tmp:
        csv.to_csv(tmp / "fit.csv", index=False)
        (tmp / "fit.md").write_text(markdown_table(shown) + "\n")
        write_workbook(tmp / "tables.xlsx", {"fit": shown, **context_sheets(scenario)})
        figure.savefig(tmp / "targets.png", dpi=110)
        plt.close(figure)
        summary = [
            f"# {scenario.name}: check against {info['targets']}",
            "",
            "## Summary",
            "",
            opening,
            "",
            "## Fit",
            "",
            markdown_table(shown),
            "",
            *context_markdown(scenario),
        ]
        (tmp / "summary.md").write_text("\n".join(summary))
        body = [
            "<h2>Summary</h2>",
            f"<p>{html.escape(opening)}</p>",
            "<h2>Fit</h2>",
            html_table(shown),
            html_image(tmp / "targets.png", "targets"),
            *context_html(scenario),
        ]
        page = html_page(f"appsim check: {scenario.name}", "\n".join(body))
        (tmp / "report.html").write_text(page)
        write_json(tmp / "manifest.json", {**info, "files": file_list(tmp)})
    return out
