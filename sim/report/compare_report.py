"""The comparison report: overlay figures with bands, paired-difference tables, ranking."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd

from sim.experiments.compare import Comparison, crn_summary, paired_differences, ranking
from sim.report.compare_figures import comparison_figures
from sim.report.context import context_html, context_markdown, context_sheets, paragraph
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
from sim.report.interactive import comparison_page
from sim.report.scenario_notes import (
    ScenarioNote,
    notes_for,
    notes_html,
    notes_markdown,
    notes_sheets,
)
from sim.report.summary_text import compare_sentences, headline_day
from sim.report.units import in_millions
from sim.report.workbook import write_workbook
from sim.results.words import counted
from sim.scenario.schema import Scenario


def write_comparison_report(
    cmp: Comparison,
    dates: list[dt.date],
    outcome: tuple[str, str],
    out_dir: Path,
    info: dict[str, object],
    paths: list[Path] | None = None,
) -> Path:
    """Write figures, tables, summary.md, report.html and manifest.json (atomically).
    With the scenario files (`paths`), the report lists each one's overrides of its parent."""
    diffs = paired_differences(cmp, dates)
    ranked = ranking(cmp, outcome[0], outcome[1], dates[-1])
    scenarios = [cmp.results[name][0].scenario for name in cmp.names]
    notes = notes_for(scenarios, paths)
    opening = _opening(cmp, diffs, ranked, outcome, dates, notes)
    with atomic_folder(out_dir) as tmp:
        for_csv(diffs).to_csv(tmp / "differences.csv", index=False)
        outcome_is_ratio = outcome[0] in RATIOS
        outcome_cols = ["mean", "p5", "p95"]
        ranked_csv = for_csv(
            ranked,
            counts=[] if outcome_is_ratio else outcome_cols,
            ratios=[*RATIOS, *(outcome_cols if outcome_is_ratio else [])],
        )
        ranked_csv.to_csv(tmp / "ranking.csv", index=False)
        sheets = _sheets(diffs, ranked, outcome_is_ratio, scenarios[0], notes)
        write_workbook(tmp / "tables.xlsx", sheets)
        figures = comparison_figures(cmp, tmp / "figures")
        (tmp / "interactive.html").write_text(comparison_page(cmp))
        headline = in_millions(headline_table(diffs), AMOUNTS)
        shown_rank = shown_ranking(ranked, outcome_is_ratio)
        ratio = crn_summary(diffs)
        md_parts = [opening, *context_markdown(scenarios[0]), *notes_markdown(notes)]
        (tmp / "summary.md").write_text(
            _summary_md(cmp, headline, shown_rank, outcome, ratio, md_parts)
        )
        html_parts = [f"<p>{html.escape(opening)}</p>", *context_html(scenarios[0])]
        html_parts += notes_html(notes)
        (tmp / "report.html").write_text(
            _html(cmp, headline, shown_rank, diffs, figures, outcome, ratio, html_parts)
        )
        write_json(
            tmp / "manifest.json",
            {**info, "crn_width_ratio_median": ratio, "files": file_list(tmp)},
        )
    return out_dir


def _opening(
    cmp: Comparison,
    diffs: pd.DataFrame,
    ranked: pd.DataFrame,
    outcome: tuple[str, str],
    dates: list[dt.date],
    notes: list[ScenarioNote],
) -> str:
    """The summary paragraph: each what-if's effect at the base's last key date (or the last
    table date when --at left it out)."""
    day = headline_day(cmp.results[cmp.names[0]][0].scenario, dates)
    shorts = {note.name: note.short() for note in notes}
    return paragraph(
        compare_sentences(cmp.names, len(cmp.seeds), diffs, ranked, outcome, day, shorts)
    )


AMOUNTS = ["base_mean", "mean", "difference", "ci_low", "ci_high"]


def _sheets(
    diffs: pd.DataFrame,
    ranked: pd.DataFrame,
    outcome_is_ratio: bool,
    base: Scenario,
    notes: list[ScenarioNote],
) -> dict[str, pd.DataFrame]:
    """The sheets of tables.xlsx: customer counts in millions, units in the headers."""
    amounts = [*AMOUNTS, "ci_half_paired", "ci_half_independent"]
    return {
        "suite differences": in_millions(headline_table(diffs), AMOUNTS),
        "differences": in_millions(diffs, amounts, metric="metric"),
        "ranking": shown_ranking(ranked, outcome_is_ratio),
        **notes_sheets(notes),
        **context_sheets(base),
    }


def headline_table(diffs: pd.DataFrame) -> pd.DataFrame:
    """The suite rows of the differences against the first scenario (customers), 95% CIs."""
    suite = diffs[diffs["app"].isin(["suite", "suite_sum"])].copy()
    suite["measure"] = suite["metric"] + " " + suite["app"]
    return suite[["scenario", "date", "measure", *AMOUNTS, "width_ratio"]]


