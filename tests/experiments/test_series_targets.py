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
            ":3: date: not a date; use YYYY-MM-DD",
        ),
        (
            "date,app,metric,value\n2020-06-30,bank,mau,lots\n",
            ":2: value: must be a positive finite number",
        ),
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
    assert ":2: (top level): a short row: 2 field(s), the header has 4 columns" in refusal(write)


def against_tiny(tmp_path, csv_text: str) -> list[str]:
    """The problems of a series CSV read with the tiny scenario (apps bank, chat; 2020)."""
    from sim.scenario.load import load_scenario

    from ..conftest import TINY

    path = named_series(tmp_path, "monthly.csv")
    (tmp_path / "monthly.csv").write_text(csv_text)
    with pytest.raises(ScenarioError) as caught:
        load_targets(path, load_scenario(TINY))
    return [str(p) for p in caught.value.problems]


FULL = "date,app,metric,value,rel_tol\n2020-05-31,bank,mau,5000,\n"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("2020-06-30,bnak,mau,5000,", "monthly.csv:3: app: unknown app; did you mean 'bank'?"),
        ("2020-06-30,bank,mua,5000,", "monthly.csv:3: metric: unknown metric; did you mean"),
        (
            "2031-06-30,bank,mau,5000,",
            "monthly.csv:3: date: outside the scenario's horizon 2020-01-01..2020-12-31 "
            "(got '2031-06-30')",
        ),
        ("2020-06-30,,mau,5000,", "monthly.csv:3: app: empty; every row names its app: one of"),
        ("2020-06-30,bank,,5000,", "monthly.csv:3: metric: empty"),
        ("2020-06-30,bank,mau,-5,", "monthly.csv:3: value: must be a positive finite number"),
        ("2020-06-30,bank,mau,0,", "monthly.csv:3: value: must be a positive finite number"),
        ("2020-06-30,bank,mau,1e400,", "monthly.csv:3: value: must be a positive finite"),
        ("2020-06-30,bank,mau,5,1.5", "monthly.csv:3: rel_tol: must be a number from 0 up to"),
        ("2020-06-30,bank,mau,5,10", "write 10% as 0.1"),
        ("2020-06-30,bank,mau,5,-0.1", "monthly.csv:3: rel_tol: must be a number from 0"),
        ("2020-06-30,bank,mau,5,nan", "monthly.csv:3: rel_tol: must be a number from 0"),
        ("20200630,bank,mau,5,", "monthly.csv:3: date: not a date; use YYYY-MM-DD"),
        ("2020-W26-2,bank,mau,5,", "monthly.csv:3: date: not a date; use YYYY-MM-DD"),
        ("2020-02-30,bank,mau,5,", "monthly.csv:3: date: no such day in the calendar"),
        ("2020-06-30,bank,mau,5,,extra", "monthly.csv:3: (top level): more fields than"),
        ("2020-05-31,bank,mau,6,", "monthly.csv:3: date: a second row for bank.mau.2020-05-31"),
        ("2020-06-30,bank,dau_mau,30,", "dau_mau is a share of MAU, at most 1"),
    ],
)
def test_every_cell_is_checked_against_the_scenario_at_its_row(tmp_path, row, expected):
    problems = against_tiny(tmp_path, FULL + row + "\n")
    assert any(expected in p for p in problems), problems


def test_a_quoted_newline_does_not_shift_the_line(tmp_path):
    text = FULL + '2020-06-30,"ba\nnk",mau,5,\n2020-07-31,bnak,mau,5,\n'
    problems = against_tiny(tmp_path, text)
    assert any(p.startswith(f"{tmp_path / 'monthly.csv'}:5: app:") for p in problems), problems


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("date,app,metric,value,tol", "monthly.csv:1: (top level): unknown column 5"),
        ("Date,app,metric,value", "did you mean 'date'?"),
        ("date,app,metric,value,value", "column 5 repeats 'value'"),
        ("date,app,value", "missing: metric"),
    ],
)
def test_a_bad_header_is_located_at_line_one(tmp_path, header, expected):
    problems = against_tiny(tmp_path, header + "\n2020-06-30,bank,mau,5,\n")
    assert any(expected in p for p in problems), problems


def test_a_header_without_rows_and_too_many_rows_are_refused(tmp_path, monkeypatch):
    from sim.experiments import series_targets

    assert "monthly.csv:1: (top level): a header and no rows" in against_tiny(tmp_path, HEADER)[0]
    monkeypatch.setattr(series_targets, "MAX_ROWS", 2)
    rows = "".join(f"2020-0{m},bank,mau,5\n".replace(",", "-01,", 1) for m in range(1, 5))
    assert "more than 2 rows" in against_tiny(tmp_path, HEADER + rows)[0]


def test_excel_byte_order_mark_and_spaced_header_are_read(tmp_path):
    (tmp_path / "monthly.csv").write_bytes(
        b"\xef\xbb\xbfdate, app ,metric,value\n2020-06-30,bank,mau,5000\n"
    )
    assert "bank.mau.2020-06-30" in load_targets(named_series(tmp_path, "monthly.csv")).targets


def test_a_series_row_may_not_replace_a_named_target(tmp_path):
    path = write_files(tmp_path, HEADER + "2020-06-30,bank,mau,5000\n")
    path.write_text(path.read_text().replace("  point:", "  bank.mau.2020-06-30:"))
    assert "as a target before it" in refusal(path)
