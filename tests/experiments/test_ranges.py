"""Free parameters' ranges (a calibration spec's bounds, a prior's support) are checked
against the base scenario at both ends and inside, before anything runs."""

from __future__ import annotations

import pytest

from sim.cli.app import main
from sim.errors import ScenarioError
from sim.experiments.calibrate import load_spec
from sim.experiments.prior import load_prior

from ..conftest import TINY

TARGETS = """\
source: test
targets:
  bank_dau:
    {metric: dau, app: bank, date: 2020-12-31, relation: "~=", value: 5000, band: [3000, 8000]}
"""


def prior_file(tmp_path, entry: str, key: str = "apps.bank.adoption.ceiling"):
    path = tmp_path / "prior.yaml"
    path.write_text(f"scale: 20\nparameters:\n  {key}: {entry}\n")
    return path


def refused(load, path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(path, TINY)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "{dist: uniform, low: 0.5, high: 1.4, source: x}",
            "prior.yaml:3: parameters.apps.bank.adoption.ceiling.high: outside what the "
            "scenario allows: input should be less than or equal to 1 (got 1.4)",
        ),
        (
            "{dist: uniform, low: -0.2, high: 0.9, source: x}",
            "prior.yaml:3: parameters.apps.bank.adoption.ceiling.low: outside what the "
            "scenario allows: input should be greater than or equal to 0 (got -0.2)",
        ),
        (
            "{dist: beta, a: 2, b: 2, low: 0.1, high: 1.6, source: x}",
            "ceiling.high: outside what the scenario allows",
        ),
        (
            "{dist: truncnormal, mean: 0.5, sd: 0.1, low: -1, high: 0.9, source: x}",
            "ceiling.low: outside what the scenario allows",
        ),
        (
            "{dist: normal, mean: 0.5, sd: 0.1, source: x}",
            "a normal prior reaches any value",
        ),
        (
            "{dist: loguniform, low: 0.5, high: 3, source: x}",
            "ceiling.high: outside what the scenario allows",
        ),
    ],
)
def test_a_prior_beyond_the_schema_at_either_end_is_located(tmp_path, entry, expected):
    problems = refused(load_prior, prior_file(tmp_path, entry))
    assert any(expected in p for p in problems), problems


def test_a_beta_prior_without_bounds_spans_zero_to_one(tmp_path):
    entry = "{dist: beta, a: 2, b: 2, source: x}"
    path = prior_file(tmp_path, entry, "apps.bank.engagement.activity_concentration")
    problems = refused(load_prior, path)
    assert "a beta prior without low and high spans [0, 1]" in problems[0], problems


def test_a_prior_on_a_whole_number_is_checked_inside_its_range(tmp_path):
    entry = "{dist: uniform, low: 1, high: 30, source: x}"
    problems = refused(load_prior, prior_file(tmp_path, entry, "timeline.monthly_releases.every"))
    assert (
        "parameters.timeline.monthly_releases.every: every value between low and high"
        in (problems[0])
    ), problems
    assert "valid integer" in problems[0]


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("{dist: normal, mean: 0.5, sd: 0.1, low: 0.1, high: 0.9, source: x}", "truncnormal"),
        ("{dist: uniform, low: 0.1, high: 0.9, a: 2, source: x}", "takes no a"),
        ("{dist: beta, a: 2, b: 2, low: 0.1, source: x}", "both low and high, or neither"),
    ],
)
def test_a_prior_key_its_distribution_would_ignore_is_refused(tmp_path, entry, fragment):
    with pytest.raises(ScenarioError) as caught:
        load_prior(prior_file(tmp_path, entry))
    assert fragment in str(caught.value), caught.value


def test_the_prior_scale_must_leave_agents(tmp_path):
    path = prior_file(tmp_path, "{dist: uniform, low: 0.1, high: 0.9, source: x}")
    path.write_text(path.read_text().replace("scale: 20", "scale: 1e6"))
    assert "prior.yaml:1: scale: no agent to simulate" in refused(load_prior, path)[0]


def spec_file(tmp_path, entry: str, key: str = "apps.bank.adoption.ceiling"):
    path = tmp_path / "spec.yaml"
    path.write_text(f"scale: 20\nseeds: 1\ntrials: 2\nparameters:\n  {key}: {entry}\n")
    return path


@pytest.mark.parametrize(
    ("key", "entry", "expected"),
    [
        (
            "apps.bank.adoption.ceiling",
            "{low: 0.5, high: 1.4}",
            "spec.yaml:5: parameters.apps.bank.adoption.ceiling.high: outside what the "
            "scenario allows: input should be less than or equal to 1 (got 1.4)",
        ),
        (
            "timeline.monthly_releases.every",
            "{low: 1, high: 30}",
            "every value between low and high",
        ),
        ("apps.bnak.adoption.ceiling", "{low: 0.1, high: 0.2}", "apps has no 'bnak'"),
    ],
)
def test_a_spec_bound_beyond_the_schema_is_located(tmp_path, key, entry, expected):
    problems = refused(load_spec, spec_file(tmp_path, entry, key))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("kind", ["--spec", "--posterior"])
def test_calibrate_refuses_a_bad_range_before_anything_is_written(tmp_path, capsys, kind):
    if kind == "--spec":
        given = spec_file(tmp_path, "{low: 0.5, high: 1.4}")
    else:
        given = prior_file(tmp_path, "{dist: uniform, low: 0.5, high: 1.4, source: x}")
    targets = tmp_path / "targets.yaml"
    targets.write_text(TARGETS)
    out = tmp_path / "out"
    code = main(["calibrate", str(TINY), "--targets", str(targets), kind, str(given),
                 "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    assert "ceiling.high: outside what the scenario allows" in err
    assert not out.exists()
