"""Every figure that shows app names draws Chinese ones with the installed CJK font, even
when it is the first figure of the process (as `appsim check` and `run --worlds` draw)."""

from __future__ import annotations

import io
import warnings

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

import sim
from sim.experiments.targets import load_targets
from sim.report.target_figure import targets_figure
from sim.results.band_figure import bands_figure

from ..conftest import TINY

TARGETS = """\
targets:
  bank_mau: {metric: mau, app: bank, date: 2020-12-31, relation: '>=', value: 1.0e3,
             source: test}
"""


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> tuple[sim.Result, object]:
    folder = tmp_path_factory.mktemp("named")
    path = folder / "named.yaml"
    path.write_text(f"extends: {TINY}\napps:\n  bank: {{name: 融e行}}\n")
    scenario = sim.load_scenario(path)
    (folder / "targets.yaml").write_text(TARGETS)
    return sim.run(scenario, seed=0), load_targets(folder / "targets.yaml", scenario)


def missing_glyphs(draw) -> list[str]:
    """Warnings of glyphs missing from the font while `draw()` makes and saves a figure,
    from matplotlib's default font families (no earlier figure's registration)."""
    defaults = {"font.family": matplotlib.rcParamsDefault["font.family"]}
    with matplotlib.rc_context(defaults), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = draw()
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_the_check_reports_target_figure_draws_chinese_names(named):
    result, targets = named
    assert missing_glyphs(lambda: targets_figure([result], targets)) == []


def test_the_bands_across_worlds_figure_draws_chinese_names(named):
    result, _ = named
    series = result.series("mau", "bank")
    bands = pd.DataFrame(
        {
            "date": series.index,
            "app": "bank",
            "metric": "mau",
            "q05": series.to_numpy() * 0.9,
            "q50": series.to_numpy(),
            "q95": series.to_numpy() * 1.1,
        }
    )
    assert missing_glyphs(lambda: bands_figure(bands, result, 5)) == []
