"""Every table a person reads names the unit of each number column in its header, and the
files for programs keep whole customers (sim.report.units)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.experiments.compare import Comparison
from sim.report.compare_report import write_comparison_report
from sim.report.run_report import write_run_report
from sim.report.units import in_millions

from ..conftest import TINY
from .workbook_checks import assert_workbook

NUMBER = re.compile(r"^(<|>-)?-?[\d,]+(\.\d+)?$")
NO_UNIT_NEEDED = {"rank"}  # a position, not an amount


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every GitHub table in `text`: rows of cells, the header row first (rule dropped)."""
    tables, current = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= {"-"} for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def unitless_number_columns(text: str) -> list[str]:
    """Headers of columns that hold only numbers yet name no unit `(...)`."""
    missing = []
    for header, *rows in markdown_tables(text):
        for i, name in enumerate(header):
            cells = [row[i] for row in rows if row[i] not in ("", "–")]
            numeric = bool(cells) and all(NUMBER.match(c) for c in cells)
            if numeric and "(" not in name and name not in NO_UNIT_NEEDED:
                missing.append(name)
    return missing


def test_the_finder_catches_a_number_column_without_its_unit():
    text = "| app | mau | mau (M customers) | rank |\n|---|---|---|---|\n| a | 1.5 | 2 | 1 |\n"
    assert unitless_number_columns(text) == ["mau"]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    named = folder / "named.yaml"
    named.write_text(f"extends: {TINY}\napps:\n  bank: {{name: mobile bank 手机银行}}\n")
    result = sim.run(sim.load_scenario(named), seed=1)
    return write_run_report(result, folder / "report")


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cmp")
    what_if = folder / "fewer.yaml"
    what_if.write_text(
        f"extends: {TINY}\nname: fewer\napps:\n  chat: {{adoption: {{p_per_year: 0.05}}}}\n"
    )
    scenarios = [sim.load_scenario(TINY), sim.load_scenario(what_if)]
    results = {sc.name: [sim.run(sc, seed=s) for s in range(2)] for sc in scenarios}
    cmp = Comparison(list(results), [0, 1], results)
    out = folder / "report"
    write_comparison_report(
        cmp, [dt.date(2020, 12, 31)], ("mau", "suite_sum"), out, {}, [TINY, what_if]
    )
    return out


def test_run_summary_tables_name_their_units(run_folder: Path):
    assert unitless_number_columns((run_folder / "summary.md").read_text()) == []


def test_compare_summary_tables_name_their_units(compare_folder: Path):
    assert unitless_number_columns((compare_folder / "summary.md").read_text()) == []


def test_run_page_and_workbook_show_the_summarys_headers(run_folder: Path):
    summary = (run_folder / "summary.md").read_text()
    headers = {h for table in markdown_tables(summary) for h in table[0]}
    assert "mau (M customers)" in headers and "dau_mau (ratio)" in headers
    assert "mau (M customers)" in (run_folder / "report.html").read_text()
    last = pd.read_excel(run_folder / "tables.xlsx", sheet_name="last day")
    assert {"mau (M customers)", "dau_mau (ratio)"} <= set(last.columns)


def test_key_dates_table_gives_names_beside_ids(run_folder: Path):
    summary = (run_folder / "summary.md").read_text()
    key = summary.split("## MAU at key dates", 1)[1]
    header, first, *_ = markdown_tables(key)[0]
    assert header[:2] == ["app", "name"] and header[2].endswith("(M customers)")
    assert first[0] == "bank" and first[1] == "mobile bank 手机银行"
    assert "mobile bank 手机银行 (bank) has the most MAU" in summary  # the prose too


def test_ranking_says_what_its_interval_is(compare_folder: Path):
    ranking = (compare_folder / "summary.md").read_text().split("## Ranking", 1)[1]
    note = ranking.split("\n\n")[2]
    assert "`p5` and `p95`" in note and "Monte Carlo noise" in note


def test_in_millions_keeps_ratio_rows_of_a_mixed_table():
    df = pd.DataFrame({"metric": ["mau", "dau_mau"], "mean": [2.5e6, 0.25]})
    shown = in_millions(df, ["mean"], metric="metric")
    assert list(shown["mean (M customers; ratio for ratio metrics)"]) == [2.5, 0.25]


