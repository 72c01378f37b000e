"""The run report: every file written, tables round-trip, HTML self-contained, writes atomic."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sim
import sim.report.run_report
from sim.report.folders import MARKER
from sim.report.run_report import write_run_report
from sim.results.result import Result

from .conftest import TINY

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
    suite_rows = [line for line in summary.splitlines() if line.startswith("| suite |")]
    assert suite_rows and all("–" in row for row in suite_rows)
    page = (report / "report.html").read_text()
    assert "nan" not in summary.lower() and "NaN" not in page
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
