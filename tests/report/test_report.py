"""The run report: every file written, tables round-trip, HTML self-contained, writes atomic."""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

import sim
import sim.report.run_report
from sim.cli.check import fit_csv
from sim.report.folders import MARKER, html_table, markdown_table
from sim.report.run_report import write_run_report
from sim.results.result import Result

from ..conftest import TINY

FILES = [
    "daily.parquet",
    "daily.csv",
    "monthly.parquet",
    "monthly.csv",
    "overlap.csv",
    "cohorts.csv",
    "figures/registered.png",
    "figures/mau.png",
    "figures/dau.png",
    "figures/suite_mau.png",
    "summary.md",
    "report.html",
    "manifest.json",
]
MANIFEST_KEYS = {"seed", "scale", "scenario_hash", "output_hash", "wall_seconds", "files"}


@pytest.fixture(scope="module")
def result() -> Result:
    """The tiny scenario, run once for the whole module."""
    return sim.run(sim.load_scenario(TINY), seed=1)


@pytest.fixture
def report(result: Result, tmp_path: Path) -> Path:
    return write_run_report(result, tmp_path / "report")


def leftovers(folder: Path) -> list[str]:
    """Hidden temporary or set-aside folders left next to a report."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_every_file_is_written_and_non_empty(report: Path, tmp_path: Path):
    for name in FILES:
        path = report / name
        assert path.is_file(), name
        assert path.stat().st_size > 0, name
    assert leftovers(tmp_path) == []


def test_daily_parquet_round_trips(report: Path, result: Result):
    back = pd.read_parquet(report / "daily.parquet")
    assert pd.api.types.is_datetime64_dtype(back["date"])
    expected = result.daily.copy()
    expected["date"] = expected["date"].astype("datetime64[ns]")
    back["date"] = back["date"].astype("datetime64[ns]")
    pd.testing.assert_frame_equal(back, expected)


def test_manifest_identifies_the_run_and_lists_its_files(report: Path, result: Result):
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest.keys() >= MANIFEST_KEYS
    assert manifest["seed"] == 1
    assert manifest["scale"] == result.scale
    assert manifest["output_hash"] == result.output_hash()
    written = sorted(str(p.relative_to(report)) for p in report.rglob("*") if p.is_file())
    assert manifest["files"] == sorted(manifest["files"])
    assert set(manifest["files"]) == set(written) - {"manifest.json", MARKER}


def test_html_is_self_contained_with_every_figure(report: Path):
    page = (report / "report.html").read_text()
    assert "http://" not in page and "https://" not in page
    n_png = len(list((report / "figures").glob("*.png")))
    assert n_png == 4
    assert page.count("<img") == n_png
    assert page.count('src="data:image/png;base64,') == n_png


def test_summary_has_title_and_tables(report: Path, result: Result):
    summary = (report / "summary.md").read_text()
    assert summary.startswith(f"# {result.scenario.name}")
    assert "| date |" in summary
    assert "| 2020-12-31 |" in summary
    assert "## Files" in summary


def test_the_suite_row_shows_no_engaged_count_rather_than_nan(report: Path):
    """The de-duplicated suite has no engaged count: the tables show a dash, not nan."""
    summary = (report / "summary.md").read_text()
    last_day = summary.split("\n## On ", 1)[1].split("\n## ", 1)[0]
    suite_rows = [line for line in last_day.splitlines() if line.startswith("| suite |")]
    assert suite_rows and all("–" in row for row in suite_rows)
    page = (report / "report.html").read_text()
    text = re.sub(r"data:[^\"')]+", "", page)  # embedded images and font: base64, not numbers
    assert "nan" not in summary.lower() and "NaN" not in text
    assert "<td>–</td>" in page


def test_markdown_table_by_hand():
    table = sim.report.run_report.markdown_table(pd.DataFrame({"a": ["x", "y"], "b": [1.25, 20.0]}))
    lines = table.splitlines()
    assert lines[0] == "| a | b |"
    assert len(lines) == 4 and all(line.startswith("|") for line in lines)


def _fail(*args: object, **kwargs: object) -> list[Path]:
    raise RuntimeError("figures broke")


def test_failure_leaves_no_folder_and_no_temp(
    result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(sim.report.run_report, "write_figures", _fail)
    with pytest.raises(RuntimeError, match="figures broke"):
        write_run_report(result, tmp_path / "report")
    assert not (tmp_path / "report").exists()
    assert leftovers(tmp_path) == []


def test_failure_keeps_the_previous_report(
    result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = write_run_report(result, tmp_path / "report")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(sim.report.run_report, "write_figures", _fail)
    with pytest.raises(RuntimeError):
        write_run_report(result, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert leftovers(tmp_path) == []


def test_interrupt_leaves_no_temp(result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def interrupt(*args: object, **kwargs: object) -> list[Path]:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.report.run_report, "write_figures", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_run_report(result, tmp_path / "report")
    assert list(tmp_path.iterdir()) == []


def test_rewriting_replaces_the_report(result: Result, tmp_path: Path):
    out = tmp_path / "nested" / "report"
    write_run_report(result, out)
    (out / "summary.md").write_text("an older run's summary")
    write_run_report(result, out)
    assert (out / "summary.md").read_text().startswith(f"# {result.scenario.name}")
    assert (out / "manifest.json").is_file()
    assert leftovers(out.parent) == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (110.7, "111"),
        (3.96, "3.96"),
        (0.0419, "0.0419"),
        (1234.5, "1,230"),
        (1_234_567.0, "1,230,000"),
        (9.996, "10.0"),
        (-52.34, "-52.3"),
        (0.0004, "<0.001"),
        (-0.0004, ">-0.001"),
        (0.0, "0"),
        (float("nan"), "–"),
    ],
)
def test_one_number_format_in_markdown_and_html(value: float, shown: str):
    """3 significant figures with thousands separators, in both kinds of table."""
    df = pd.DataFrame({"x": [value]})
    assert markdown_table(df).splitlines()[2] == f"| {shown} |"
    assert f"<td>{html.escape(shown)}</td>" in html_table(df)


def test_report_tables_show_millions_to_three_figures(report: Path, result: Result):
    """The summary's MAU table shows 3 significant figures, not a fixed number of decimals."""
    last = result.daily[result.daily["date"] == result.daily["date"].max()]
    mau = float(last.loc[last["app"] == "bank", "mau"].iloc[0]) / 1e6
    summary = (report / "summary.md").read_text()
    three_figures = f"{float(f'{mau:.3g}'):.{2 - math.floor(math.log10(mau))}f}"
    assert f"| bank | {three_figures}" not in summary  # registered comes first
    assert f" {three_figures} |" in summary


