"""Mistakes once found only after the runs are refused before anything is simulated: exit 2,
a located message (file:line: key) or the option's name, no output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ruamel.yaml import YAML

from sim.cli.app import main

from ..conftest import HERE, build


@pytest.fixture(autouse=True)
def no_simulation(monkeypatch):
    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("a simulation started")

    monkeypatch.setattr("sim.results.run.Engine", refuse)


def dump(path: Path, tree: dict[str, Any]) -> Path:
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    with path.open("w") as f:
        yaml.dump(tree, f)
    return path


def refused(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


TARGETS = """\
targets:
  good: {metric: mau, app: bank, date: 2020-06-30, relation: '>=', value: 1}
  bad_app: {metric: mau, app: bnak, date: 2020-06-30, relation: '>=', value: 1}
  bad_metric: {metric: maus, app: suite, date: 2020-06-30, relation: '>=', value: 1}
  bad_date: {metric: mau, app: chat, date: 2031-01-01, relation: '>=', value: 1}
"""


def test_check_refuses_targets_the_runs_cannot_have(tmp_path, capsys):
    targets = tmp_path / "targets.yaml"
    targets.write_text(TARGETS)
    out = tmp_path / "out"
    argv = ["check", str(HERE / "scenarios" / "tiny.yaml"), "--targets", str(targets)]
    err = refused(capsys, [*argv, "--seeds", "1", "--workers", "1", "--out", str(out)])
    assert f"{targets}:3: targets.bad_app.app: unknown app; did you mean 'bank'?" in err
    assert f"{targets}:4: targets.bad_metric.metric: unknown metric; did you mean 'mau'?" in err
    assert f"{targets}:5: targets.bad_date.date: outside the scenario's horizon" in err
    assert "targets.good" not in err
    assert not out.exists()


def test_calibrate_refuses_them_too(tmp_path, capsys):
    targets = tmp_path / "targets.yaml"
    targets.write_text(TARGETS)
    spec = tmp_path / "spec.yaml"
    spec.write_text("parameters: {apps.bank.adoption.p_per_year: {low: 0.1, high: 0.3}}\n")
    argv = ["calibrate", str(HERE / "scenarios" / "tiny.yaml"), "--targets", str(targets)]
    err = refused(capsys, [*argv, "--spec", str(spec), "--out", str(tmp_path / "out")])
    assert "targets.bad_app.app: unknown app" in err
    assert not (tmp_path / "out").exists()


def compare(tmp_path: Path, capsys, *extra: str, second: dict[str, Any] | None = None) -> str:
    a = HERE / "scenarios" / "tiny.yaml"
    b = dump(tmp_path / "b.yaml", second or {"extends": str(a), "name": "tiny-b"})
    out = tmp_path / "out"
    argv = ["compare", str(a), str(b), "--reps", "1", "--workers", "1", "--out", str(out)]
    err = refused(capsys, [*argv, *extra])
    assert not out.exists()
    return err


def test_compare_refuses_a_misspelt_outcome(tmp_path, capsys):
    err = compare(tmp_path, capsys, "--outcome", "mau:bnak")
    assert "--outcome: unknown app; did you mean 'bank'?" in err
    assert "valid: bank, chat, suite, suite_sum" in err
    err = compare(tmp_path, capsys, "--outcome", "registred:suite")
    assert "--outcome: unknown metric; did you mean 'registered'?" in err


def test_compare_refuses_different_horizons(tmp_path, capsys, tiny_tree):
    tiny_tree["name"] = "longer"
    tiny_tree["horizon"] = {"start": "2020-01-01", "end": "2021-06-30"}
    err = compare(tmp_path, capsys, second=tiny_tree)
    assert "scenarios must share a horizon" in err and "2021-06-30" in err
    assert f"{tmp_path / 'b.yaml'}:" in err and ": horizon.end: " in err  # located


@pytest.mark.parametrize(
    ("at", "fragment"),
    [
        ("20200630", "--at: not a date; use YYYY-MM-DD (got '20200630')"),
        ("2020-W26-2", "--at: not a date; use YYYY-MM-DD"),
        ("2020-02-30", "--at: no such day in the calendar; use YYYY-MM-DD"),
    ],
)
def test_compare_reads_at_dates_only_as_yyyy_mm_dd(tmp_path, capsys, at, fragment):
    assert fragment in compare(tmp_path, capsys, "--at", at)


def test_posterior_calibration_refuses_a_misspelt_target_too(tmp_path, capsys):
    targets = tmp_path / "targets.yaml"
    targets.write_text(TARGETS)
    prior = tmp_path / "prior.yaml"
    prior.write_text(
        "scale: 20\nparameters:\n"
        "  apps.bank.adoption.p_per_year: {dist: uniform, low: 0.1, high: 0.3, source: x}\n"
    )
    argv = ["calibrate", str(HERE / "scenarios" / "tiny.yaml"), "--targets", str(targets)]
    err = refused(capsys, [*argv, "--posterior", str(prior), "--out", str(tmp_path / "out")])
    assert "targets.bad_app.app: unknown app" in err
    assert not (tmp_path / "out").exists()


SWEEP = """\
scenario: {base}
sampler: grid
samples: 2
scale: 20
parameters:
  apps.bank.adoption.p_per_year: {{low: 0.1, high: 0.3}}
