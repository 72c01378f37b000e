"""Writing report folders atomically: built in a hidden temporary sibling, renamed when done.

A failed or interrupted command therefore leaves either the previous complete report or
nothing, never a half-written folder; what kill -9 leaves is removed by the next run
(`sim.report.leftovers`), and one run at a time writes a folder (`sim.report.locks`).
Also small helpers shared by every report.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import UsageError
from sim.report import leftovers, locks
from sim.report.out_names import choose_another, named
from sim.report.ownership import MARKER, file_list, foreign_files

if TYPE_CHECKING:  # pandas loads on first use: `appsim --help` and `validate` start fast
    import pandas as pd


@contextmanager
def atomic_folder(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces `out_dir`, on failure it vanishes.

    `out_dir` is replaced only if it is missing, empty or a folder appsim made (see `owned`).
    """
    was_locked = locks.held(out_dir)  # by the command, before it simulated
    check_writable(out_dir)
    try:
        yield from _build_and_replace(out_dir)
    finally:
        if not was_locked:
            locks.release(out_dir)


def _build_and_replace(out_dir: Path) -> Iterator[Path]:
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.tmp-"))
        leftovers.mark_in_progress(tmp)
    except OSError as exc:
        raise UsageError(f"cannot write to {out_dir}: {exc.strerror}") from None
    try:
        yield tmp
        # the mark before the pid file goes: killed at any instant, the folder holds one of
        # them, by which a later run knows it as appsim's (`sim.report.leftovers`)
        write_json(tmp / MARKER, {"made_by": "appsim", "files": file_list(tmp)})
        leftovers.unmark(tmp)
        leftovers.normal_mode(tmp)
        _replace(tmp, out_dir)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
        raise


