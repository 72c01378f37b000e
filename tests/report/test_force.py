"""Report folders: an earlier appsim report is replaced only with --force; comparisons of
different scenarios get different default folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli.app import main
from sim.cli.compare_inputs import default_folder_name

from ..conftest import TINY

FAST = ["--scale", "100", "--quiet"]


def test_default_compare_folder_names_every_scenario():
    assert default_folder_name(["baseline", "no-open-api"]) == "compare-baseline-vs-no-open-api"
    assert default_folder_name(["baseline", "a"]) != default_folder_name(["baseline", "b"])


def test_a_long_default_compare_folder_is_the_first_name_and_a_hash():
    names = ["baseline", *(f"what-if-number-{i}-with-a-long-name" for i in range(4))]
    name = default_folder_name(names)
    assert name.startswith("compare-baseline-") and len(name) == len("compare-baseline-") + 8
    int(name.rsplit("-", 1)[1], 16)
    assert default_folder_name([*names[:-1], "other"]) != name


def test_run_refuses_its_own_earlier_report_unless_forced(tmp_path: Path, capsys):
    out = tmp_path / "report"
    assert main(["run", str(TINY), "--out", str(out), *FAST]) == 0
    (out / "summary.md").write_text("the first run's summary")
    capsys.readouterr()
    assert main(["run", str(TINY), "--seed", "1", "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "--force" in err
    assert (out / "summary.md").read_text() == "the first run's summary"
    assert main(["run", str(TINY), "--seed", "1", "--out", str(out), "--force", *FAST]) == 0
    assert (out / "summary.md").read_text().startswith("# tiny: seed 1")


def test_force_never_replaces_a_folder_appsim_did_not_make(tmp_path: Path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("keep")
    assert main(["run", str(TINY), "--out", str(out), "--force", *FAST]) == 2
    assert "appsim did not make it" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "keep"


@pytest.mark.parametrize("command", ["run", "compare", "check", "sweep"])
def test_every_report_command_takes_force(command: str, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "--force" in capsys.readouterr().out


def test_a_second_comparison_gets_its_own_folder(tmp_path: Path, monkeypatch, capsys):
    for name in ("one", "two"):
        (tmp_path / f"{name}.yaml").write_text(f"extends: {TINY}\nname: {name}\n")
    monkeypatch.chdir(tmp_path)
    common = ["--reps", "1", "--scale", "100", "--workers", "1"]
    assert main(["compare", str(TINY), "one.yaml", *common]) == 0
    assert main(["compare", str(TINY), "two.yaml", *common]) == 0
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "compare-tiny-vs-one",
        "compare-tiny-vs-two",
    ]
    capsys.readouterr()
    assert main(["compare", str(TINY), "one.yaml", *common]) == 2
    err = capsys.readouterr().err
    assert "compare-tiny-vs-one" in err and "--force" in err


def test_a_refused_default_folder_is_named_as_the_default(tmp_path: Path, monkeypatch, capsys):
    """No --out given: the message names the default folder, says it is the default, and
    how to choose another; it does not blame an --out the user never wrote."""
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "reports" / "tiny"
    mine.mkdir(parents=True)
    (mine / "keep.txt").write_text("keep")
    assert main(["run", str(TINY), *FAST]) == 2
    err = capsys.readouterr().err
    assert "reports/tiny (the default output folder; no --out was given)" in err
    assert "choose another folder with --out DIR" in err and "--out reports" not in err
    assert main(["run", str(TINY), "--out", "reports/tiny", *FAST]) == 2
    assert "--out reports/tiny: the folder exists and appsim did not make it" in (
        capsys.readouterr().err
    )
