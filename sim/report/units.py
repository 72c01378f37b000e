"""How a report's tables show numbers to people: customer counts in millions, and every
number column's unit in its header (`mau (M customers)`, `dau_mau (ratio)`).

summary.md, report.html and tables.xlsx show the same frames (the first two through the
one number formatter, `sim.report.folders.number`); the CSVs beside them keep whole
customers under the plain column names, for programs.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from sim.report.folders import RATIOS

COUNT_UNIT = "M customers"
RATIO_UNIT = "ratio"


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
    unit = f"{COUNT_UNIT}; {RATIO_UNIT} for ratio metrics" if ratio_rows.any() else COUNT_UNIT
    names = {}
    for col in out.columns:
        if col in counts:
            values = out[col].astype(float)
            out[col] = values.where(ratio_rows, values / 1e6)
            names[col] = f"{col} ({unit})"
        elif col in ratios:
            names[col] = f"{col} ({RATIO_UNIT})"
    return out.rename(columns=names)