def _replace(tmp: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        _refuse_unowned(out_dir)  # again: another process may have filled it meanwhile
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _refuse_unowned(out: Path) -> None:
    if not out.is_dir() or not any(out.iterdir()):
        return
    extra = foreign_files(out)
    if extra == []:
        return
    if extra is None:
        why = "the folder exists and appsim did not make it"
    else:
        more = f" and {len(extra) - 3} more" if len(extra) > 3 else ""
        held = ", ".join(extra[:3]) + more
        why = f"the folder is an appsim report, but it holds {held}, which appsim did not write"
    raise UsageError(
        f"{named(out)}: {why}; appsim replaces only its own report folders: "
        f"{choose_another(out)}, or empty or remove this one yourself"
    )


def check_writable(out: Path, replace_own: bool = True) -> None:
    """Fail before simulating if the report could not be written, or would replace a folder
    that is not appsim's. With `replace_own=False` (the commands without --force) an
    existing report folder appsim made is refused too. Then take the folder's lock (see
    `sim.report.locks`) and remove dead runs' leftovers beside it."""
    resolved = out.resolve()
    if resolved.parent == resolved or resolved in _protected():
        raise UsageError(
            f"{named(out)}: refusing {resolved}: a report needs a folder of its own "
            f"(e.g. reports/my-run); {choose_another(out)}"
        )
    parent = resolved.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{named(out)}: {parent} is a file, not a folder; {choose_another(out)}")
    if not os.access(parent, os.W_OK):
        raise UsageError(
            f"{named(out)}: cannot write in {parent} (permission denied); {choose_another(out)}"
        )
    if out.exists() and not out.is_dir():
        raise UsageError(f"{named(out)}: exists and is not a folder; {choose_another(out)}")
    if out.exists():
        _refuse_unowned(out)
        if not replace_own and any(out.iterdir()):
            raise UsageError(
                f"{named(out)}: the folder exists (an earlier appsim report); pass --force "
                f"to replace it, or {choose_another(out)}"
            )
    locks.hold(out)  # from here until the report is written: no other run writes `out`
    leftovers.remove_stale(resolved.parent)


def add_force_argument(p: Any) -> None:
    """The --force option every command that writes a report folder takes."""
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the output folder if it exists and appsim made it (a folder appsim "
        "did not make is never replaced)",
    )


def _protected() -> set[Path]:
    """Folders never to write a report into: the working folder, home, and their parents."""
    here = Path.cwd().resolve()
    return {here, Path.home().resolve(), *here.parents}


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table of `df` (index dropped)."""
    header = "| " + " | ".join(str(c) for c in df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    rows = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


NOT_APPLICABLE = "–"  # a figure a row does not have (the de-duplicated suite's engaged count)


def _cell(value: object) -> str:
    if isinstance(value, float) and value != value:  # NaN
        return NOT_APPLICABLE
    if isinstance(value, float):
        return _float_cell(value)
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def html_page(title: str, body: str) -> str:
    """A self-contained HTML page (inline style, no external resources): the CJK glyphs
    its text uses are embedded (sim.results.fonts), so no font need be installed."""
    from sim.results.fonts import FAMILY, font_face_css

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
{font_face_css(title + _visible_text(body))}
body {{ font-family: '{FAMILY}', sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }}
table.table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
table.table td, table.table th {{
  border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
img.figure {{ max-width: 100%; display: block; margin: 1em 0; }}
pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
{body}
</body></html>
"""


def _visible_text(body: str) -> str:
    """The page's text without embedded images (their base64 holds no characters to draw)."""
    import re

    return html.unescape(re.sub(r"data:[^\"']+", "", body))


def html_table(df: pd.DataFrame) -> str:
    return df.to_html(
        index=False,
        classes="table",
        border=0,
        float_format=_float_cell,
        escape=True,
        na_rep=NOT_APPLICABLE,
    )


def number(value: float) -> str:
    """A number in report text as in report tables (the one formatter: `_float_cell`)."""
    return _float_cell(float(value))


def _float_cell(value: float) -> str:
    """A number as every report table (markdown and HTML) shows it: 3 significant figures,
    thousands separated (110.7 -> 111, 3.96 -> 3.96, 0.0419 -> 0.0419, 1234567 -> 1,230,000);
    `<0.001` for a small non-zero value, so that `0` means exactly zero."""
    if value != value:  # NaN
        return NOT_APPLICABLE
    if value == 0:
        return "0"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if abs(value) < 0.001:
        return "<0.001" if value > 0 else ">-0.001"
    rounded = float(f"{value:.3g}")
    decimals = max(0, 2 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:,.{decimals}f}"


# columns (and metrics) that are ratios, not customer counts
RATIOS = frozenset(
    {"dau_mau", "retention", "width_ratio", "share_of_seeds_best", "share_of_seeds_ahead_of_next"}
)


def for_csv(
    df: pd.DataFrame, counts: Iterable[str] | None = None, ratios: Iterable[str] = RATIOS
) -> pd.DataFrame:
    """`df` as reports write it to CSV: customer counts in whole customers, ratios to 4
    decimals. `counts` defaults to every float column that is not a ratio; columns in neither
    (a sweep's parameter values, say) are left as they are."""
    from pandas.api.types import is_float_dtype

    out = df.copy()
    ratio_cols = [c for c in out.columns if c in set(ratios)]
    if counts is None:
        counts = [c for c in out.columns if c not in ratio_cols and is_float_dtype(out[c])]
    for col in counts:
        if col in out.columns:
            out[col] = whole(out[col])
    for col in ratio_cols:
        out[col] = out[col].astype(float).round(4)
    return out


def whole(values: pd.Series) -> pd.Series:
    """Customer counts rounded to whole customers (a nullable integer where there are gaps)."""
    rounded = values.astype(float).round()
    finite = rounded.replace([math.inf, -math.inf], math.nan)
    if finite.isna().any():
        return finite.astype("Int64")
    return rounded.astype("int64")


def by_metric(df: pd.DataFrame, columns: list[str], metric: str = "metric") -> pd.DataFrame:
    """For tables with one metric per row (a fit table): each row's values in whole
    customers, or to 4 decimals where the row's metric is a ratio."""
    return by_rows(df, columns, df[metric].isin(RATIOS))


def by_rows(df: pd.DataFrame, columns: list[str], ratio_rows: pd.Series) -> pd.DataFrame:
    """`columns` in whole customers, but to 4 decimals on the `ratio_rows`."""
    out = df.copy()
    for col in columns:
        values = [
            round(float(v), 4) if is_ratio or not math.isfinite(float(v)) else round(float(v))
            for v, is_ratio in zip(out[col], ratio_rows, strict=True)
        ]
        out[col] = type(out[col])(values, index=out.index, dtype=object)
    return out


def html_image(path: Path, alt: str) -> str:
    """An <img> with the PNG embedded as a data URI."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img class="figure" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
