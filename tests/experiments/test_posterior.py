"""Plausible worlds: priors, the hinge distance, ABC-SMC, worlds drawn from a posterior,
bands across them, and what-ifs compared across them with common random numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli.app import main
from sim.errors import ScenarioError
from sim.experiments.across_worlds import WorldRuns, effects_table, parameter_share
from sim.experiments.posterior import Hinge, weighted_quantiles
from sim.experiments.prior import load_prior
from sim.experiments.targets import TargetSet
from sim.experiments.worlds import bands, draw_worlds, world_scenario

from ..conftest import ROOT, TINY
from ..report.workbook_checks import assert_workbook

PRIOR = """\
source: assumption (test)
scale: 200
population: 10
budget: 1000
generations: GENERATIONS
parameters:
  apps.bank.engagement.activity_mean: {dist: uniform, low: 0.05, high: 0.5, source: test}
  apps.bank.adoption.q_per_year: {dist: loguniform, low: 0.2, high: 3.0, source: test}
"""
TARGETS = """\
source: assumption (test)
targets:
  bank_dau:
    {metric: dau, app: bank, date: 2020-12-31, relation: "~=", value: 5000, band: [3000, 8000]}
"""


def test_the_shipped_prior_frees_at_least_eight_parameters_each_with_a_source():
    prior = load_prior(ROOT / "scenarios/calibration/baseline-prior.yaml")
    assert len(prior.parameters) >= 8
    assert all(p.source.strip() for p in prior.parameters.values())


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("{dist: uniform, low: 0.5, high: 0.1, source: x}", "low must be below high"),
        ("{dist: beta, a: 2.0, source: x}", "a beta prior needs a, b"),
        ("{dist: loguniform, low: 0.0, high: 1.0, source: x}", "needs low > 0"),
        ("{dist: gamma, low: 0.1, high: 1.0, source: x}", "dist"),
        ("{dist: uniform, low: 0.1, high: 1.0}", "source"),
    ],
)
def test_a_bad_prior_is_a_located_error(tmp_path, entry, fragment):
    path = tmp_path / "prior.yaml"
    path.write_text(f"parameters:\n  apps.bank.engagement.activity_mean: {entry}\n")
    with pytest.raises(ScenarioError) as caught:
        load_prior(path)
    text = str(caught.value.problems[0])
    assert text.startswith(f"{path}:2: parameters.apps.bank.engagement.activity_mean")
    assert fragment in text


def test_prior_draws_follow_their_distributions():
    path = ROOT / "scenarios/calibration/baseline-prior.yaml"
    draws = load_prior(path).sample(20000, np.random.default_rng(1))
    boost = draws["timeline.monthly_releases.reactivation_boost"]  # log-uniform on [1, 16]
    assert boost.min() >= 1.0 and boost.max() <= 16.0
    assert abs(np.median(boost) - 4.0) < 0.15  # the geometric mean of 1 and 16
    share = draws["apps.rongexing.adoption.never_active_share"]  # Beta(3, 2) on [0.2, 0.95]
    assert abs(share.mean() - (0.2 + 0.75 * 0.6)) < 0.005


WHERE = {"metric": "mau", "app": "x", "date": "2019-05-31"}


def test_hinge_is_zero_inside_every_interval_and_the_log_miss_outside():
    targets = TargetSet.model_validate(
        {
            "targets": {
                "a": {
                    "metric": "mau",
                    "app": "x",
                    "date": "2019-05-31",
                    "relation": ">=",
                    "value": 100.0,
                },
                "b": {
                    "metric": "mau",
                    "app": "x",
                    "date": "2019-05-31",
                    "relation": "<=",
                    "value": 10.0,
                },
            }
        }
    )
    hinge = Hinge(targets)
    assert hinge({"a": 150.0, "b": 5.0}, {}) == 0.0
    assert hinge({"a": 50.0, "b": 5.0}, {}) == pytest.approx(math.log(2))
    assert hinge({"a": 50.0, "b": 20.0}, {}) == pytest.approx(math.sqrt(2) * math.log(2))


def test_weighted_quantiles_of_a_known_sample():
    values = np.array([3.0, 1.0, 2.0, 4.0])
    weights = np.array([0.1, 0.1, 0.7, 0.1])
    assert weighted_quantiles(values, weights, [0.05, 0.5, 0.95]) == [1.0, 2.0, 4.0]


def test_systematic_resampling_gives_each_particle_its_share():
    posterior = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "weight": [0.5, 0.25, 0.2, 0.05]})
    drawn = draw_worlds(posterior, 100, seed=3)
    counts = pd.Series([w["x"] for w in drawn]).value_counts()
    for x, weight in zip(posterior["x"], posterior["weight"], strict=True):
        assert abs(counts.get(x, 0) - 100 * weight) <= 1


def test_a_what_if_keeps_what_it_names_and_takes_the_world_elsewhere(tmp_path):
    what_if = tmp_path / "pin.yaml"
    what_if.write_text(
        f"extends: {TINY}\nname: pinned\napps:\n  bank:\n    engagement: {{activity_mean: 0.3}}\n"
    )
    world = {"apps.bank.engagement.activity_mean": 0.11, "apps.bank.adoption.q_per_year": 2.5}
    scenario, pinned = world_scenario(what_if, world)
    assert pinned == ["apps.bank.engagement.activity_mean"]
    assert scenario.apps["bank"].engagement.activity_mean == 0.3
    assert scenario.apps["bank"].adoption.q_per_year == 2.5
    base, none_pinned = world_scenario(TINY, world)
    assert none_pinned == []
    assert base.apps["bank"].engagement.activity_mean == 0.11


def test_bands_have_the_promised_columns_and_order():
    dates = pd.date_range("2020-01-01", "2020-03-31")
    worlds = [
        pd.DataFrame(
            {"date": dates, "app": "bank", "registered": k * 10.0, "mau": k * 5.0, "dau": float(k)}
        )
        for k in range(1, 6)
    ]
    out = bands(worlds)
    assert list(out.columns) == ["date", "app", "metric", "q05", "q50", "q95"]
    assert len(out) == 3 * 3  # three month ends, three metrics
    assert (out["q05"] <= out["q50"]).all() and (out["q50"] <= out["q95"]).all()
    mau = out[out["metric"] == "mau"].iloc[0]
    assert mau["q50"] == 15.0  # the median world (k = 3)


def test_effects_across_worlds_closed_form():
    # base 10 everywhere; what-if +1 in worlds 0-2 and -3 in world 3, no seed noise
    base = np.full((4, 2), 10.0)
    what_if = base + np.array([[1.0], [1.0], [1.0], [-3.0]])
    runs = WorldRuns(["base", "w"], [{"x": float(i)} for i in range(4)], np.stack([base, what_if]))
    table = effects_table(runs).set_index("scenario")
    assert table.loc["w", "share_helped"] == 0.75
    assert table.loc["w", "p_best"] == 0.75 and table.loc["base", "p_best"] == 0.25
    assert table.loc["w", "regret_max"] == 3.0 and table.loc["base", "regret_max"] == 1.0
    assert table.loc["w", "parameter_share"] == 1.0  # no noise within a world


def test_parameter_share_is_small_when_worlds_differ_only_by_noise():
    noise = np.random.default_rng(0).normal(0, 1, size=(200, 10))
    assert parameter_share(noise) < 0.2
    assert parameter_share(noise + np.arange(200)[:, None]) > 0.99


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory) -> Path:
    """A small ABC-SMC on the tiny world: one generation, then resumed for a second."""
    folder = tmp_path_factory.mktemp("abc")
    (folder / "targets.yaml").write_text(TARGETS)
    for generations in (1, 2):
        (folder / "prior.yaml").write_text(PRIOR.replace("GENERATIONS", str(generations)))
        args = ["calibrate", str(TINY), "--targets", str(folder / "targets.yaml")]
        args += ["--posterior", str(folder / "prior.yaml"), "--workers", "1"]
        code = main([*args, "--out", str(folder / "out")])
        table = pd.read_csv(folder / "out" / "generations.csv")
        assert len(table) == generations
        misfit = table["epsilon"].iloc[-1] > 0  # no world meets every target: exit 1
        assert code == (1 if misfit else 0)
    return folder / "out"


def test_posterior_calibration_writes_its_outputs_and_resumes(calibrated):
    posterior = pd.read_parquet(calibrated / "posterior.parquet")
    assert list(posterior.columns) == [
        "apps.bank.engagement.activity_mean",
        "apps.bank.adoption.q_per_year",
        "weight",
    ]
    assert posterior["weight"].sum() == pytest.approx(1.0)
    generations = pd.read_csv(calibrated / "generations.csv")
    assert list(generations["generation"]) == [0, 1]  # the second call resumed at t = 1
    assert set(generations.columns) >= {"epsilon", "simulations", "acceptance_rate", "ess"}
    assert generations["epsilon"].is_monotonic_decreasing
    fit = pd.read_csv(calibrated / "fit.csv")
    assert (fit["q05"] <= fit["q95"]).all()
    for name in ("pairs.png", "report.html", "summary.md"):
        assert (calibrated / name).stat().st_size > 0


def test_posterior_report_opens_like_the_others(calibrated):
    """Summary in words, then timeline and assumptions, then the tables; CSVs rounded."""
    text = (calibrated / "summary.md").read_text()
    heads = [line for line in text.splitlines() if line.startswith("## ")]
    assert heads[:3] == ["## Summary", "## Timeline", "## Assumptions"]
    opening = text.split("## Summary\n\n", 1)[1].split("\n", 1)[0]
    assert opening.startswith("ABC-SMC drew ") and "inside the target for 1 of 1 target" in opening
    assert "apps.bank.engagement.activity_mean: posterior median " in opening
    page = (calibrated / "report.html").read_text()
    assert page.index("<h2>Summary</h2>") < page.index("<h2>Timeline</h2>")
    assert page.index("<h2>Assumptions</h2>") < page.index("<h2>Posterior predictive")
    fit = pd.read_csv(calibrated / "fit.csv")
    assert all(float(v).is_integer() for v in fit[["low", "high", "q05", "q50", "q95"]].stack())
    generations = (calibrated / "generations.csv").read_text().splitlines()
    rates = [row.split(",")[4] for row in generations[1:]]
    assert all(len(rate.split(".")[-1]) <= 4 for rate in rates), rates
    sheets = assert_workbook(calibrated)
    assert (
        "q50 (M customers)" in sheets["fit"] and "acceptance_rate (ratio)" in sheets["generations"]
    )


def test_a_zero_effect_what_if_is_exactly_zero_in_every_world(calibrated, tmp_path):
    same = tmp_path / "same.yaml"
    same.write_text(f"extends: {TINY}\nname: same\ndescription: changes nothing\n")
    out = tmp_path / "cmp"
    worlds = ["--worlds", str(calibrated / "posterior.parquet"), "--n", "3", "--reps", "2"]
    options = ["--workers", "1", "--outcome", "dau:bank", "--out", str(out)]
    code = main(["compare", str(TINY), str(same), *worlds, *options])
    assert code == 0
    table = pd.read_csv(out / "effects.csv").set_index("scenario")
    assert table.loc["same", ["effect_q05", "effect_q50", "effect_q95"]].tolist() == [0, 0, 0]
    assert (
        "same: no effect on 2020-12-31 in any of the worlds (exactly 0)."
        in (out / "summary.md").read_text()
    )
    assert "effects" in assert_workbook(out)


def test_effects_across_worlds_at_every_table_date(calibrated, tmp_path):
    """The headline date is the base's last key date (as in a plain compare), and every
    --at date gets its own rows; a what-if that starts mid-year is 0 before its start."""
    later = tmp_path / "later.yaml"
    later.write_text(
        f"extends: {TINY}\nname: later\ndescription: more sign-ups from July\n"
        "timeline:\n  boost:\n    type: campaign\n    app: bank\n"
        "    start: 2020-07-01\n    end: 2020-12-31\n    acquisition_multiplier: 3.0\n"
        "    source: assumption (test)\n"
    )
    out = tmp_path / "cmp"
    worlds = ["--worlds", str(calibrated / "posterior.parquet"), "--n", "3", "--reps", "1"]
    options = ["--workers", "1", "--outcome", "registered:bank", "--out", str(out)]
    dates = ["--at", "2020-03-31,2020-12-31"]
    assert main(["compare", str(TINY), str(later), *worlds, *dates, *options]) == 0
    table = pd.read_csv(out / "effects-by-date.csv")
    assert set(table.loc[table["date"] == "2020-03-31", "scenario"]) == {"tiny", "later"}
    table = table[table["scenario"] == "later"].set_index("date")
    assert list(table.index) == ["2020-03-31", "2020-12-31"]
    assert (table.loc["2020-03-31", ["effect_q05", "effect_q95"]] == 0).all()
    assert (table.loc["2020-12-31", ["effect_q05", "effect_q50"]] > 0).all()
    headline = pd.read_csv(out / "effects.csv").set_index("scenario").loc["later"]
    assert headline["effect_q50"] == table.loc["2020-12-31", "effect_q50"]
    assert "effects-by-date" in assert_workbook(out)


def test_run_across_worlds_writes_bands(calibrated, tmp_path):
    out = tmp_path / "run"
    posterior = str(calibrated / "posterior.parquet")
    code = main(["run", str(TINY), "--worlds", posterior, "--n", "3", "--quiet", "--out", str(out)])
    assert code == 0
    table = pd.read_csv(out / "bands.csv")
    assert list(table.columns) == ["date", "app", "metric", "q05", "q50", "q95"]
    assert {"bank", "chat", "suite", "suite_sum"} <= set(table["app"])
    assert set(table["metric"]) == {"registered", "mau", "dau"}
    assert (out / "figures" / "bands.png").exists()
    bands = assert_workbook(out)["bands"]
    assert list(bands.columns)[3:] == [f"q{q} (M customers)" for q in ("05", "50", "95")]


def test_a_reference_reads_the_parents_value_in_every_world(tmp_path):
    what_if = tmp_path / "relative.yaml"
    what_if.write_text(
        f"extends: {TINY}\nname: relative\napps:\n  chat:\n    engagement:\n"
        "      activity_mean: {like: apps.bank.engagement.activity_mean, times: 1.5}\n"
    )
    world = {"apps.bank.engagement.activity_mean": 0.12}
    scenario, pinned = world_scenario(what_if, world)
    assert pinned == []
    assert scenario.apps["chat"].engagement.activity_mean == pytest.approx(0.18)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("{like: apps.bank.nothing}", "not the key path of a number"),
        ("{like: apps.bank.engagement.activity_mean, times: x}", "must be a number"),
    ],
)
def test_a_bad_reference_is_a_located_error(tmp_path, value, fragment, capsys):
    what_if = tmp_path / "bad.yaml"
    what_if.write_text(
        f"extends: {TINY}\nname: bad\napps:\n  chat:\n    engagement:\n"
        f"      activity_mean: {value}\n"
    )
    assert main(["validate", str(what_if)]) == 2
    err = capsys.readouterr().err
    assert f"{what_if}:6: apps.chat.engagement.activity_mean" in err
    assert fragment in err


def test_validate_warns_where_a_what_if_pins_a_free_parameter(tmp_path, capsys):
    prior = tmp_path / "prior.yaml"
    prior.write_text(PRIOR.replace("GENERATIONS", "1"))
    what_if = tmp_path / "pin.yaml"
    what_if.write_text(
        f"extends: {TINY}\nname: pin\napps:\n  bank:\n    engagement: {{activity_mean: 0.3}}\n"
    )
    assert main(["validate", str(what_if), "--prior", str(prior)]) == 0
    err = capsys.readouterr().err
    assert "apps.bank.engagement.activity_mean: pins a parameter the prior leaves free" in err


@pytest.mark.parametrize(
    ("prior_file", "folder"),
    [
        ("baseline-prior.yaml", "baseline-posterior"),
        ("baseline-prior-12.yaml", "baseline-posterior-12"),
    ],
)
def test_shipped_posterior_is_a_posterior_of_the_shipped_prior(prior_file, folder):
    """The committed worlds: one column per free parameter of the prior, weights summing to
    one, every value inside its prior's support, and more than a handful of distinct worlds."""
    from sim.experiments.prior import load_prior
    from sim.experiments.worlds import load_posterior

    root = Path(__file__).resolve().parents[2] / "scenarios" / "calibration"
    prior = load_prior(root / prior_file)
    table = load_posterior(root / folder / "posterior.parquet")
    assert list(table.columns) == [*prior.parameters, "weight"]
    assert abs(table["weight"].sum() - 1.0) < 1e-9
    for path, parameter in prior.parameters.items():
        support = parameter.frozen().support()
        assert ((table[path] >= support[0]) & (table[path] <= support[1])).all(), path
    effective = 1.0 / (table["weight"] ** 2).sum()
    assert effective > 10, "a posterior of a few worlds would make bands of a few worlds"


