"""What reports open with: a summary from the numbers, the timeline, the assumptions, each
what-if's overrides; and tables.xlsx, read back with pandas."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli.app import main
from sim.experiments.compare import Comparison
from sim.report.compare_report import write_comparison_report
from sim.report.context import assumptions_table, timeline_table
from sim.report.folders import number
from sim.report.run_report import write_run_report
from sim.report.summary_text import span
from sim.results.result import Result

from ..conftest import ROOT, TINY, build
from .workbook_checks import assert_workbook

WHAT_IF = """\
extends: {tiny}
name: no-releases
description: No monthly releases of the bank app.
timeline:
  monthly_releases: null
"""


@pytest.fixture(scope="module")
def result() -> Result:
    return sim.run(sim.load_scenario(TINY), seed=1)


@pytest.fixture(scope="module")
def run_report(result: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run_report(result, tmp_path_factory.mktemp("run") / "report")


def test_run_summary_opens_with_what_grew_between_the_key_dates(run_report, result):
    text = (run_report / "summary.md").read_text()
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections[:3] == ["## Summary", "## Timeline", "## Assumptions"]
    d0, d1 = span(result.scenario)
    before, after = (result.at(d, "mau", "suite") / 1e6 for d in (d0, d1))
    assert (
        f"Between {d0} and {d1}, suite MAU (customers active in any suite app in the last 30 "
        f"days, each counted once) grows from {number(before)} M to {number(after)} M" in text
    )
    assert "without an interval" in text  # a single run says it has none
    page = (run_report / "report.html").read_text()
    assert page.index("<h2>Summary</h2>") < page.index("<h2>Timeline</h2>")
    assert f"grows from {number(before)} M to {number(after)} M" in page


def test_span_is_the_first_and_last_key_date(tiny_tree):
    tiny_tree["horizon"]["key_dates"] = ["2020-09-30", "2020-03-31", "2020-06-30"]
    assert span(build(tiny_tree)) == (dt.date(2020, 3, 31), dt.date(2020, 9, 30))
    tiny_tree["horizon"]["key_dates"] = ["2020-06-30"]
    assert span(build(tiny_tree)) == (dt.date(2020, 1, 1), dt.date(2020, 6, 30))
    del tiny_tree["horizon"]["key_dates"]
    assert span(build(tiny_tree)) == (dt.date(2020, 1, 1), dt.date(2020, 12, 31))


def test_timeline_says_what_each_event_does():
    sc = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    table = timeline_table(sc).set_index("event")
    assert list(timeline_table(sc)["date"]) == sorted(timeline_table(sc)["date"])
    delist = table.loc["delist_direct_bank"]
    assert (delist["date"], delist["type"], delist["app"]) == (
        "2017-09-30",
        "delist",
        "direct_bank",
    )
    assert delist["what it does"] == "the app is delisted; 70% move to rongexing, the rest leave"
    assert table.loc["open_api_channel", "date"] == "2018-07-01 to 2020-12-31"
    assert table.loc["open_api_channel", "what it does"] == "20,000 new registrations a day"
    edition = table.loc["senior_edition", "what it does"]
    assert edition.startswith("an edition for seniors: activity x1.2, acquisition x1.5")


def test_assumptions_give_each_value_its_blocks_source():
    sc = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    rows = assumptions_table(sc).set_index("key")
    mean = rows.loc["apps.rongexing.engagement.activity_mean"]
    assert mean["value"] == "0.1" and "mean 0.1" in mean["source"]
    base = rows.loc["population.base[1].customers"]
    assert (base["value"], base["source"]) == ("496,000,000", "ICBC annual report 2015")
    assert rows.loc["apps.elife.launch", "value"] == "2017-09-01"
    # defaults the file did not write are not assumptions it makes
    assert "timeline.rongelian_3.half_life_days" in rows.index
    assert "apps.elife.adoption.never_active_share" in rows.index
    assert "apps.direct_bank.lapse.propensity_exponent" not in rows.index


def test_run_workbook_reads_back_in_millions_with_units(run_report, result):
    sheets = assert_workbook(run_report)
    assert list(sheets) == [
        "MAU at key dates",
        "last day",
        "monthly",
        "overlap",
        "cohorts",
        "timeline",
        "assumptions",
    ]
    last = sheets["last day"].set_index("app")
    end = result.scenario.horizon.end
    assert last.loc["bank", "mau (M customers)"] == pytest.approx(
        result.at(end, "mau", "bank") / 1e6
    )
    assert last.loc["bank", "dau_mau (ratio)"] == pytest.approx(result.at(end, "dau_mau", "bank"))
    monthly = sheets["monthly"]
    assert monthly["registered_end (M customers)"].sum() == pytest.approx(
        result.monthly["registered_end"].sum() / 1e6
    )
    key = sheets["MAU at key dates"].set_index("app")
    assert key.loc["suite", f"{end} (M customers)"] == pytest.approx(
        result.at(end, "mau", "suite") / 1e6
    )
    rows = sheets["assumptions"].set_index("key")
    assert rows.loc["apps.bank.adoption.p_per_year", "source"] == "assumption (test fixture)"


@pytest.fixture(scope="module")
def compare_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cmp")
    what_if = folder / "no-releases.yaml"
    what_if.write_text(WHAT_IF.format(tiny=TINY))
    scenarios = [sim.load_scenario(TINY), sim.load_scenario(what_if)]
    results = {sc.name: [sim.run(sc, seed=s) for s in range(2)] for sc in scenarios}
    cmp = Comparison(list(results), [0, 1], results)
    out = folder / "report"
    dates = [dt.date(2020, 6, 30), dt.date(2020, 12, 31)]
    write_comparison_report(cmp, dates, ("mau", "suite_sum"), out, {}, [TINY, what_if])
    return out


def test_compare_summary_gives_each_what_ifs_change_interval_and_kind(compare_report):
    text = (compare_report / "summary.md").read_text()
    diffs = pd.read_csv(compare_report / "differences.csv")
    row = diffs[
        (diffs["metric"] == "mau") & (diffs["app"] == "suite_sum") & (diffs["date"] == "2020-12-31")
    ].iloc[0]
    summary = text.split("## Summary\n\n", 1)[1].split("\n", 1)[0]
    assert summary.startswith("no-releases (No monthly releases of the bank app; removes ")
    assert "MAU summed over the suite apps on 2020-12-31 is " in summary
    interval = f"(95% interval {number(row['ci_low'] / 1e6)} to {number(row['ci_high'] / 1e6)} M)"
    assert interval in summary
    assert (
        "over seeds of one parameter set: Monte Carlo noise, not parameter uncertainty" in summary
    )


def test_compare_lists_each_scenarios_overrides(compare_report):
    text = (compare_report / "summary.md").read_text()
    scenarios = text.split("## Scenarios\n", 1)[1]
    assert "### tiny\n\n(no description)\n\nExtends no other file." in scenarios
    assert "### no-releases\n\nNo monthly releases of the bank app." in scenarios
    assert (
        "- removes timeline.monthly_releases: the inherited release_cadence event on bank "
        "(from 2020-02-01), deleted by a blank value"
    ) in scenarios
    assert "removes timeline.monthly_releases" in (compare_report / "report.html").read_text()


def test_compare_workbook_reads_back(compare_report):
    sheets = assert_workbook(compare_report)
    assert {"suite differences", "differences", "ranking", "overrides", "assumptions"} <= set(
        sheets
    )
    csv = pd.read_csv(compare_report / "differences.csv")
    xlsx = sheets["differences"]
    assert len(xlsx) == len(csv)
    assert xlsx["difference (M customers)"].to_numpy() == pytest.approx(
        csv["difference"].to_numpy() / 1e6,
        abs=1e-6,  # the CSV is rounded to whole customers
    )
    assert list(sheets["overrides"]["scenario"]) == ["no-releases"]


def test_check_writes_summary_and_page(tmp_path, capsys):
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        "targets:\n"
        "  mau_end: {metric: mau, app: suite_sum, date: 2020-12-31, relation: '>=',"
        " value: 1.0e3, source: test}\n"
        "  too_much: {metric: registered, app: bank, date: 2020-12-31, relation: '>=',"
        " value: 1.0e9, source: test}\n"
    )
    out = tmp_path / "check"
    args = ["check", str(TINY), "--targets", str(targets), "--seeds", "2", "--out", str(out)]
    assert main(args) == 1  # one target missed
    text = (out / "summary.md").read_text()
    assert "1 of 2 targets pass" in text and "over seeds of one parameter set" in text
    assert "Missed: too_much (registered customers of bank on 2020-12-31)" in text
    assert "## Timeline" in text and "## Assumptions" in text
    assert "1 of 2 targets pass" in (out / "report.html").read_text()
    assert (out / "fit.csv").exists() and (out / "fit.md").exists()
    fit = assert_workbook(out)["fit"]
    assert list(fit["target"]) == ["mau_end", "too_much"] and "mean (M)" in fit
    capsys.readouterr()


def test_a_blank_description_and_no_events_still_read(tiny_tree, tmp_path):
    plain = copy.deepcopy(tiny_tree)
    plain["timeline"] = {}
    result = sim.run(build(plain), seed=0)
    text = (write_run_report(result, tmp_path / "r") / "summary.md").read_text()
    assert "## Timeline\n\n(no events)" in text


def test_worlds_summary_gives_timeline_assumptions_overrides_and_pins(tmp_path):
    import numpy as np

    from sim.experiments.across_worlds import WorldRuns
    from sim.report.worlds_report import write_worlds_report

    what_if = tmp_path / "no-releases.yaml"
    what_if.write_text(WHAT_IF.format(tiny=TINY))
    scenarios = [sim.load_scenario(TINY), sim.load_scenario(what_if)]
    values = np.arange(16, dtype=float).reshape(2, 4, 2) * 1e4
    runs = WorldRuns(["tiny", "no-releases"], [{"x": float(i)} for i in range(4)], values)
    info = {"outcome": "mau:suite_sum", "at": "2020-12-31", "worlds": 4, "reps": 2}
    info |= {"posterior": "p.parquet", "pinned": {"no-releases": ["apps.bank.lapse.x"]}}
    write_worlds_report(runs, scenarios, info, tmp_path / "w", None, [TINY, what_if])
    text = (tmp_path / "w" / "summary.md").read_text()
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections[:4] == ["## Summary", "## Timeline", "## Assumptions", "## Scenarios"]
    scenarios_part = text.split("## Scenarios", 1)[1]
    assert "- removes timeline.monthly_releases" in scenarios_part
    assert "- pins, against the worlds: apps.bank.lapse.x" in scenarios_part
    page = (tmp_path / "w" / "report.html").read_text()
    assert page.index("<h2>Summary</h2>") < page.index("<h2>Timeline</h2>")
    sheets = assert_workbook(tmp_path / "w")
    assert list(sheets["overrides"]["scenario"]) == ["no-releases", "no-releases"]
    assert "effect_q50 (M customers)" in sheets["effects"]
    assert "removes timeline.monthly_releases" in page


def test_a_best_fit_calibration_writes_the_workbook_too(tmp_path, capsys):
    from types import SimpleNamespace

    from sim.cli.calibrate import _write_fit_of, write_fitted
    from sim.experiments.targets import load_targets

    targets = tmp_path / "targets.yaml"
    targets.write_text(
        "targets:\n  mau_end: {metric: mau, app: suite_sum, date: 2020-12-31, relation: '>=',"
        " value: 1.0e3, source: test}\n"
    )
    spec = SimpleNamespace(trials=1, seeds=2, scale=100.0)
    fitted = write_fitted(TINY, "tiny", {"apps.bank.adoption.p_per_year": 0.0123}, spec, tmp_path)
    assert _write_fit_of(fitted, load_targets(targets), spec, tmp_path) == []
    sheets = assert_workbook(tmp_path)
    assert list(sheets["fit"]["target"]) == ["mau_end"]
    values = sheets["assumptions"].set_index("key")["value"]
    assert values["apps.bank.adoption.p_per_year"] == "0.0123"  # the fitted value
    capsys.readouterr()
