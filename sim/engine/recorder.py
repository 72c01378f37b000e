"""What a run measures, kept incrementally: stocks, flows, activity windows, overlap, cohorts.

Trailing-window activity (WAU, MAU) comes from a histogram of each agent's last active day per
app: a window is a sum of a few counters, and a day's update touches only that day's active
agents. Calendar-month actives count agents whose first activity of the month is today. The
suite de-duplicated figures use one more "app" row fed by every suite app's active agents.
Counts are in agents here; `frames()` turns them into customers (agents x scale).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.activity import DayCounts
from sim.engine.app_state import AppState
from sim.engine.column_scans import count_state_masks
from sim.engine.kernels.records import ActivityBooks
from sim.engine.scatter import count_up
from sim.model.calendar import Calendar
from sim.model.encodings import ENGAGED, LAPSED, NO_DAY, PAST

NOTHING_U16, NOTHING_I16, NOTHING_I64 = (np.empty(0, t) for t in (np.uint16, np.int16, np.int64))
STOCKS = ("registered", "engaged", "lapsed")
FLOWS = (
    "new_registered",
    "new_lapsed",
    "new_reactivated",
    "new_migrated_in",
    "new_migrated_out",
    "new_left",
)
MAX_OVERLAP_APPS = 12


class Recorder:
    """Per-day and per-month counters for every app and for the de-duplicated suite."""

    def __init__(self, cal: Calendar, apps: list[AppState], suite_last: np.ndarray):
        """`suite_last`: each customer's last active day in any suite app, kept by the
        suite's book (`sim.engine.suite_book`); the recorder reads it for the suite's windows."""
        self.cal, self.apps = cal, apps
        n_agents = len(suite_last)
        n_apps, days, months = len(apps), cal.n_days, cal.n_months
        self.daily = {k: np.zeros((days, n_apps), np.int64) for k in (*STOCKS, *FLOWS, "dau")}
        self.windows = {k: np.zeros((days, n_apps + 1), np.int64) for k in ("wau", "mau")}
        self.suite = {k: np.zeros(days, np.int64) for k in ("registered", "dau")}
        self.hist = np.zeros((n_apps + 1, days + PAST), np.int64)
        self.month_active = np.zeros((months, n_apps + 1), np.int64)
        self.cohort_active = np.zeros((n_apps, months, months + 1), np.int64)
        self.cohort_size = np.zeros((n_apps, months + 1), np.int64)
        self.overlap = np.zeros((months, n_apps, n_apps), np.int64)
        self.registered_overlap: dict[int, np.ndarray] = {}
        self.suite_last = suite_last
        self.suite_apps_of = np.zeros(n_agents, np.uint8)
        self.suite_registered = 0
        self.month_mask = np.zeros(n_agents, np.uint16) if n_apps <= MAX_OVERLAP_APPS else None
        # each app's day's active ids, written in place: kept until the day's referrals, so
        # one array per app, reused (a fresh copy per app and day cost 1.8 s at 1:10)
        self.actives = [np.empty(0, np.int32) for _ in apps]

    def tables(self) -> list[object]:
        """The per-day and per-month counters: their size does not depend on the scale."""
        per_day = [self.daily, self.windows, self.suite, self.hist]
        per_month = [self.month_active, self.cohort_active, self.cohort_size, self.overlap]
        return [*per_day, *per_month, self.registered_overlap]

    # -- flows -------------------------------------------------------------------------
    def count(self, flow: str, app: AppState, day: int, n: int) -> None:
        self.daily[flow][day, app.index] += n

    def registered(
        self, app: AppState, ids: np.ndarray, day: int, month: int, flow: bool = True
    ) -> None:
        """Registrations (a flow, or an installed base when `flow` is false): cohort sizes
        and the suite's distinct registered count."""
        if flow:
            self.count("new_registered", app, day, len(ids))
        self.cohort_size[app.index, month + 1] += len(ids)
        if app.suite:
            self.suite_registered += count_up(self.suite_apps_of, ids)

    def deregistered(self, app: AppState, ids: np.ndarray) -> None:
        """Users leaving an app for good (it was delisted)."""
        if app.suite:
            after = self.suite_apps_of[ids] - 1
            self.suite_registered -= int(np.count_nonzero(after == 0))
            self.suite_apps_of[ids] = after

    def forget_activity(self, app: AppState, listed_last: list[np.ndarray]) -> None:
        """A delisted app has no active users from its delisting day on: its trailing
        windows restart at zero, and the suite's count only customers active in the suite
        apps still listed, whose last-active days per customer are `listed_last` (the
        suite's last days are rebuilt from them, once per delisting)."""
        self.hist[app.index] = 0
        if not app.suite:
            return
        last = np.full(len(self.suite_last), NO_DAY, np.int16)
        for days in listed_last:
            np.maximum(last, days, out=last)
        self.suite_last[:] = last
        self.hist[-1] = np.bincount(last + PAST, minlength=self.hist.shape[1])

    # -- activity ----------------------------------------------------------------------
    def count_activity(self, app: AppState, day: int, counts: DayCounts) -> None:
        """Today's activity step of the app counted: its DAU, first actives of the month,
        and the suite's share of both (the step itself moved the windows' histograms)."""
        month = int(self.cal.month_of_day[day])
        self.daily["dau"][day, app.index] += counts.active
        self.month_active[month, app.index] += counts.first
        if app.suite:
            self.suite["dau"][day] += counts.suite_fresh
            self.month_active[month, -1] += counts.suite_first

    def books(self, app: AppState, day: int, n_members: int) -> ActivityBooks:
        """The counters today's activity step of the app moves as it draws."""
        return self._books(app, int(self.cal.month_of_day[day]), n_members)

    def _books(self, app: AppState, month: int, n_members: int) -> ActivityBooks:
        suite = app.suite
        if len(self.actives[app.index]) < n_members:
            self.actives[app.index] = np.empty(2 * n_members, np.int32)
        return ActivityBooks(
            hist=self.hist[app.index],
            cohort=self.cohort_active[app.index, month],
            month_mask=self.month_mask if self.month_mask is not None else NOTHING_U16,
            overlap=self.overlap[month],
            app=app.index,
            suite_last=self.suite_last if suite else NOTHING_I16,
            suite_hist=self.hist[-1] if suite else NOTHING_I64,
            out=self.actives[app.index],
        )

    def seed_history(self, app: AppState, ids: np.ndarray, days_ago: np.ndarray) -> None:
        """Pre-horizon last-active days of an installed base (days_ago >= 1, < PAST)."""
        last = (-days_ago).astype(np.int16)
        self._move(app.index, app.last_active, ids, last)
        app.engaged.put("last", ids, last)
        if app.suite:
            newer = last > self.suite_last[ids]
            self._move(len(self.apps), self.suite_last, ids[newer], last[newer])

    def _move(self, row: int, last: np.ndarray, ids: np.ndarray, new: np.ndarray) -> None:
        size = self.hist.shape[1]
        self.hist[row] -= np.bincount(last[ids] + PAST, minlength=size)
        self.hist[row] += np.bincount(new + PAST, minlength=size)
        last[ids] = new

    # -- closing a day or a month ------------------------------------------------------
    def close_day(self, day: int) -> None:
        for app in self.apps:
            engaged, lapsed = app.n_engaged(), app.n_lapsed()
            self.daily["registered"][day, app.index] = engaged + lapsed
            self.daily["engaged"][day, app.index] = engaged
            self.daily["lapsed"][day, app.index] = lapsed
        self.suite["registered"][day] = self.suite_registered
        end = day + PAST + 1
        self.windows["wau"][day] = self.hist[:, end - 7 : end].sum(axis=1)
        self.windows["mau"][day] = self.hist[:, end - 30 : end].sum(axis=1)
        if self.cal.is_month_end(day):
            self._close_month(day)

    def _close_month(self, day: int) -> None:
        if self.month_mask is not None:
            self.month_mask[:] = 0  # the month's overlap was counted as it went
        if self.cal.dates[day].month == 12 or day == self.cal.n_days - 1:
            self.registered_overlap[day] = self._registered_overlap()

    def _registered_overlap(self) -> np.ndarray:
        states = [app.state for app in self.apps[:MAX_OVERLAP_APPS]]
        # registered = ENGAGED or LAPSED, which are adjacent states
        return _overlap(count_state_masks(states, ENGAGED, LAPSED), len(states))


