"""The report of a comparison across plausible worlds: effects, P(best), regret, in words."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.across_worlds import WorldRuns, effects_table
from sim.report.context import context_html, context_markdown, context_sheets
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
from sim.report.scenario_notes import (
    ScenarioNote,
    notes_for,
    notes_html,
    notes_markdown,
    notes_sheets,
)
from sim.report.units import in_millions
from sim.report.workbook import write_workbook
from sim.report.worlds_summary import worlds_sentences
from sim.results.words import counted
from sim.scenario.schema import Scenario

SHARES = ("p_best", "share_helped", "parameter_share")  # of worlds, or of the spread
MILLIONS = ("effect_q05", "effect_q50", "effect_q95", "regret_mean", "regret_p95", "regret_max")


def write_worlds_report(
    runs: WorldRuns,
    scenarios: list[Scenario],
    info: dict[str, Any],
    out: Path,
    more_figures: Callable[[Path], list[Path]] | None = None,
    paths: list[Path] | None = None,
    by_date: dict[Any, WorldRuns] | None = None,
) -> None:
    """effects.csv, effects.png, summary.md, report.html and manifest.json (atomically), and
    with `by_date` (the same runs read at each table date) effects-by-date.csv;
    `more_figures(folder)` writes further figures there, shown after effects.png. The
    summary opens with the effects in words, then the base's timeline and assumptions, and
    each scenario's description, overrides (with the scenario files, `paths`) and pins."""
    table = effects_table(runs)
    amounts = [c for c in MILLIONS if c in table.columns]
    ratio_outcome = str(info["outcome"]).split(":", 1)[0] in RATIOS
    counts, ratios = ([], [*SHARES, *amounts]) if ratio_outcome else (amounts, list(SHARES))
    shown = in_millions(table, counts, ratios=ratios)
    sentences = worlds_sentences(runs, table, info)
    notes = _pinned(notes_for(scenarios, paths), info)
    dated = _by_date(by_date or {})
    dated_shown = in_millions(dated, counts, ratios=ratios)
    with atomic_folder(out) as tmp:
        for_csv(table, counts=counts, ratios=ratios).to_csv(tmp / "effects.csv", index=False)
        sheets = {"effects": shown, **notes_sheets(notes), **context_sheets(scenarios[0])}
        if len(dated):
            for_csv(dated, counts=counts, ratios=ratios).to_csv(
                tmp / "effects-by-date.csv", index=False
            )
            sheets = {"effects": shown, "effects-by-date": dated_shown, **sheets}
        write_workbook(tmp / "tables.xlsx", sheets)
        fig = effects_figure(runs, info)
        fig.savefig(tmp / "effects.png", dpi=110)
        plt.close(fig)
        extra = more_figures(tmp / "figures") if more_figures else []
        summary = _summary(shown, sentences, scenarios[0], notes, info, dated_shown)
        (tmp / "summary.md").write_text(summary)
        body = "\n".join(
            [
                "<h2>Summary</h2>",
                *(f"<p>{html.escape(s)}</p>" for s in sentences),
                *context_html(scenarios[0]),
                *notes_html(notes),
                "<h2>Effects across worlds</h2>",
                f"<p>{_what(info)}</p>",
                html_table(shown),
                *([f"<h2>{DATED_TITLE}</h2>", html_table(dated_shown)] if len(dated) else []),
                html_image(tmp / "effects.png", "effects across worlds"),
                *(html_image(path, path.stem) for path in extra),
            ]
        )
        (tmp / "report.html").write_text(html_page("appsim comparison across worlds", body))
        write_json(tmp / "manifest.json", {**info, "files": file_list(tmp)})


DATED_TITLE = "Effects across worlds at every table date"


def _by_date(by_date: dict[Any, WorldRuns]) -> pd.DataFrame:
    """effects_table at each date, one block of rows per date."""
    frames = [effects_table(runs).assign(date=day.isoformat()) for day, runs in by_date.items()]
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    return table[["date", *[c for c in table.columns if c != "date"]]]


def _what(info: dict[str, Any]) -> str:
    return (
        f"Outcome {info['outcome']} on {info['at']}, in {counted(info['worlds'], 'world')} "
        f"drawn from {info['posterior']} x {counted(info['reps'], 'seed')} each (common random "
        "numbers). Effects are "
        "in millions of customers, what-if minus base; their 5-95% range is across worlds "
        "(parameter uncertainty within the prior and the model's structure); "
        "parameter_share is the part of that spread that is not Monte Carlo noise."
    )


def _pinned(notes: list[ScenarioNote], info: dict[str, Any]) -> list[ScenarioNote]:
    """Each note with what its scenario pins against the worlds (as a last change line)."""
    out = []
    for note in notes:
        pins = info["pinned"].get(note.name) or []
        line = [f"pins, against the worlds: {', '.join(pins)}"] if pins else []
        out.append(replace(note, changes=[*note.changes, *line]))
    return out


def _summary(
    shown: Any,
    sentences: list[str],
    base: Scenario,
    notes: list[ScenarioNote],
    info: dict[str, Any],
    dated: Any,
) -> str:
    lines = ["# Comparison across plausible worlds", "", "## Summary", ""]
    lines += [*(f"{s}\n" for s in sentences), *context_markdown(base), *notes_markdown(notes)]
    lines += ["## Effects across worlds", "", _what(info), "", markdown_table(shown), ""]
    if len(dated):
        lines += [f"## {DATED_TITLE}", "", markdown_table(dated), ""]
    return "\n".join(lines) + "\n"


def effects_figure(runs: WorldRuns, info: dict[str, Any]) -> Figure:
    """Each what-if's effect in every world (a dot per world), with its 5-95% range."""
    effects = runs.effects() / 1e6
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(effects) + 1.5))
    for i, row in enumerate(effects):
        ax.scatter(row, [i] * len(row), s=12, alpha=0.5)
    ax.axvline(0, color="#888", lw=1)
    ax.set_yticks(range(len(effects)), runs.names[1:])
    ax.set_xlabel(f"effect on {info['outcome']} at {info['at']}, millions (what-if minus base)")
    ax.set_title(f"across {counted(info['worlds'], 'world')} (a dot per world)")
    fig.tight_layout()
    return fig
