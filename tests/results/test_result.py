"""`Result`: a short repr, a notebook table, and clear errors from `at` and `series`."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest

import sim
from sim.errors import ResultQueryError
from sim.results.result import Result

from ..conftest import TINY


@pytest.fixture(scope="module")
def result() -> Result:
    """The tiny scenario at a coarse scale (fast), run once for the module."""
    return sim.run(sim.load_scenario(TINY), seed=0, scale=100)


def test_repr_is_short_and_says_what_was_run(result: Result):
    text = repr(result)
    assert len(text) < 400 and "\n" not in text
    for part in ("'tiny'", "seed=0", "scale=1:100", "agents=", "2020-01-01..2020-12-31", "bank"):
        assert part in text, part
    assert "registered" not in text  # no table dumped


def test_repr_html_is_a_small_table(result: Result):
    page = result._repr_html_()
    assert page.startswith("<table") and page.endswith("</table>")
    assert "tiny" in page and "chat" in page and len(page) < 2000


def test_at_accepts_iso_text_dates_and_timestamps(result: Result):
    value = result.at("2020-06-30", "mau", "bank")
    assert value > 0
    assert result.at(dt.date(2020, 6, 30), "mau", "bank") == value
    assert result.at(pd.Timestamp("2020-06-30"), "mau", "bank") == value
    assert result.at(dt.datetime(2020, 6, 30, 12), "mau", "bank") == value


@pytest.mark.parametrize("text", ["01/02/2019", "30.06.2020", "2020/06/30", "20200630", "June"])
def test_at_refuses_dates_that_are_not_iso(result: Result, text: str):
    with pytest.raises(ValueError, match="use YYYY-MM-DD"):
        result.at(text, "mau", "bank")


def test_at_names_the_run_for_a_date_outside_it(result: Result):
    with pytest.raises(ResultQueryError, match=r"2020-01-01\.\.2020-12-31") as info:
        result.at("2019-05-31", "mau")
    assert "outside the run" in str(info.value)


def test_a_wrong_metric_or_app_names_the_valid_ones(result: Result):
    with pytest.raises(KeyError) as info:  # a KeyError as before, and a ValueError
        result.series("maus", "bank")
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "'maus'" in message and "mau" in message and "dau_mau" in message
    with pytest.raises(ResultQueryError) as info:
        result.at("2020-06-30", "mau", "banking")
    message = str(info.value)
    assert "'banking'" in message
    for app in ("bank", "chat", "suite_sum", "suite"):
        assert app in message


def test_series_still_gives_a_date_indexed_series(result: Result):
    series = result.series("mau", "suite_sum")
    assert len(series) == 366 and series.index[0] == pd.Timestamp("2020-01-01")


def test_aggregate_rows_are_flagged_so_real_apps_sum_to_suite_sum(result: Result):
    for table in (result.daily, result.monthly):
        assert table["is_aggregate"].dtype == bool
        flagged = set(table.loc[table["is_aggregate"], "app"])
        assert flagged == {"suite", "suite_sum"}
        assert set(table.loc[~table["is_aggregate"], "app"]) == {"bank", "chat"}
    daily = result.daily
    apps = daily[~daily.is_aggregate].groupby("date")["mau"].sum()
    suite_sum = daily[daily["app"] == "suite_sum"].set_index("date")["mau"]
    pd.testing.assert_series_equal(apps, suite_sum, check_names=False)
    assert "is_aggregate" not in result.metrics()


def test_the_flag_is_not_hashed_so_hashes_stay_as_before(result: Result):
    digest = hashlib.sha256()
    for table in (result.daily, result.monthly, result.overlap, result.cohorts):
        before = table.drop(columns=["is_aggregate"], errors="ignore")  # the tables as they were
        digest.update(np.asarray(pd.util.hash_pandas_object(before, index=False)).tobytes())
    assert result.output_hash() == digest.hexdigest()[:16]


def test_flagging_leaves_the_callers_frame_alone(result: Result):
    daily = result.daily.drop(columns=["is_aggregate"])
    again = Result(**{**result.__dict__, "daily": daily})
    assert "is_aggregate" not in daily.columns and "is_aggregate" in again.daily.columns
    assert again.output_hash() == result.output_hash()


def test_an_app_asked_for_by_its_display_name_is_told_its_id(tiny_tree):
    from ..conftest import build

    tiny_tree["apps"]["bank"]["name"] = "融e行"
    named = sim.run(build(tiny_tree), seed=0, scale=100)
    with pytest.raises(ResultQueryError, match=r"'融e行' is the name of 'bank': use 'bank'"):
        named.at("2020-06-30", "mau", "融e行")


def test_a_misspelt_or_upper_case_metric_gets_a_suggestion(result: Result):
    with pytest.raises(ResultQueryError, match=r"unknown metric 'MAU'; did you mean 'mau'\?"):
        result.at("2020-06-30", "MAU", "bank")
    with pytest.raises(ResultQueryError, match=r"did you mean 'chat'\?"):
        result.series("mau", "chta")


def test_at_takes_a_numpy_datetime64_from_a_tables_own_dates(result: Result):
    day = result.daily["date"].to_numpy()[10]
    assert result.at(day, "mau", "bank") == result.at(pd.Timestamp(day), "mau", "bank")
