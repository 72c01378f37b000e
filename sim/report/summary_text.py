"""The plain-language summary that opens each report, written from the report's numbers.

Each function returns sentences; every interval sentence says which uncertainty it is: over
seeds of one parameter set (Monte Carlo noise) or across plausible worlds (parameter
uncertainty), as the reports' tables and figures label them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from sim.report.folders import RATIOS, number
from sim.results.result import Result
from sim.results.words import counted
from sim.scenario.schema import Scenario

OVER_SEEDS = "over seeds of one parameter set: Monte Carlo noise, not parameter uncertainty"
ACROSS_WORLDS = "across plausible worlds: parameter uncertainty"


def span(sc: Scenario) -> tuple[dt.date, dt.date]:
    """The two dates a summary compares: the first and last key date (with one key date, the
    start and it; with none, the horizon's start and end)."""
    keys = sorted(d for d in sc.horizon.key_dates if sc.horizon.start <= d <= sc.horizon.end)
    if len(keys) >= 2:
        return keys[0], keys[-1]
    if keys and keys[0] != sc.horizon.start:
        return sc.horizon.start, keys[0]
    return sc.horizon.start, sc.horizon.end


def headline_day(sc: Scenario, dates: list[dt.date]) -> dt.date:
    """The date a comparison's summary speaks of: the base's last key date, or the last
    table date when --at left it out (plain and across-worlds comparisons alike)."""
    key = span(sc)[1]
    return key if key in dates else dates[-1]


def millions(value: float) -> str:
    return f"{number(value / 1e6)} M"


def signed(value: float, unit: str = " M") -> str:
    text = number(value)
    return (text if text.startswith(("-", ">-")) else f"+{text}") + unit


def _moves(before: float, after: float) -> str:
    if after == before:
        return f"stays at {millions(after)}"
    verb = "grows" if after > before else "falls"
    ratio = f" (x{number(after / before)})" if before > 0 else ""
    return f"{verb} from {millions(before)} to {millions(after)}{ratio}"


def run_sentences(result: Result, worlds: tuple[pd.DataFrame, int] | None = None) -> list[str]:
    """What grew between the scenario's key dates, app by app, and what the figures are."""
    sc = result.scenario
    d0, d1 = span(sc)
    mau = [result.at(d, "mau", "suite") for d in (d0, d1)]
    summed = [result.at(d, "mau", "suite_sum") for d in (d0, d1)]
    registered = [result.at(d, "registered", "suite") for d in (d0, d1)]
    out = [
        f"Between {d0} and {d1}, suite MAU (customers active in any suite app in the last 30 "
        f"days, each counted once) {_moves(*mau)}; the apps' MAU added up (a customer counted "
        f"once per app) {_moves(*summed)}. The number of customers registered in any suite "
        f"app {_moves(*registered)}.",
        _leading_app(result, d0, d1),
        f"These are one run (seed {result.seed}, scale 1:{result.scale:g}), without an interval: "
        "`appsim compare` and `appsim check` give intervals over seeds, `--worlds` across "
        "plausible worlds.",
    ]
    if worlds is not None:
        out.append(_worlds_sentence(worlds[0], worlds[1], d1))
    return out


def _leading_app(result: Result, d0: dt.date, d1: dt.date) -> str:
    apps = [a for a, app in result.scenario.apps.items() if app.suite]
    after = {a: result.at(d1, "mau", a) for a in apps}
    rise = {a: after[a] - result.at(d0, "mau", a) for a in apps}
    top, grower = max(after, key=after.__getitem__), max(rise, key=rise.__getitem__)
    total = sum(after.values())
    share = f" ({after[top] / total:.0%} of the apps' sum)" if total > 0 else ""
    return (
        f"On {d1} {_named(result, top)} has the most MAU, {millions(after[top])}{share}; the "
        f"largest rise between the two dates is {_named(result, grower)}'s, "
        f"{signed(rise[grower] / 1e6)}."
    )


def _named(result: Result, app: str) -> str:
    """`融e行 mobile banking (rongexing)`, or the id alone for an app without a name."""
    name = result.scenario.apps[app].name
    return f"{name} ({app})" if name else app


def _worlds_sentence(bands: pd.DataFrame, n_worlds: int, day: dt.date) -> str:
    rows = bands[(bands["metric"] == "mau") & (bands["app"] == "suite")].copy()
    rows["date"] = pd.to_datetime(rows["date"])
    rows = rows[rows["date"] <= pd.Timestamp(day)]
    if rows.empty:
        return ""
    last = rows.sort_values("date").iloc[-1]
    return (
        f"Across {counted(n_worlds, 'world')} drawn from the posterior (one seed each), suite "
        "MAU on "
        f"{last['date'].date()} lies between {millions(last['q05'])} and {millions(last['q95'])} "
        f"(5-95%, {ACROSS_WORLDS})."
    )


def compare_sentences(
    names: list[str],
    seeds: int,
    diffs: pd.DataFrame,
    ranked: pd.DataFrame,
    outcome: tuple[str, str],
    day: dt.date,
    notes: dict[str, str],
) -> list[str]:
    """Each what-if's effect on the outcome at `day`, with its interval, and the ranking.
    `notes` gives, per scenario, what it changes (its description and overrides, short)."""
    metric, app = outcome
    rows = diffs[(diffs["metric"] == metric) & (diffs["app"] == app)]
    rows = rows[rows["date"] == day.isoformat()]
    out = []
    for name in names[1:]:
        row = rows[rows["scenario"] == name]
        if row.empty:
            continue
        what = f" ({notes[name]})" if notes.get(name) else ""
        out.append(f"{name}{what}: {_effect(row.iloc[0], names[0], metric, app, day)}")
    out.append(
        f"Intervals are 95% over {counted(seeds, 'paired seed')} (common random numbers), "
        f"{OVER_SEEDS}; "
        "for parameter uncertainty, compare across plausible worlds with --worlds."
    )
    if not ranked.empty:
        best = ranked.sort_values("mean", ascending=False).iloc[0]
        out.append(
            f"By {measure(metric, app)} on the last date, {best['scenario']} ranks first (best on "
            f"{best['share_of_seeds_best']:.0%} of seeds)."
        )
    return out


def _effect(row: Any, base: str, metric: str, app: str, day: dt.date) -> str:
    ratio = metric in RATIOS
    scale, unit = (1.0, "") if ratio else (1e6, " M")
    lo, hi = row["ci_low"] / scale, row["ci_high"] / scale
    if lo > 0 or hi < 0:
        verdict = "a rise" if lo > 0 else "a fall"
    else:
        verdict = "not told apart from no change with these seeds"
    return (
        f"{measure(metric, app)} on {day} is {number(row['mean'] / scale)}{unit} against "
        f"{number(row['base_mean'] / scale)}{unit} for {base}, "
        f"{signed(row['difference'] / scale, unit)} (95% interval {number(lo)} to "
        f"{number(hi)}{unit}): {verdict}."
    )


METRIC_WORDS = {"mau": "MAU", "dau": "DAU", "wau": "WAU", "registered": "registered customers"}


def measure(metric: str, app: str) -> str:
    """`mau`, `suite_sum` as words: "MAU summed over the suite apps"."""
    what = METRIC_WORDS.get(metric, metric)
    if app == "suite":
        return f"{what} of the suite (each customer once)"
    if app == "suite_sum":
        return f"{what} summed over the suite apps"
    return f"{what} of {app}"


def check_sentences(table: pd.DataFrame, seeds: int) -> list[str]:
    """How many targets pass, and each miss with its simulated mean and its target."""
    passed = int(table["pass"].sum())
    out = [
        f"{passed} of {counted(len(table), 'target')} pass: the mean over "
        f"{counted(seeds, 'seed')} meets the target's "
        f"relation. The 5-95% columns are {OVER_SEEDS}."
    ]
    for row in table[~table["pass"]].to_dict("records"):
        ratio = row["metric"] in RATIOS
        value = float(row["simulated_mean"]) / (1.0 if ratio else 1e6)
        out.append(
            f"Missed: {row['target']} ({measure(row['metric'], row['app'])} on {row['date']}): "
            f"mean {number(value)}{'' if ratio else ' M'}, target {row['relation']}."
        )
    return out


INDEX_WORDS = {
    "mu_star": "mu_star is the mean absolute change in the outcome when one parameter moves "
    "one step of its range (Morris's elementary effects; in the outcome's unit), and sigma "
    "how much that change varies across the design (interactions or curvature).",
    "ST": "S1 is the share of the outcome's variance due to a parameter alone (Sobol), ST "
    "the share including its interactions with the others.",
}


def sweep_sentences(indices: pd.DataFrame, info: dict[str, Any], counts: pd.Series) -> list[str]:
    """Per outcome, which parameters move it most and least; `counts` marks the rows whose
    scores count customers (shown in millions)."""
    seeds = int(info.get("seeds") or 1)
    per_point = "one run per design point" if seeds == 1 else f"{seeds} seeds per point"
    out = [
        f"{counted(int(info.get('design_runs') or 0), 'run')} of a {info.get('sampler')} design, "
        "each parameter "
        f"over the range its spec gives; {per_point}, so Monte Carlo noise adds to the indices."
    ]
    main = indices[indices["index"].isin(["mu_star", "ST"])] if not indices.empty else indices
    for outcome, rows in main.groupby("outcome", sort=True):
        ranked = rows.sort_values("value", ascending=False)
        top = ranked.iloc[0]
        scale, unit = (1e6, " M") if counts[ranked.index[0]] else (1.0, "")
        rest = ", ".join(str(p) for p in ranked["parameter"].iloc[1:3])
        then = f", then {rest}" if rest else ""
        least = f"; {ranked.iloc[-1]['parameter']} least" if len(ranked) > 3 else ""
        out.append(
            f"{outcome} is moved most by {top['parameter']} ({top['index']} "
            f"{number(top['value'] / scale)}{unit}, 95% CI +/- {number(top['ci95'] / scale)}"
            f"{unit} over the design's bootstrap){then}{least}."
        )
    out += [INDEX_WORDS[k] for k in INDEX_WORDS if not main.empty and k in set(main["index"])]
    return out