outcomes:
  fine: {{metric: mau, app: suite_sum, date: 2020-12-31}}
  app: {{metric: mau, app: chatt, date: 2020-12-31}}
  metric: {{metric: dau/mau, app: bank, date: 2020-12-31}}
  date: {{metric: mau, app: bank, date: 2019-12-31}}
"""


def test_sweep_refuses_outcomes_the_runs_cannot_have(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SWEEP.format(base=HERE / "scenarios" / "tiny.yaml"))
    argv = ["sweep", str(spec), "--store", str(tmp_path / "store"), "--out", str(tmp_path / "o")]
    err = refused(capsys, argv)
    assert f"{spec}:9: outcomes.app.app: unknown app; did you mean 'chat'?" in err
    assert f"{spec}:10: outcomes.metric.metric: unknown metric" in err
    assert f"{spec}:11: outcomes.date.date: outside the scenario's horizon" in err
    assert "outcomes.fine" not in err
    assert not (tmp_path / "o").exists() and not (tmp_path / "store").exists()


def test_sweep_refuses_an_outcome_name_with_a_slash(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    text = SWEEP.format(base=HERE / "scenarios" / "tiny.yaml").replace("  fine:", "  a/b:")
    spec.write_text(text)
    argv = ["sweep", str(spec), "--store", str(tmp_path / "store"), "--out", str(tmp_path / "o")]
    err = refused(capsys, argv)
    assert f"{spec}:8: outcomes.a/b: an outcome's name may not contain '/'" in err


BOUNDS = """\
scenario: {base}
sampler: grid
samples: 2
scale: 20
parameters:
  apps.bank.adoption.ceiling: {{low: 0.5, high: 1.5}}
  apps.bank.engagement.activity_mean:
    low: -0.1
    high: 0.4
  apps.bnak.adoption.p_per_year: {{low: 0.1, high: 0.2}}
  population.segments.young.share: {{low: 0.5, high: 0.6}}
  apps.chat.adoption.q_per_year: {{low: 0.5, high: 3.0}}
outcomes:
  mau: {{metric: mau, app: suite_sum, date: 2020-12-31}}
