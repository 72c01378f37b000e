"""Calibration: targets, the loss, the check command, and recovery of known parameters."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

import sim
from sim.experiments.calibrate import CalibrationSpec, calibrate, with_values
from sim.experiments.targets import Target, TargetSet, fit_table, load_targets, loss

from ..conftest import ROOT, TINY, build

TARGETS = ROOT / "scenarios" / "targets" / "icbc-2019.yaml"


def target(relation: str, value: float, band=None) -> Target:
    return Target(
        metric="mau", app="bank", date="2020-06-30", relation=relation, value=value, band=band
    )


def test_miss_is_a_scale_free_hinge():
    assert target(">=", 100).miss(150) == 0
    assert target(">=", 100).miss(50) == pytest.approx(math.log(2))
    assert target("<=", 100).miss(200) == pytest.approx(math.log(2))
    assert target("~=", 100, (90, 110)).miss(100) == 0
    assert target("~=", 100, (90, 110)).miss(220) == pytest.approx(math.log(2))
    # the same relative miss costs the same whatever the magnitude
    assert target(">=", 1e8).miss(5e7) == pytest.approx(target(">=", 10).miss(5))


def test_targets_file_covers_every_figure_of_the_article():
    targets = load_targets(TARGETS).targets
    assert len(targets) >= 10
    assert all(t.source and t.reading for t in targets.values())
    apps = {t.app for t in targets.values()}
    assert {"rongexing", "rongelian", "rongegou", "elife", "suite", "suite_sum"} <= apps


def test_fit_table_and_loss_on_a_run(tiny_tree):
    result = sim.run(build(tiny_tree), seed=1)
    mau = result.at("2020-06-30", "mau", "bank")
    passing = TargetSet(targets={"ok": target(">=", mau / 2)})
    failing = TargetSet(targets={"no": target(">=", mau * 2)})
    assert fit_table([result], passing)["pass"].all()
    assert not fit_table([result], failing)["pass"].any()
    assert loss([result], passing) == 0
    assert loss([result], failing) == pytest.approx(math.log(2) ** 2)


def test_calibration_recovers_known_parameters(tmp_path):
    """Targets made from a run with known p and activity mean; the search finds them back.
    p is the weaker-identified of the two (the installed base's word of mouth drives most
    adoption), hence a target early in the S-curve and 80 trials."""
    from sim.scenario.yamlio import load_tree

    tree, _ = load_tree(TINY)
    truth = {"apps.bank.adoption.p_per_year": 0.3, "apps.bank.engagement.activity_mean": 0.25}
    runs = [sim.run(build(with_values(tree, truth)), seed=s) for s in range(2)]
    # registered early in the year pins the innovation rate p (the start of the S-curve),
    # registered and DAU at the year's end the rest
    points = {
        "registered_april": ("registered", "2020-04-30"),
        "registered": ("registered", "2020-12-31"),
        "dau": ("dau", "2020-12-31"),
    }
    targets = TargetSet(
        targets={
            name: Target(
                metric=metric,
                app="bank",
                date=date,
                relation="~=",
                value=v,
                band=(v * 0.99, v * 1.01),
            )
            for name, (metric, date) in points.items()
            for v in [sum(r.at(date, metric, "bank") for r in runs) / 2]
        }
    )
    spec = CalibrationSpec(
        scale=10,
        seeds=2,
        trials=80,
        parameters={
            "apps.bank.adoption.p_per_year": {"low": 0.05, "high": 1.0, "log": True},
            "apps.bank.engagement.activity_mean": {"low": 0.05, "high": 0.5},
        },
    )
    best = calibrate(TINY, targets, spec, tmp_path, workers=2)
    assert best["apps.bank.adoption.p_per_year"] == pytest.approx(0.3, rel=0.2)
    assert best["apps.bank.engagement.activity_mean"] == pytest.approx(0.25, rel=0.1)
    assert (tmp_path / "study.db").exists()


def test_check_command_passes_the_shipped_baseline(tmp_path):
    """The calibrated baseline meets every target (at 1:2000, which the scale-invariance
    test shows gives the same means as finer scales)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "check",
            "scenarios/baseline.yaml",
            "--targets",
            str(TARGETS),
            "--seeds",
            "2",
            "--scale",
            "2000",
            "--workers",
            "2",
            "--out",
            str(tmp_path / "check"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10/10 targets pass" in done.stdout
    assert (tmp_path / "check" / "fit.csv").exists()


def test_shipped_specs_name_real_parameters():
    from sim.experiments.calibrate import check_paths, load_spec
    from sim.experiments.sweep import load_sweep
    from sim.scenario.yamlio import load_tree

    tree, _ = load_tree(ROOT / "scenarios" / "baseline.yaml")
    spec = load_spec(ROOT / "scenarios" / "calibration" / "baseline-spec.yaml")
    check_paths(tree, spec, "baseline")
    from sim.experiments.calibrate import _current_values

    # the first trial is the baseline as written: every free parameter inside its bounds
    current = _current_values(tree, spec)
    assert set(current) == set(spec.parameters)
    for path, bounds in spec.parameters.items():
        node = tree
        for key in path.split("."):
            node = node[key]
        assert bounds.low <= node <= bounds.high, path
    sweep_spec, base = load_sweep(ROOT / "scenarios" / "sweeps" / "baseline-morris.yaml")
    assert base == (ROOT / "scenarios" / "baseline.yaml").resolve()
    assert set(sweep_spec.parameters) <= set(spec.parameters) | {
        "apps.rongexing.adoption.never_active_share"
    }