def shown_ranking(ranked: pd.DataFrame, outcome_is_ratio: bool) -> pd.DataFrame:
    """The ranking as people read it: the outcome in millions (or as a ratio), units named."""
    outcome = ["mean", "p5", "p95"]
    if outcome_is_ratio:
        return in_millions(ranked, [], ratios=[*RATIOS, *outcome])
    return in_millions(ranked, outcome)


def ranking_note(seeds: int) -> str:
    """What the ranking table's columns are, its interval's kind included."""
    return (
        f"`mean`, `p5` and `p95`: the outcome's mean and 5-95% range over the "
        f"{counted(seeds, 'seed')}, "
        "over seeds of one parameter set (Monte Carlo noise, not parameter uncertainty). "
        "`share_of_seeds_best`: on how many seeds the scenario beats all others (paired)."
    )


def _summary_md(
    cmp: Comparison,
    headline: pd.DataFrame,
    ranked: pd.DataFrame,
    outcome: tuple[str, str],
    ratio: float,
    opening: list[str],
) -> str:
    summary, *context = opening
    return "\n".join(
        [
            f"# Comparison against {cmp.names[0]}",
            "",
            "## Summary",
            "",
            summary,
            "",
            *context,
            f"{counted(len(cmp.names), 'scenario')} x {counted(len(cmp.seeds), 'seed')} (the same "
            "seeds for each: common "
            "random numbers). Differences are each scenario minus the first, in millions, with 95% "
            "confidence intervals over the paired seeds: Monte Carlo noise within this one "
            "parameter set, not the uncertainty of the parameters (for that, compare across "
            "plausible worlds with --worlds).",
            "",
            "## Suite differences",
            "",
            markdown_table(headline),
            "",
            f"## Ranking by {outcome[0]} of {outcome[1]} on the last date",
            "",
            markdown_table(ranked),
            "",
            ranking_note(len(cmp.seeds)),
            "",
            "## Common random numbers",
            "",
            _crn_sentence(ratio),
            "`width_ratio` in `differences.csv` gives it per comparison.",
            "",
            "Files: `differences.csv` (every metric and app), `ranking.csv`, `figures/*.png` "
            "(`difference_<what-if>.png`: what-if minus base over time, banded over the paired "
            "seeds), `interactive.html` (hover, menus; works offline); "
            "`tables.xlsx` holds these tables in millions of customers (units in the headers) "
            "with the scenarios, their overrides, the base's timeline and its assumptions.",
            "",
        ]
    )


def _crn_sentence(ratio: float) -> str:
    if ratio != ratio:  # NaN: one seed, or no comparison with any spread
        return ""
    if ratio == 0:
        return (
            "Median ratio of the paired to the independent-seeds interval width: 0 (the "
            "scenarios give the same result on every seed: the paired intervals have no width)."
        )
    return (
        f"Median ratio of the paired to the independent-seeds interval width: {ratio:.2f} "
        f"(the paired intervals are {1 / ratio:.1f}x narrower)."
    )


def _html(
    cmp: Comparison,
    headline: pd.DataFrame,
    ranked: pd.DataFrame,
    diffs: pd.DataFrame,
    figures: list[Path],
    outcome: tuple[str, str],
    ratio: float,
    opening: list[str],
) -> str:
    apps = diffs[~diffs["app"].isin(["suite", "suite_sum"])]
    apps = apps.drop(columns=["ci_half_paired", "ci_half_independent"])
    apps = in_millions(apps, AMOUNTS, metric="metric")
    parts = [
        "<h2>Summary</h2>",
        *opening,
        f"<p>{counted(len(cmp.names), 'scenario')} x {counted(len(cmp.seeds), 'seed')}, common "
        "random numbers. "
        f"Differences against <b>{html.escape(cmp.names[0])}</b>, millions, 95% CI over "
        "seeds: Monte Carlo noise within this one parameter set, not parameter uncertainty.</p>",
        "<h2>Suite differences</h2>",
        html_table(headline),
        f"<h2>Ranking by {html.escape(outcome[0])} of {html.escape(outcome[1])}</h2>",
        html_table(ranked),
        f"<p>{html.escape(ranking_note(len(cmp.seeds)))}</p>",
        f"<p>Median paired / independent CI width ratio: {ratio:.2f}.</p>",
        "<h2>Figures</h2>",
        *(html_image(p, p.stem) for p in figures),
        "<h2>Per app</h2>",
        html_table(apps),
    ]
    return html_page(f"appsim comparison: {', '.join(cmp.names)}", "\n".join(parts))