def test_csvs_hold_whole_customers_and_ratios_to_four_decimals(report: Path):
    daily = pd.read_csv(report / "daily.csv")
    for col in ("registered", "engaged", "dau", "wau", "mau", "new_registered"):
        assert (
            pd.api.types.is_integer_dtype(daily[col].dropna())
            or (daily[col].dropna() % 1 == 0).all()
        ), col
    assert pd.api.types.is_integer_dtype(daily["mau"])
    text = (report / "daily.csv").read_text().splitlines()
    assert ".0," not in text[1]  # counts written as integers
    assert (daily["dau_mau"].round(4) == daily["dau_mau"]).all()
    assert daily["dau_mau"].between(0, 1).all() and (daily["dau_mau"] % 1 != 0).any()
    monthly = pd.read_csv(report / "monthly.csv")
    assert pd.api.types.is_integer_dtype(monthly["dau_mean"])
    cohorts = pd.read_csv(report / "cohorts.csv")
    assert pd.api.types.is_integer_dtype(cohorts["cohort_size"])
    assert (cohorts["retention"].round(4) == cohorts["retention"]).all()
    assert pd.read_parquet(report / "daily.parquet")["mau"].dtype == float  # every digit


def test_fit_csv_rounds_each_row_by_its_metric():
    table = pd.DataFrame(
        {
            "metric": ["mau", "dau_mau"],
            "simulated_mean": [1_234_567.6, 0.2834567],
            "band_5": [1_000_000.4, 0.25],
            "band_95": [1_500_000.5, float("nan")],
        }
    )
    lines = fit_csv(table).to_csv(index=False).splitlines()
    assert lines[1] == "mau,1234568,1000000,1500000"
    assert lines[2] == "dau_mau,0.2835,0.25,"


def test_sweep_runs_csv_rounds_outcomes_but_not_parameters():
    from sim.report.sweep_report import _runs_csv

    table = pd.DataFrame({"point": [0], "seed": [0], "p": [0.0001234], "m": [12.6], "r": [0.12346]})
    info = {"spec": {"outcomes": {"m": {"metric": "mau"}, "r": {"metric": "dau_mau"}}}}
    assert _runs_csv(table, info).to_csv(index=False).splitlines()[1] == "0,0,0.0001234,13,0.1235"