def _overlap(combos: np.ndarray, n_apps: int) -> np.ndarray:
    """Agents in both app a and app b, from how many agents have each combination of apps
    (bit a for app a): an n_apps x n_apps matrix."""
    bits = (np.arange(1 << n_apps)[:, None] >> np.arange(n_apps)[None, :]) & 1
    return (bits.T * combos) @ bits


def frames(rec: Recorder, app_ids: list[str], scale: float) -> dict[str, pd.DataFrame]:
    """The run's tables, in customers: daily, monthly, overlap, cohorts."""
    return {
        "daily": _daily_frame(rec, app_ids, scale),
        "monthly": _monthly_frame(rec, app_ids, scale),
        "overlap": _overlap_frame(rec, app_ids, scale),
        "cohorts": _cohort_frame(rec, app_ids, scale),
    }


def _daily_frame(rec: Recorder, app_ids: list[str], scale: float) -> pd.DataFrame:
    """A row per day for each app, then for the suite de-duplicated (each customer counted
    once, whatever apps they use: registered and activity only) and for the suite as a sum
    over its apps (a 'cumulative MAU' as banks publish it). Built column by column: a frame per
    app joined by a concat took 12-14 ms a run with the other tables: a tenth of a
    small world's run."""
    n_apps, n_days = len(app_ids), rec.cal.n_days
    names = [*app_ids, "suite", "suite_sum"]
    suite_idx = [app.index for app in rec.apps if app.suite]
    suite = {"registered": rec.suite["registered"], "dau": rec.suite["dau"]}
    suite |= {k: rec.windows[k][:, n_apps] for k in ("wau", "mau")}
    columns: dict[str, np.ndarray] = {
        "date": np.tile(rec.cal.dates.to_numpy(), len(names)),
        "app": np.repeat(np.array(names, dtype=object), n_days),
    }
    for k in (*STOCKS, *FLOWS, "dau", "wau", "mau"):
        per_app = rec.daily[k] if k in rec.daily else rec.windows[k][:, :n_apps]
        alone = suite[k].astype(float) if k in suite else np.full(n_days, np.nan)
        summed = per_app[:, suite_idx].sum(axis=1)
        stacked = np.concatenate([per_app.T.ravel().astype(float), alone, summed.astype(float)])
        columns[k] = stacked * scale
    mau = columns["mau"]
    columns["dau_mau"] = np.where(mau > 0, columns["dau"] / np.where(mau > 0, mau, 1), 0.0)
    return pd.DataFrame(columns)


