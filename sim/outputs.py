"""Writing report folders atomically: built in a hidden temporary sibling, renamed when done.

A failed or interrupted command therefore leaves either the previous complete report or
nothing, never a half-written folder. Also small helpers shared by every report.
"""

from __future__ import annotations

import base64
import html
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import UsageError


@contextmanager
def atomic_folder(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces `out_dir`, on failure it vanishes."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.tmp-"))
    except OSError as exc:
        raise UsageError(f"cannot write to {out_dir}: {exc.strerror}") from None
    try:
        yield tmp
        _replace(tmp, out_dir)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
        raise


def _replace(tmp: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def check_writable(out: Path) -> None:
    """Fail before simulating if the report could not be written."""
    parent = out.resolve().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"--out {out}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"--out {out}: cannot write in {parent} (permission denied)")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")


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
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def file_list(folder: Path) -> list[str]:
    """Every file under `folder`, relative and sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def html_page(title: str, body: str) -> str:
    """A self-contained HTML page (inline style, no external resources)."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }}
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


def html_table(df: pd.DataFrame) -> str:
    return df.to_html(
        index=False,
        classes="table",
        border=0,
        float_format=_float_cell,
        escape=True,
        na_rep=NOT_APPLICABLE,
    )


def _float_cell(value: float) -> str:
    """A float as both tables show it: thousands separated above 10, 3 digits below."""
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"


def html_image(path: Path, alt: str) -> str:
    """An <img> with the PNG embedded as a data URI."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img class="figure" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
