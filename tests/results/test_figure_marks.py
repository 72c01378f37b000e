"""Event marks, difference bands, the CJK font and the multi-run progress lines."""

from __future__ import annotations

import copy
import datetime as dt
import io
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.cli.progress import RunProgress, clock, estimate_seconds
from sim.report import difference_figure as diff_fig
from sim.results import fonts
from sim.results.markers import compared_marks, draw_marks, event_marks, single
from sim.results.words import counted
from sim.scenario.load import load_scenario

from ..conftest import ROOT, build


def test_marks_list_the_timeline_and_launches_inside_the_horizon(tiny_tree):
    tiny_tree["apps"]["chat"]["name"] = "融e联"
    tiny_tree["apps"]["chat"]["launch"] = "2020-03-01"
    marks = event_marks(build(tiny_tree))
    assert [(m.date, m.label) for m in marks] == [
        (dt.date(2020, 2, 1), "monthly releases"),
        (dt.date(2020, 3, 1), "融e联 launch"),
    ]


def test_a_what_ifs_own_mark_is_named_and_shared_ones_are_not(tiny_tree):
    other = copy.deepcopy(tiny_tree)
    other["timeline"]["monthly_releases"]["start"] = "2020-05-01"
    marks = compared_marks({"base": build(tiny_tree), "later": build(other)})
    assert [(m.date.isoformat(), who) for m, who in marks] == [
        ("2020-02-01", "base"),
        ("2020-03-01", None),  # chat's launch: in both
        ("2020-05-01", "later"),
    ]
    same = compared_marks({"base": build(tiny_tree), "copy": build(tiny_tree)})
    assert [who for _, who in same] == [None, None]


def test_marks_on_one_day_share_a_line_and_app_filters_apply(tiny_tree):
    tiny_tree["timeline"]["push"] = {
        "type": "campaign",
        "app": "bank",
        "start": "2020-02-01",
        "end": "2020-03-01",
        "acquisition_multiplier": 1.5,
    }
    fig, ax = plt.subplots()
    marks = single(build(tiny_tree))
    assert draw_marks(ax, marks) == 2  # three events on two days
    assert "monthly releases; push" in [t.get_text() for t in ax.texts]
    assert draw_marks(ax, marks, apps={"chat"}) == 1  # only chat's launch
    assert [t.get_text() for t in ax.texts][-1].endswith("launch")
    plt.close(fig)


def test_difference_bands_are_paired_seed_by_seed():
    days = pd.date_range("2020-01-01", periods=3)
    base = pd.DataFrame({0: [1.0, 2, 3], 1: [10.0, 20, 30]}, index=days)
    curves = {"base": base, "more": base + pd.Series({0: 5.0, 1: 7.0})}
    panels = diff_fig.seed_panels(lambda name, m, a: curves[name], "base", "more")
    band = panels[("mau", "suite")]
    assert np.allclose(band["q50"], 6) and np.allclose(band["q05"], 5.1)
    assert "over 2 paired seeds (one world" in diff_fig.over_seeds(2)
    assert "across 4 worlds (parameter uncertainty" in diff_fig.across_worlds(4, 3)


def test_world_bands_average_seeds_within_each_world():
    days = pd.date_range("2020-01-01", periods=2)
    # 2 scenarios x 2 worlds x 2 seeds; the what-if adds 1 in world 0 and 3 in world 1
    adds = [0, 0, 0, 0, 1, 1, 2, 4]
    panels = diff_fig.world_panels(lambda i, m, a: pd.Series(float(adds[i]), index=days), 2, 2, 2)
    band = panels[0][("registered", "suite")]
    assert np.allclose(band["q50"], 2) and np.allclose(band["q95"], 2.9)


def test_the_cjk_font_comes_with_the_install_and_pages_embed_what_they_use():
    assert fonts.font_path() is not None and fonts.font_path().stat().st_size > 1e6
    assert fonts.use_in_matplotlib() in plt.rcParams["font.family"]
    css = fonts.font_face_css("融e行 app")
    assert fonts.FAMILY in css and "base64," in css
    assert len(css) < 20_000  # a subset: three glyphs, not the 5 MB font
    assert fonts.font_face_css("plain ascii") == ""


def test_cjk_names_draw_without_missing_glyph_warnings(recwarn):
    fonts.use_in_matplotlib()
    fig, ax = plt.subplots()
    ax.set_title("融e行 融e联 融e购 工银e生活")
    fig.canvas.draw()
    plt.close(fig)
    assert not [w for w in recwarn if "missing from font" in str(w.message)]


def test_progress_estimates_then_counts_runs_in_plain_lines(tiny_tree):
    out = io.StringIO()
    estimate = estimate_seconds(build(tiny_tree), 10, 4, 2)
    progress = RunProgress(4, "2 scenarios x 2 seeds", estimate, stream=out)
    for _ in range(4):
        progress(None)
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("4 runs (2 scenarios x 2 seeds), about ")
    assert [line.split(",")[0].strip() for line in lines[1:]] == [
        "1/4 runs",
        "2/4 runs",
        "3/4 runs",
        "4/4 runs",
    ]
    assert "elapsed" in lines[-1] and "left" in lines[-1]
    assert estimate_seconds(build(tiny_tree), 10, 4, 1) > estimate


def test_progress_says_one_run_and_one_seed_in_the_singular():
    out = io.StringIO()
    progress = RunProgress(1, counted(1, "seed"), 12.0, stream=out)
    progress(None)
    progress.close()
    assert out.getvalue().splitlines()[0] == "1 run (1 seed), about 12 s"
    assert out.getvalue().splitlines()[1].startswith("  1/1 run, ")
    assert counted(2, "world") == "2 worlds" and counted(1200, "run") == "1,200 runs"


def test_clock_reads_in_seconds_minutes_and_hours():
    assert [clock(s) for s in (42, 185, 3720)] == ["42 s", "3 min 05 s", "1 h 02 min"]


def overlapping_labels(fig: Any) -> list[tuple[str, str]]:
    """Pairs of mark labels (of any axes of `fig`) whose drawn boxes overlap."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    pairs = []
    for ax in fig.axes:
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts]
        for i, (a, box_a) in enumerate(boxes):
            pairs += [(a, b) for b, box_b in boxes[i + 1 :] if box_a.overlaps(box_b)]
    return pairs


def test_the_baselines_mark_labels_do_not_overlap():
    """Events a few days apart (2014-01, 2017-09 in the baseline) used to pile up."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    fig, axes = plt.subplots(3, 1, figsize=(9, 9.6))  # as the run report's growth figure
    start, end = scenario.horizon.start, scenario.horizon.end
    for ax in axes:
        ax.plot([start, end], [0, 1])
        draw_marks(ax, single(scenario))
    fig.tight_layout()
    labels = [t.get_text() for t in axes[0].texts]
    assert len(labels) >= 10
    assert overlapping_labels(fig) == []
    fig.set_size_inches(6, 9.6)  # laid out again at each draw: narrower still holds
    assert overlapping_labels(fig) == []
    plt.close(fig)
