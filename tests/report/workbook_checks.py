"""The rule every report folder's tables.xlsx keeps, checked from the folder alone: a sheet
per CSV table (under the file's stem; a run's daily rows excepted), in millions where the
header says so, then the scenario's timeline and assumptions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.report.units import COUNT_UNIT

SHEETLESS = {"daily"}  # a run's daily rows: daily.csv and daily.parquet only


def assert_workbook(folder: Path) -> dict[str, pd.DataFrame]:
    """tables.xlsx keeps the rule; returns its sheets."""
    sheets = pd.read_excel(folder / "tables.xlsx", sheet_name=None)
    stems = {p.stem for p in folder.glob("*.csv")} - SHEETLESS
    assert stems and stems <= set(sheets), (sorted(stems), list(sheets))
    assert list(sheets)[-2:] == ["timeline", "assumptions"]
    assert list(sheets["assumptions"].columns) == ["key", "value", "source"]
    assert len(sheets["assumptions"]) > 0
    for stem in stems:
        _in_millions(pd.read_csv(folder / f"{stem}.csv"), sheets[stem], stem)
    return sheets


def _in_millions(csv: pd.DataFrame, sheet: pd.DataFrame, stem: str) -> None:
    """Each column the sheet heads `<name> (M customers)` is the CSV's, in millions."""
    assert len(csv) == len(sheet), stem
    millions = {c: f"{c} ({COUNT_UNIT})" for c in csv.columns if f"{c} ({COUNT_UNIT})" in sheet}
    for column, header in millions.items():
        expected = csv[column].astype(float).to_numpy() / 1e6
        shown = sheet[header].astype(float).to_numpy()
        assert shown == pytest.approx(expected, abs=1e-6, nan_ok=True), (stem, column)
