"""The report folder of one run: tables, figures, summary, HTML page and manifest."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

import pandas as pd

from sim.report.bands import bands_sheet, write_bands
from sim.report.context import context_html, context_markdown, context_sheets, paragraph
from sim.report.folders import (
    atomic_folder,
    file_list,
    for_csv,
    html_image,
    html_page,
    html_table,
    markdown_table,
    write_json,
)
from sim.report.interactive import run_page
from sim.report.labels import literal_text
from sim.report.summary_text import run_sentences
from sim.report.units import COUNT_UNIT, in_millions
from sim.report.workbook import write_workbook
from sim.results.figures import write_figures
from sim.results.result import Result

FILES = {
    "daily.parquet / daily.csv": "one row per (date, app): stocks, flows, DAU, WAU, MAU; "
    "is_aggregate marks the suite and suite_sum rows",
    "monthly.parquet / monthly.csv": "calendar-month MAU, month-end registered, mean DAU",
    "overlap.csv": "customers active (monthly) or registered (year ends) in two apps",
    "cohorts.csv": "retention of each registration-month cohort",
    "tables.xlsx": "the MAU and last-day tables of this summary, and the monthly, overlap and "
    "cohort tables (and bands.csv's, with --worlds), a sheet each, in millions of customers "
    "(units in the headers), with the timeline and the assumptions (daily rows stay in "
    "daily.csv and daily.parquet)",
    "*.csv": "customer counts in whole customers, ratios (dau_mau, retention) to 4 decimals; "
    "the parquet files keep every digit",
    "figures/*.png": "growth curves per app; suite MAU summed vs de-duplicated; dashed lines "
    "mark the timeline's events",
    "interactive.html": "the curves as interactive charts (hover for values, a menu of "
    "metrics, legend entries to show or hide apps); one file, works offline",
    "manifest.json": "scenario hash, seed, scale, version, wall time, output hash",
}


def write_run_report(
    result: Result, out_dir: Path, worlds: tuple[pd.DataFrame, int] | None = None
) -> Path:
    """Write the whole report of `result` into `out_dir` (atomically); return it. With
    `worlds` (the bands across worlds and how many), also bands.csv and its figure."""
    with atomic_folder(out_dir) as tmp:
        _write_tables(result, tmp, worlds)
        with literal_text():  # app names ($ included) as written, not as TeX
            figures = write_figures(result, tmp / "figures")
            if worlds is not None:
                figures.append(write_bands(worlds[0], result, worlds[1], tmp))
        (tmp / "interactive.html").write_text(run_page(result))
        (tmp / "summary.md").write_text(summary_markdown(result, worlds))
        (tmp / "report.html").write_text(report_html(result, figures, worlds))
        write_json(tmp / "manifest.json", {**result.manifest(), "files": file_list(tmp)})
    return out_dir


def _write_tables(
    result: Result, folder: Path, worlds: tuple[pd.DataFrame, int] | None = None
) -> None:
    result.daily.to_parquet(folder / "daily.parquet", index=False)
    for_csv(result.daily).to_csv(folder / "daily.csv", index=False)
    result.monthly.to_parquet(folder / "monthly.parquet", index=False)
    for_csv(result.monthly).to_csv(folder / "monthly.csv", index=False)
    for_csv(result.overlap).to_csv(folder / "overlap.csv", index=False)
    for_csv(result.cohorts).to_csv(folder / "cohorts.csv", index=False)
    write_workbook(folder / "tables.xlsx", workbook_sheets(result, worlds))


def workbook_sheets(
    result: Result, worlds: tuple[pd.DataFrame, int] | None = None
) -> dict[str, pd.DataFrame]:
    """The sheets of tables.xlsx: the summary's two tables as it shows them, then the monthly,
    overlap and cohort tables (and with `worlds` the bands across them), customer counts in
    millions, units in the headers."""
    across = {"bands": bands_sheet(worlds[0])} if worlds is not None else {}
    return {
        "MAU at key dates": mau_table(result),
        "last day": final_table(result),
        "monthly": in_millions(result.monthly, ["mau_calendar", "registered_end", "dau_mean"]),
        "overlap": in_millions(result.overlap, ["customers"]),
        "cohorts": in_millions(result.cohorts, ["cohort_size", "active"]),
        **across,
        **context_sheets(result.scenario),
    }


def key_dates(result: Result) -> list[pd.Timestamp]:
    """Each 1 January in the horizon, the scenario's key dates, and the last day."""
    horizon = result.scenario.horizon
    dates = {
        pd.Timestamp(dt.date(y, 1, 1)) for y in range(horizon.start.year, horizon.end.year + 1)
    }
    dates |= {pd.Timestamp(d) for d in horizon.key_dates} | {pd.Timestamp(horizon.end)}
    lo, hi = pd.Timestamp(horizon.start), pd.Timestamp(horizon.end)
    return sorted(d for d in dates if lo <= d <= hi)