def _monthly_frame(rec: Recorder, app_ids: list[str], scale: float) -> pd.DataFrame:
    """A row per calendar month for each app, the suite de-duplicated and the suite's sum."""
    months = rec.cal.month_labels.to_timestamp()
    ends = rec.cal.month_end_days
    n_apps = len(app_ids)
    suite_idx = [app.index for app in rec.apps if app.suite]
    dau = rec.daily["dau"]
    registered = rec.daily["registered"][ends]
    mau_calendar = [rec.month_active[:, i] for i in range(n_apps + 1)]
    registered_end = [registered[:, i] for i in range(n_apps)] + [rec.suite["registered"][ends]]
    dau_mean = [_monthly_mean(rec, dau[:, i]) for i in range(n_apps)]
    dau_mean.append(_monthly_mean(rec, rec.suite["dau"]))
    mau_calendar.append(rec.month_active[:, suite_idx].sum(axis=1))
    registered_end.append(registered[:, suite_idx].sum(axis=1))
    dau_mean.append(_monthly_mean(rec, dau[:, suite_idx].sum(axis=1)))
    names = [*app_ids, "suite", "suite_sum"]
    return pd.DataFrame(
        {
            "month": np.tile(months.to_numpy(), len(names)),
            "app": np.repeat(np.array(names, dtype=object), len(months)),
            "mau_calendar": np.concatenate([m * scale for m in mau_calendar]),
            "registered_end": np.concatenate([r * scale for r in registered_end]),
            "dau_mean": np.concatenate([d * scale for d in dau_mean]),
        }
    )


