"""The comparison's overlay figures: readable titles, and the band's kind said once."""

from __future__ import annotations

import copy
import itertools

import matplotlib.pyplot as plt

from sim.report.compare_figures import band_figure

from ..experiments.test_compare import comparison


def test_app_panel_titles_fit_side_by_side_and_the_band_is_named_once(tiny_tree):
    for app in ("bank", "chat"):  # names as long as the baseline's
        tiny_tree["apps"][app]["name"] = f"融e{app} mobile banking and more"
    other = copy.deepcopy(tiny_tree)
    other["apps"]["chat"]["adoption"]["p_per_year"] = 0.4
    cmp = comparison({"base": tiny_tree, "faster": other}, range(2))
    panels = [("mau", a) for a in ("bank", "chat", "bank", "chat")]  # two columns
    fig = band_figure(cmp, panels)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    titles = [ax.title.get_window_extent(renderer) for ax in fig.axes if ax.get_visible()]
    width = fig.bbox.width
    assert all(box.x0 >= 0 and box.x1 <= width for box in titles)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(titles, 2))
    assert "over 2 seeds (one world: Monte Carlo noise)" in fig.get_suptitle()
    plt.close(fig)