def _named(result: Result, table: pd.DataFrame) -> pd.DataFrame:
    """`table` (with an `app` column) with each app's display name beside its id."""
    apps = result.scenario.apps
    out = table.reset_index(drop=True)
    out.insert(1, "name", [apps[a].name if a in apps else "" for a in out["app"]])
    return out


def mau_table(result: Result) -> pd.DataFrame:
    """A row per app (then `suite_sum` and `suite`), its name, and its MAU at each key date
    (millions; the date and unit in each header)."""
    daily = result.daily
    rows = daily[daily["date"].isin(key_dates(result))]
    table = rows.pivot(index="app", columns="date", values="mau") / 1e6
    table = table.reindex([*result.scenario.apps, "suite_sum", "suite"])
    table.columns = [f"{pd.Timestamp(d).date()} ({COUNT_UNIT})" for d in table.columns]
    return _named(result, table.rename_axis("app").reset_index())


def final_table(result: Result) -> pd.DataFrame:
    """Per app on the last day: registered, engaged, DAU, MAU (millions) and DAU/MAU."""
    last = result.daily[result.daily["date"] == result.daily["date"].max()]
    table = last[["app", "registered", "engaged", "dau", "mau", "dau_mau"]]
    return in_millions(_named(result, table), ["registered", "engaged", "dau", "mau"])


def summary_markdown(result: Result, worlds: tuple[pd.DataFrame, int] | None = None) -> str:
    sc = result.scenario
    lines = [
        f"# {sc.name}: seed {result.seed}, scale 1:{result.scale:g}",
        "",
        "## Summary",
        "",
        paragraph(run_sentences(result, worlds)),
        "",
        sc.description,
        "",
        *context_markdown(sc),
        "## MAU at key dates (trailing 30 days)",
        "",
        markdown_table(mau_table(result)),
        "",
        f"## On {sc.horizon.end}",
        "",
        markdown_table(final_table(result)),
        "",
        "`suite_sum` adds the suite apps' figures (a customer counted once per app);",
        "`suite` counts each customer once, and has no engaged count (a customer may be",
        "engaged in one suite app and dormant in another).",
        "",
        "## Files",
        "",
        *(f"- `{name}`: {what}" for name, what in FILES.items()),
        "",
    ]
    return "\n".join(lines)


def report_html(
    result: Result, figures: list[Path], worlds: tuple[pd.DataFrame, int] | None = None
) -> str:
    sc = result.scenario
    parts = [
        "<h2>Summary</h2>",
        f"<p>{html.escape(paragraph(run_sentences(result, worlds)))}</p>",
        f"<p>{html.escape(sc.description)}</p>",
        f"<p>Seed {result.seed}, scale 1:{result.scale:g}, {result.wall_seconds:.1f} s.</p>",
        *context_html(sc),
        "<h2>MAU at key dates (trailing 30 days)</h2>",
        html_table(mau_table(result)),
        f"<h2>On {sc.horizon.end}</h2>",
        html_table(final_table(result)),
        "<h2>Figures</h2>",
        *(html_image(path, path.stem.replace("_", " ")) for path in figures),
        "<h2>Manifest</h2>",
        f"<pre>{html.escape(json.dumps(result.manifest(), indent=2, default=str))}</pre>",
    ]
    return html_page(f"appsim: {sc.name}", "\n".join(parts))