def _monthly_mean(rec: Recorder, series: np.ndarray) -> np.ndarray:
    sums = np.add.reduceat(series.astype(float), rec.cal.month_start_days)
    lengths = rec.cal.month_end_days - rec.cal.month_start_days + 1
    return sums / lengths


def _overlap_frame(rec: Recorder, app_ids: list[str], scale: float) -> pd.DataFrame:
    """Customers active (calendar month) or registered (year ends) in both of two apps."""
    months = rec.cal.month_labels.to_timestamp()
    n = min(len(app_ids), MAX_OVERLAP_APPS)
    parts = []
    if rec.month_mask is not None:  # every month's matrix at once
        parts.append(_pairs(rec.overlap, app_ids[:n], months.to_numpy(), "active", scale))
    for day, matrix in rec.registered_overlap.items():
        when = rec.cal.dates[[day]].to_numpy()
        parts.append(_pairs(matrix[None], app_ids[:n], when, "registered", scale))
    cols = ["date", "measure", "app_a", "app_b", "customers"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def _pairs(
    matrices: np.ndarray, ids: list[str], dates: np.ndarray, measure: str, scale: float
) -> pd.DataFrame:
    """A row per date and ordered pair of apps: matrices[d] holds date d's pairs."""
    a, b = np.meshgrid(np.arange(len(ids)), np.arange(len(ids)), indexing="ij")
    names = np.array(ids, dtype=object)
    pairs, n_dates = a.size, len(dates)
    return pd.DataFrame(
        {
            "date": np.repeat(dates, pairs),
            "measure": np.full(pairs * n_dates, measure, dtype=object),
            "app_a": np.tile(names[a.ravel()], n_dates),
            "app_b": np.tile(names[b.ravel()], n_dates),
            "customers": matrices.reshape(n_dates, -1).ravel() * scale,
        }
    )


def _cohort_frame(rec: Recorder, app_ids: list[str], scale: float) -> pd.DataFrame:
    """Share of each registration-month cohort active in each later calendar month: a row
    per app, cohort (with registrations) and month from the cohort's on."""
    months = rec.cal.month_labels.to_timestamp().to_numpy()
    n = rec.cal.n_months
    m_idx, c_idx = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    later = m_idx >= c_idx
    month_of, cohort_of = m_idx[later], c_idx[later]
    size = rec.cohort_size[: len(app_ids), 1:][:, cohort_of]  # app x (month, cohort) pairs
    active = rec.cohort_active[: len(app_ids), :, 1:][:, later]
    app, pair = np.nonzero(size > 0)
    size, active = size[app, pair], active[app, pair]
    return pd.DataFrame(
        {
            "app": np.array(app_ids, dtype=object)[app],
            "cohort": months[cohort_of[pair]],
            "month": months[month_of[pair]],
            "age_months": (month_of - cohort_of)[pair],
            "cohort_size": size * scale,
            "active": active * scale,
            "retention": active / size,
        }
    ).astype({"app": str})  # the app names' dtype even with no rows (no registrations)
