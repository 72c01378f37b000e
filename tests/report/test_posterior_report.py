"""The posterior report's words and tables from made-up numbers: which targets the median
world misses, ratio targets kept as ratios, infinite bounds written as they are."""

from __future__ import annotations

import math

import pandas as pd

from sim.experiments.prior import Prior
from sim.report.posterior_report import fit_csv, shown_fit
from sim.report.posterior_summary import parameters_table, posterior_sentences

PRIOR = Prior.model_validate(
    {
        "scale": 200,
        "parameters": {"a.b": {"dist": "uniform", "low": 0.0, "high": 1.0, "source": "x"}},
    }
)
FIT = pd.DataFrame(
    {
        "target": ["mau_2019", "stickiness"],
        "app": ["suite_sum", "bank"],
        "metric": ["mau", "dau_mau"],
        "date": ["2019-05-31", "2019-05-31"],
        "low": [100e6, 0.2],
        "high": [math.inf, 0.3],
        "q05": [90.4e6, 0.25],
        "q50": [95.26e6, 0.26789],
        "q95": [99.9e6, 0.28],
        "share_inside": [0.1234567, 0.9],
    }
)
GENERATIONS = pd.DataFrame(
    {
        "generation": [0],
        "epsilon": [0.00012],
        "simulations": [40],
        "accepted": [10],
        "acceptance_rate": [0.25],
        "ess": [9.4],
    }
)


def test_sentences_name_the_miss_in_millions_and_the_narrowing():
    particles = pd.DataFrame({"a.b": [0.4, 0.5, 0.6], "weight": [0.25, 0.5, 0.25]})
    params = parameters_table(particles, PRIOR)
    assert params.loc[0, "width_ratio"] < 0.5  # 0.4..0.6 against the prior's 0.05..0.95
    text = " ".join(posterior_sentences(PRIOR, GENERATIONS, FIT, params))
    assert text.startswith("ABC-SMC drew 40 simulated worlds at 1:200 over 1 generation for 1 ")
    assert "the last is <0.001)" in text  # the one formatter: small, not zero
    assert (
        "inside the target for 1 of 2 targets; it misses mau_2019 (MAU summed over the suite "
        "apps on " in text
    )
    assert "median 95.3 M, 5-95% 90.4 to 99.9 M, target >= 100 M)" in text
    assert "across plausible worlds: parameter uncertainty" in text


def test_fit_keeps_ratio_rows_as_ratios_and_counts_whole():
    csv = fit_csv(FIT)
    assert csv.loc[0, "q50"] == 95_260_000 and csv.loc[0, "high"] == math.inf
    assert csv.loc[1, "q50"] == 0.2679 and csv.loc[0, "share_inside"] == 0.1235
    shown = shown_fit(FIT)
    header = "q50 (M customers; ratio for ratio metrics)"
    assert shown[header].tolist() == [95.26, 0.26789]
    assert "share_inside (ratio)" in shown
