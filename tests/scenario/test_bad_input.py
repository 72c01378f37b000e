"""The bad-input corpus: every broken input gives exit 2 and a located message.

Each file of tests/bad/ is listed in EXPECTED.tsv with a fragment its message must contain.
Every message must read `error: FILE:LINE: KEY.PATH: ...` (the key path may be
`(top level)` for whole-file problems), with no traceback and nothing written. A file is a
scenario (`appsim validate FILE`) unless its name says otherwise: `prior-*.yaml` is a prior
(`appsim calibrate tiny.yaml --posterior FILE`), `spec-*.yaml` a calibration spec
(`--spec FILE`), `series-*.csv` a series CSV that a targets file names (`appsim check`), each
read against tests/scenarios/tiny.yaml.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.app import main

BAD = Path(__file__).parents[1] / "bad"
CASES = [
    tuple(line.split("\t", 1))
    for line in (BAD / "EXPECTED.tsv").read_text().splitlines()
    if line and not line.startswith("#")
]
LOCATED = re.compile(r"^error: (?P<file>[^:]+):(?P<line>\d+): (?P<key>[^:]+): .+", re.M)


TINY = Path(__file__).parents[1] / "scenarios" / "tiny.yaml"
TARGETS = """\
source: test
targets:
  bank_dau:
    {metric: dau, app: bank, date: 2020-12-31, relation: "~=", value: 5000, band: [3000, 8000]}
"""


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(path)])
    return code, capsys.readouterr().err


def command_for(path: Path, tmp: Path) -> list[str]:
    """The command that reads the corpus file `path` (see the module's docstring)."""
    targets = tmp / "targets.yaml"
    targets.write_text(TARGETS)
    calibrate = ["calibrate", str(TINY), "--targets", str(targets), "--out", str(tmp / "out")]
    if path.name.startswith("prior-"):
        return [*calibrate, "--posterior", str(path)]
    if path.name.startswith("spec-"):
        return [*calibrate, "--spec", str(path)]
    if path.name.startswith("series-"):
        series = f"series:\n  - {{file: {path}, rel_tol: 0.1, source: test}}\n"
        targets.write_text(TARGETS + series)
        return ["check", str(TINY), "--targets", str(targets), "--out", str(tmp / "out")]
    return ["validate", str(path)]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_gives_a_located_error(name, expected, capsys, tmp_path):
    code = main(command_for(BAD / name, tmp_path))
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err, err
    match = LOCATED.search(err)
    assert match, f"not file:line: key: message -> {err}"
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.yaml"]  # nothing written


def test_corpus_is_large_enough():
    assert len(CASES) >= 40


def test_directory_instead_of_a_file(tmp_path, capsys):
    code, err = validate(tmp_path, capsys)
    assert code == 2 and "is a directory" in err and str(tmp_path) in err


def test_huge_file(tmp_path, capsys):
    huge = tmp_path / "huge.yaml"
    huge.write_text("name: x\n" + "# padding\n" * 300_000)
    code, err = validate(huge, capsys)
    assert code == 2 and "file too large" in err and f"{huge}:1:" in err


def test_a_device_is_refused_before_it_is_read(capsys):
    """/dev/zero has st_size 0 and never ends: once read until memory ran out."""
    code, err = validate(Path("/dev/zero"), capsys)
    assert code == 2 and "/dev/zero: (top level): is a device, not a scenario file" in err


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,  # opening a FIFO to read blocks until someone writes
    )
    assert done.returncode == 2, done.stderr
    assert f"{fifo}: (top level): is a pipe (FIFO)" in done.stderr
    assert "Traceback" not in done.stderr


def test_extends_of_a_device_is_refused(tmp_path, capsys):
    child = tmp_path / "child.yaml"
    child.write_text("extends: /dev/zero\n")
    code, err = validate(child, capsys)
    assert code == 2 and f"{child}:1: extends:" in err


def test_run_on_bad_input_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(BAD / "shares-do-not-sum.yaml"), "--out", str(out), "--quiet"])
    assert code == 2
    assert "must sum to 1" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "a.yaml", "--scale", "-3"], "argument --scale: must be between 1 and 1e7"),
        (["compare", "a.yaml", "--scale", "0"], "argument --scale: must be between 1 and 1e7"),
        (["compare", "a.yaml", "--workers", "0"], "argument --workers: must be >= 1 (got 0)"),
        (["compare", "a.yaml", "--reps", "0"], "argument --reps: must be >= 1 (got 0)"),
        (["check", "a.yaml", "--targets", "t.yaml", "--seeds", "x"], "not a whole number: 'x'"),
        (["check", "a.yaml", "--targets", "t.yaml", "--scale", "-1"], "must be between 1"),
        (["calibrate", "a.yaml", "--targets", "t", "--spec", "s", "--trials", "0"], ">= 1"),
        (["sweep", "s.yaml", "--workers", "-1"], "argument --workers: must be >= 1 (got -1)"),
        (["run", "a.yaml", "--scale", "nan"], "argument --scale: must be between 1 and 1e7"),
    ],
)
def test_bad_arguments_are_usage_errors(args, message, capsys):
    """Every command checks its numbers as it parses them: exit 2, the argument named."""
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