SWEEP_INFO = {
    "sampler": "morris",
    "design_runs": 16,
    "distinct_runs": 16,
    "done": 16,
    "seeds": 1,
    "base": str(TINY),
    "spec": {"outcomes": {"suite_mau": {"metric": "mau", "app": "suite_sum"}}},
}


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sim.report.sweep_report import write_sweep_report

    indices = pd.DataFrame(
        {
            "outcome": "suite_mau",
            "parameter": ["apps.bank.engagement.activity_mean", "apps.chat.adoption.q_per_year"],
            "index": "mu_star",
            "value": [41_600.4, 1_234.5],
            "ci95": [4_432.17, 300.0],
            "sigma": [5_282.75, 100.0],
        }
    )
    table = pd.DataFrame({"point": [0], "seed": [0], "p": [0.1], "suite_mau": [12_345.6]})
    out = tmp_path_factory.mktemp("sweep") / "report"
    return write_sweep_report(table, indices, out, SWEEP_INFO, sim.load_scenario(TINY))


def test_sweep_summary_is_in_millions_with_units_and_explains_mu_star(sweep_folder: Path):
    summary = (sweep_folder / "summary.md").read_text()
    assert unitless_number_columns(summary) == []
    opening = summary.split("## Summary\n\n", 1)[1].split("\n\n", 1)[0]
    assert opening.startswith("16 runs of a morris design") and "None" not in opening
    assert "(mu_star 0.0416 M," in opening
    assert "mu_star is the mean absolute change" in opening
    assert "<title>appsim sweep of tiny" in (sweep_folder / "report.html").read_text()


def test_sweep_workbook_holds_runs_and_sensitivity_in_millions(sweep_folder: Path):
    sheets = assert_workbook(sweep_folder)
    assert list(sheets)[:2] == ["runs", "sensitivity"]
    assert sheets["runs"]["suite_mau (M customers)"].tolist() == [pytest.approx(0.0123456)]
    assert sheets["runs"]["p"].tolist() == [0.1]  # a parameter's value, as drawn


def test_sensitivity_csv_is_rounded_to_whole_customers(sweep_folder: Path):
    lines = (sweep_folder / "sensitivity.csv").read_text().splitlines()
    assert lines[1] == "suite_mau,apps.bank.engagement.activity_mean,mu_star,41600,4432,5283"


def test_tornado_axes_say_what_they_show():
    from sim.report.sweep_report import tornado_figure

    rows = pd.DataFrame(
        {"parameter": ["a", "b"], "index": "mu_star", "value": [0.5, 1.0], "ci95": [0.1, 0.1]}
    )
    ax = tornado_figure("suite_mau", rows, "M customers").axes[0]
    assert ax.get_xlabel() == "mu_star of suite_mau (M customers), 95% CI over the bootstrap"
    assert ax.get_ylabel() == "parameter"


def test_worlds_report_rounds_its_csv_and_names_units(tmp_path: Path):
    import numpy as np

    from sim.experiments.across_worlds import WorldRuns
    from sim.report.worlds_report import write_worlds_report

    rng = np.random.default_rng(0)
    base = 1e6 + rng.normal(0, 1e4, size=(4, 2))
    runs = WorldRuns(["tiny", "w"], [{"x": float(i)} for i in range(4)], np.stack([base, base]))
    runs.values[1] += 2_345.678
    info = {"outcome": "mau:suite_sum", "at": "2020-12-31", "worlds": 4, "reps": 2}
    info |= {"posterior": "p.parquet", "pinned": {}}
    scenarios = [sim.load_scenario(TINY)] * 2
    write_worlds_report(runs, scenarios, info, tmp_path / "w")
    effects = pd.read_csv(tmp_path / "w" / "effects.csv")
    assert effects.loc[1, "effect_q50"] == 2346 and effects.loc[1, "p_best"] == 1.0
    assert unitless_number_columns((tmp_path / "w" / "summary.md").read_text()) == []
