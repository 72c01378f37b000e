"""Comparing scenarios: common random numbers, zero-effect levers, the report end to end."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiments.compare import Comparison, paired_differences, ranking
from sim.report.compare_report import write_comparison_report

from ..conftest import ROOT, TINY, build


def comparison(trees: dict[str, dict], seeds: range, scale: float = 10) -> Comparison:
    results = {
        name: [sim.run(build(tree), seed=s, scale=scale) for s in seeds]
        for name, tree in trees.items()
    }
    return Comparison(list(trees), list(seeds), results)


def test_a_lever_with_no_effect_gives_exactly_zero_difference(tiny_tree, tmp_path):
    import copy

    same = copy.deepcopy(tiny_tree)
    same["timeline"]["noop"] = {
        "type": "campaign",
        "app": "bank",
        "start": "2020-03-01",
        "end": "2020-06-30",
        "acquisition_multiplier": 1.0,
    }
    cmp = comparison({"base": tiny_tree, "noop": same}, range(3))
    diffs = paired_differences(cmp, [pd.Timestamp("2020-12-31").date()])
    assert (diffs["difference"] == 0).all()
    assert (diffs["ci_half_paired"] == 0).all()
    # the report says so rather than dividing by the zero width
    write_comparison_report(cmp, [dt.date(2020, 12, 31)], ("mau", "suite_sum"), tmp_path, {})
    assert "the paired intervals have no width" in (tmp_path / "summary.md").read_text()


def test_paired_intervals_are_narrower_than_independent(tiny_tree):
    import copy

    pushed = copy.deepcopy(tiny_tree)
    pushed["timeline"]["push"] = {
        "type": "campaign",
        "app": "chat",
        "start": "2020-06-01",
        "end": "2020-08-31",
        "acquisition_multiplier": 1.5,
    }
    cmp = comparison({"base": tiny_tree, "push": pushed}, range(6))
    diffs = paired_differences(cmp, [pd.Timestamp("2020-12-31").date()])
    row = diffs[(diffs["metric"] == "registered") & (diffs["app"] == "chat")].iloc[0]
    assert row["difference"] > 0 and row["ci_low"] > 0
    assert row["width_ratio"] < 0.5
    bank = diffs[(diffs["metric"] == "registered") & (diffs["app"] == "bank")].iloc[0]
    assert bank["difference"] == 0  # chat's campaign cannot touch bank: the worlds agree


def test_ranking_orders_by_mean_and_says_how_sure(tiny_tree):
    import copy

    better = copy.deepcopy(tiny_tree)
    better["apps"]["chat"]["adoption"]["p_per_year"] = 0.5
    cmp = comparison({"base": tiny_tree, "better": better}, range(4))
    table = ranking(cmp, "registered", "chat", pd.Timestamp("2020-12-31").date())
    assert list(table["scenario"]) == ["better", "base"]
    assert table["share_of_seeds_best"].iloc[0] == 1.0


def test_compare_command_writes_a_report_consistent_with_runs(tmp_path):
    what_if = tmp_path / "faster.yaml"
    what_if.write_text(f"extends: {TINY}\napps:\n  chat:\n    adoption: {{p_per_year: 0.4}}\n")
    out = tmp_path / "cmp"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "compare",
            str(TINY),
            str(what_if),
            "--reps",
            "3",
            "--at",
            "2020-06-30,2020-12-31",
            "--out",
            str(out),
            "--workers",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    for name in (
        "summary.md",
        "report.html",
        "differences.csv",
        "ranking.csv",
        "manifest.json",
        "figures/suite.png",
        "figures/apps_mau.png",
    ):
        assert (out / name).stat().st_size > 0, name
    diffs = pd.read_csv(out / "differences.csv")
    row = diffs[
        (diffs["metric"] == "mau") & (diffs["app"] == "suite_sum") & (diffs["date"] == "2020-12-31")
    ].iloc[0]
    scenario = sim.load_scenario(TINY)
    runs = [sim.run(scenario, seed=s) for s in range(3)]
    expected = np.mean([r.at("2020-12-31", "mau", "suite_sum") for r in runs])
    assert row["base_mean"] == pytest.approx(expected, abs=0.5)  # whole customers in the CSV
    html = (out / "report.html").read_text()
    assert "http://" not in html and "https://" not in html