def no_simulation(monkeypatch) -> None:
    """Any run started from here on fails the test: the mistake must be caught before."""

    def refuse(*args, **kwargs):
        raise AssertionError("simulated before the mistake was caught")

    monkeypatch.setattr("sim.results.run.run", refuse)


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_device_or_fifo_as_posterior_is_refused_before_any_run(
    tmp_path, command, monkeypatch, capsys
):
    import os

    no_simulation(monkeypatch)
    fifo = tmp_path / "posterior.parquet"
    os.mkfifo(fifo)  # opening it to read would wait for a writer
    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {TINY}\nname: other\n")
    scenarios = [str(TINY)] if command == "run" else [str(TINY), str(other)]
    for posterior, what in (("/dev/zero", "is a device"), (str(fifo), "is a pipe (FIFO)")):
        argv = [command, *scenarios, "--worlds", posterior, "--n", "2"]
        assert main([*argv, "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert f"--worlds {posterior}: {what}, not a posterior file" in err, err
        assert not (tmp_path / "out").exists()


def test_a_broken_posterior_is_refused_before_the_run(tmp_path, monkeypatch, capsys):
    no_simulation(monkeypatch)
    broken = tmp_path / "posterior.parquet"
    broken.write_bytes(b"PAR1 not really")
    words = tmp_path / "words.parquet"
    pd.DataFrame({"apps.bank.engagement.activity_mean": ["high"], "weight": [1.0]}).to_parquet(
        words
    )
    for posterior, fragment in ((broken, "not a readable posterior file"), (words, "not numbers")):
        argv = ["run", str(TINY), "--worlds", str(posterior), "--quiet"]
        assert main([*argv, "--out", str(tmp_path / "out")]) == 2
        assert fragment in capsys.readouterr().err
