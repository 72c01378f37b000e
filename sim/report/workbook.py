"""tables.xlsx: a report's tables in one Excel workbook, for people who work in spreadsheets.

A sheet per table; customer counts in millions and ratios as they are, each column's unit in
its header (`mau (M customers)`, `dau_mau (ratio)`); the scenario's timeline and assumptions
on sheets of their own. The CSVs beside it keep whole customers for programs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from sim.report.folders import RATIOS

MAX_SHEET_NAME = 31  # Excel's limit
COUNT_UNIT = "M customers"


def in_millions(
    df: pd.DataFrame,
    counts: Iterable[str],
    ratios: Iterable[str] = RATIOS,
    metric: str | None = None,
) -> pd.DataFrame:
    """`df` with the `counts` columns divided by a million and every count or ratio column's
    header carrying its unit. With `metric` (a column naming each row's metric), rows of a
    ratio metric keep their values, and the header says both units."""
    out = df.copy()
    counts, ratios = set(counts), set(ratios)
    ratio_rows = out[metric].isin(RATIOS) if metric else pd.Series(False, index=out.index)
    unit = f"{COUNT_UNIT}; ratio for ratio metrics" if ratio_rows.any() else COUNT_UNIT
    names = {}
    for col in out.columns:
        if col in counts:
            values = out[col].astype(float)
            out[col] = values.where(ratio_rows, values / 1e6)
            names[col] = f"{col} ({unit})"
        elif col in ratios:
            names[col] = f"{col} (ratio)"
    return out.rename(columns=names)


def labelled(df: pd.DataFrame, unit: str, keep: Iterable[str]) -> pd.DataFrame:
    """A table already in `unit`: every column but `keep` gets the unit in its header."""
    keep = set(keep)
    return df.rename(columns={c: f"{c} ({unit})" for c in df.columns if c not in keep})


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """One sheet per table, in order, with a frozen header row."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in sheets.items():
            sheet = sheet_name(name)
            table.to_excel(writer, sheet_name=sheet, index=False, freeze_panes=(1, 0))
    return path


def sheet_name(name: str) -> str:
    """A name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:MAX_SHEET_NAME] or "sheet"
