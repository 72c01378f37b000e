"""Series targets from a CSV, and the tolerance that widens a target's interval."""

from __future__ import annotations

import math

import pytest

from sim.errors import ScenarioError
from sim.experiments.targets import Target, load_targets

HEADER = "date,app,metric,value\n"
POINT = {"metric": "mau", "app": "bank", "date": "2020-06-30", "value": 100.0}


def write_files(tmp_path, csv_text: str):
    (tmp_path / "monthly.csv").write_text(csv_text)
    path = tmp_path / "targets.yaml"
    path.write_text(
        "source: test\n"
        "targets:\n"
        "  point: {metric: dau, app: bank, date: 2020-12-31, relation: '>=', value: 10}\n"
        "series:\n"
        "  - {file: monthly.csv, rel_tol: 0.1, source: the bank's monthly report}\n"
    )
    return path


def test_each_csv_row_is_a_target_symmetric_in_log_space(tmp_path):
    path = write_files(
        tmp_path,
        "date,app,metric,value,rel_tol\n2020-06-30,bank,mau,5000,\n2020-07-31,bank,mau,6000,0.5\n",
    )
    targets = load_targets(path).targets
    assert set(targets) == {"point", "bank.mau.2020-06-30", "bank.mau.2020-07-31"}
    june = targets["bank.mau.2020-06-30"]
    low, high = june.bounds()
    assert math.log(5000 / low) == pytest.approx(math.log(high / 5000))  # symmetric
    assert high == pytest.approx(5500)  # the file's default tolerance, 0.1
    assert targets["bank.mau.2020-07-31"].bounds()[1] == pytest.approx(9000)  # its own 0.5
    assert "monthly.csv:2" in june.source


@pytest.mark.parametrize(
    ("csv_text", "fragment"),
    [
        (
            "date,app,metric,value\n2020-06-30,bank,mau,5000\n30/07/2020,bank,mau,1\n",
            ":3: date: use YYYY-MM-DD",
        ),
        ("date,app,metric,value\n2020-06-30,bank,mau,lots\n", ":2: value: not a finite number"),
        (
            "date,app,value\n2020-06-30,bank,5000\n",
            "the CSV needs columns date, app, metric, value",
        ),
    ],
)
def test_a_bad_csv_row_is_located(tmp_path, csv_text, fragment):
    path = write_files(tmp_path, csv_text)
    with pytest.raises(ScenarioError) as caught:
        load_targets(path)
    assert fragment in str(caught.value.problems[0])


def test_rel_tol_widens_an_inequality_by_its_factor():
    strict = Target.model_validate({**POINT, "relation": ">="})
    tolerant = Target.model_validate({**POINT, "relation": ">=", "rel_tol": 0.05})
    assert strict.miss(96.0) > 0
    assert tolerant.miss(96.0) == 0.0
    assert tolerant.miss(90.0) == pytest.approx(math.log(100 / 1.05 / 90))


def named_series(tmp_path, csv_file) -> object:
    path = tmp_path / "targets.yaml"
    path.write_text(
        "source: test\ntargets: {}\nseries:\n"
        f"  - {{file: {csv_file}, rel_tol: 0.1, source: a report}}\n"
    )
    return path


def refusal(path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_targets(path)
    return str(caught.value)


def test_a_device_as_series_csv_is_refused_before_it_is_read(tmp_path):
    """/dev/zero has st_size 0 and never ends: the CSV goes through the inputs' rule."""
    message = refusal(named_series(tmp_path, "/dev/zero"))
    assert "targets.yaml:4: series[0].file: is a device, not a series CSV" in message


def test_a_fifo_as_series_csv_is_refused_without_waiting(tmp_path):
    import os

    os.mkfifo(tmp_path / "monthly.csv")  # opening it to read would wait for a writer
    message = refusal(named_series(tmp_path, "monthly.csv"))
    assert "series[0].file: is a pipe (FIFO), not a series CSV" in message


def test_a_huge_or_binary_series_csv_is_located(tmp_path):
    (tmp_path / "huge.csv").write_text(HEADER + "2020-06-30,bank,mau,1\n" * 120_000)
    assert "file too large" in refusal(named_series(tmp_path, "huge.csv"))
    (tmp_path / "latin1.csv").write_bytes(HEADER.encode() + b"2020-06-30,b\xe4nk,mau,1\n")
    assert "latin1.csv:2: (top level): not UTF-8 text" in refusal(
        named_series(tmp_path, "latin1.csv")
    )
    (tmp_path / "nul.csv").write_bytes(HEADER.encode() + b"2020-06-30,bank,mau,1\x00\n")
    binary = refusal(named_series(tmp_path, "nul.csv"))
    assert "nul.csv:2: (top level): binary file, not CSV text" in binary


def test_a_short_csv_row_is_not_a_traceback(tmp_path):
    write = write_files(tmp_path, HEADER + "2020-06-30,bank\n")
    assert ":2: value: not a finite number" in refusal(write)
