"""tables.xlsx: a report's tables in one Excel workbook, for people who work in spreadsheets.

Every report folder with tables writes one, through `write_workbook`: a sheet per table (each
CSV's table under its file's stem; a run's daily rows stay in daily.csv), as the report's
pages show it (`sim.report.units`: customer counts in millions, each column's unit in its
header), then the scenario's timeline and assumptions (`sim.report.context.context_sheets`).
The CSVs beside it keep whole customers for programs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

MAX_SHEET_NAME = 31  # Excel's limit


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