"""


def test_sweep_refuses_bounds_outside_the_scenario_at_their_line(tmp_path, capsys):
    """Once `<memory>: apps...` with no file or line, after the base had been loaded."""
    spec = tmp_path / "spec.yaml"
    base = HERE / "scenarios" / "tiny.yaml"
    spec.write_text(BOUNDS.format(base=base))
    argv = ["sweep", str(spec), "--store", str(tmp_path / "store"), "--out", str(tmp_path / "o")]
    err = refused(capsys, argv)
    assert (
        f"{spec}:6: parameters.apps.bank.adoption.ceiling.high: outside what the scenario "
        "allows: input should be less than or equal to 1 (got 1.5)"
    ) in err
    assert f"{spec}:8: parameters.apps.bank.engagement.activity_mean.low: outside" in err
    assert "input should be greater than 0 (got -0.1)" in err
    assert f"{spec}:10: parameters.apps.bnak.adoption.p_per_year: not a key path" in err
    assert "apps has no 'bnak'; valid: ['bank', 'chat']" in err
    assert (
        f"{spec}:11: parameters.population.segments.young.share.low: with "
        f"population.segments.young.share = 0.5 the scenario is invalid: {base}:"
    ) in err
    assert "<memory>" not in err and "ceiling.low" not in err and "q_per_year" not in err
    assert list(tmp_path.iterdir()) == [spec]  # no store, no report


def test_sweep_refuses_a_scale_that_leaves_no_agent(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    text = SWEEP.format(base=HERE / "scenarios" / "tiny.yaml").replace("scale: 20", "scale: 1e6")
    spec.write_text(text.split("  app:")[0])
    argv = ["sweep", str(spec), "--store", str(tmp_path / "store"), "--out", str(tmp_path / "o")]
    err = refused(capsys, argv)
    assert f"{spec}:4: scale: no agent to simulate: the population is at most 240,000" in err
    assert "use a scale of at most 240000" in err
    assert list(tmp_path.iterdir()) == [spec]


@pytest.mark.parametrize("command", ["run", "check", "compare", "calibrate"])
def test_no_command_runs_zero_agents(tmp_path, capsys, command):
    """tiny.yaml has at most 240,000 customers: at 1:1e7 not one agent; once a silent run."""
    tiny = str(HERE / "scenarios" / "tiny.yaml")
    targets = tmp_path / "targets.yaml"
    targets.write_text(TARGETS.split("  bad_app")[0])
    out = ["--out", str(tmp_path / "out")]
    argv = {
        "run": ["run", tiny, "--scale", "1e7", "--quiet", *out],
        "check": ["check", tiny, "--targets", str(targets), "--scale", "1e7", "--seeds", "1"],
        "compare": ["compare", tiny, str(dump(tmp_path / "b.yaml", {"extends": tiny}))],
        "calibrate": ["calibrate", tiny, "--targets", str(targets), "--spec"],
    }[command]
    if command == "compare":
        argv += ["--scale", "1e7", "--reps", "1"]
    if command == "calibrate":
        spec = tmp_path / "spec.yaml"
        spec.write_text(
            "scale: 1e7\nparameters: {apps.bank.adoption.ceiling: {low: 0.1, high: 0.3}}\n"
        )
        argv.append(str(spec))
    err = refused(capsys, [*argv, *out] if command != "run" else argv)
    assert "no agent to simulate: the population is at most 240,000 customers" in err
    assert "use a scale of at most 240000" in err
    assert not (tmp_path / "out").exists()


def test_outcome_metrics_are_the_daily_table_columns():
    from sim.engine.recorder import FLOWS, STOCKS
    from sim.experiments.outcomes import METRICS

    assert set(METRICS) == {*STOCKS, *FLOWS, "dau", "wau", "mau", "dau_mau"}


@pytest.mark.parametrize("name", [r"a $\frac$ b", "Pay$ $", "US$ 5"])
def test_a_dollar_in_an_app_name_does_not_break_a_report(tmp_path, tiny_tree, monkeypatch, name):
    monkeypatch.undo()  # this one runs the tiny world
    from sim.report.run_report import write_run_report
    from sim.results.run import run

    tiny_tree["apps"]["bank"]["name"] = name
    write_run_report(run(build(tiny_tree), seed=0, scale=50), tmp_path / "r")
    assert (tmp_path / "r" / "figures" / "mau.png").exists()


def test_a_dollar_in_a_sweep_outcome_does_not_break_its_figure(tmp_path):
    from sim.report.sweep_report import _tornados

    indices = pd.DataFrame(
        {
            "outcome": "US$ mau $x",
            "parameter": [r"apps.a$\frac$.p", "b"],
            "index": "mu_star",
            "value": [1.0, 2.0],
            "ci95": [0.1, 0.2],
        }
    )
    assert _tornados(indices, tmp_path)[0].exists()
