"""interactive.html: the report's curves as plotly charts, for reading values off them.

Hovering shows each curve's value on the day; a menu above a chart picks the metric (and,
in a comparison, the app); clicking a legend entry hides or shows that app or scenario.
The page is one file with plotly.js inside it (no network), and embeds the CJK font subset
its names need (sim.results.fonts). Event marks are drawn as in the PNG figures.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from sim.experiments.compare import Comparison
from sim.report.compare_figures import colours, scenarios_of
from sim.report.difference_figure import KEY_METRICS, PANEL_TITLES, bands, over_seeds
from sim.results.figures import TITLES
from sim.results.fonts import FAMILY, font_face_css
from sim.results.markers import Mark, compared_marks, single
from sim.results.result import Result
from sim.results.words import counted

RUN_METRICS = ("mau", "dau", "wau", "registered", "engaged")
FONT = f"{FAMILY}, Open Sans, Arial, sans-serif"  # the subset holds CJK glyphs only
STEP = 7  # a comparison's curves are drawn weekly: many scenarios x apps x bands stay small


def run_page(result: Result) -> str:
    """One chart: every app's curve of the chosen metric (menu), in millions."""
    sc = result.scenario
    apps = [*sc.apps, "suite_sum", "suite"]
    names = {a: (sc.apps[a].name or a) if a in sc.apps else a for a in apps}
    fig = go.Figure()
    for metric in RUN_METRICS:
        for app in apps:
            series = result.series(metric, app) / 1e6
            fig.add_trace(_line(series, names[app], metric == RUN_METRICS[0], legendgroup=app))
    groups = [len(apps)] * len(RUN_METRICS)
    _menu(fig, [TITLES.get(m, m) for m in RUN_METRICS], groups)
    _marks(fig, single(sc), {})
    _layout(fig, f"{sc.name}: customers per app (millions); click a legend entry to hide it")
    return _page(f"appsim interactive: {sc.name}", [fig])


def comparison_page(cmp: Comparison) -> str:
    """Two charts: the scenarios' medians (5-95% over seeds) for a chosen metric and app,
    and each what-if's difference from the base for a chosen suite metric."""
    palette = colours(cmp.names)
    marks = compared_marks(scenarios_of(cmp))
    return _page(
        f"appsim interactive: {', '.join(cmp.names)}",
        [_overlay(cmp, palette, marks), _differences(cmp, palette, marks)],
    )


def _overlay(cmp: Comparison, palette: dict[str, str], marks: list[tuple[Mark, str | None]]):
    pairs = [("mau", "suite_sum"), *KEY_METRICS, *(("mau", a) for a in cmp.apps())]
    fig = go.Figure()
    for i, (metric, app) in enumerate(pairs):
        for name in cmp.names:
            curves = cmp.curves(name, metric, app).iloc[::STEP] / 1e6
            band = bands(curves)
            _band(fig, band, name, palette[name], visible=i == 0)
    _menu(fig, [f"{m} {app}" for m, app in pairs], [3 * len(cmp.names)] * len(pairs))
    _marks(fig, marks, palette)
    _layout(
        fig,
        f"median and 5-95% band over {counted(len(cmp.seeds), 'seed')}, one world "
        "(millions, weekly)",
    )
    return fig


def _differences(
    cmp: Comparison, palette: dict[str, str], marks: list[tuple[Mark, str | None]]
) -> go.Figure:
    base = cmp.names[0]
    fig = go.Figure()
    for i, (metric, app) in enumerate(KEY_METRICS):
        for name in cmp.names[1:]:
            diff = (cmp.curves(name, metric, app) - cmp.curves(base, metric, app)).iloc[::STEP]
            _band(fig, bands(diff / 1e6), f"{name} minus {base}", palette[name], visible=i == 0)
    labels = [PANEL_TITLES[m] for m, _ in KEY_METRICS]
    _menu(fig, labels, [3 * (len(cmp.names) - 1)] * len(KEY_METRICS))
    _marks(fig, marks, palette)
    _layout(fig, f"difference from {base}, millions: {over_seeds(len(cmp.seeds))}")
    return fig


def _line(series: pd.Series, name: str, visible: bool, **kw: object) -> go.Scatter:
    return go.Scatter(
        x=series.index,
        y=series.to_numpy(),
        name=name,
        mode="lines",
        visible=visible,
        hovertemplate="%{x|%Y-%m-%d}: %{y:.3f} M<extra>" + html.escape(name) + "</extra>",
        **kw,
    )


def _band(fig: go.Figure, band: pd.DataFrame, name: str, colour: str, visible: bool) -> None:
    """Three traces: the 5% edge, the 95% edge filled down to it, and the median."""
    rgb = _rgb(colour)
    group = {"legendgroup": name, "visible": visible, "line": {"width": 0, "color": rgb}}
    for q, fill in (("q05", None), ("q95", "tonexty")):
        fig.add_trace(
            go.Scatter(
                x=band.index,
                y=band[q].to_numpy(),
                name=f"{name} {q[1:]}%",
                showlegend=False,
                fill=fill,
                fillcolor=rgb.replace("rgb", "rgba").replace(")", ",0.2)"),
                hovertemplate="%{y:.3f} M<extra>" + html.escape(f"{name} {q[1:]}%") + "</extra>",
                **group,
            )
        )
    fig.add_trace(_line(band["q50"], name, visible, legendgroup=name, line={"color": rgb}))


def _rgb(colour: str) -> str:
    from matplotlib.colors import to_rgb

    r, g, b = (round(255 * c) for c in to_rgb(colour))
    return f"rgb({r},{g},{b})"


def _menu(fig: go.Figure, labels: list[str], sizes: list[int]) -> None:
    """A dropdown showing one block of traces at a time (blocks in trace order)."""
    total = sum(sizes)
    buttons = []
    start = 0
    for label, size in zip(labels, sizes, strict=True):
        visible = [start <= i < start + size for i in range(total)]
        buttons.append({"label": label, "method": "update", "args": [{"visible": visible}]})
        start += size
    fig.update_layout(
        updatemenus=[{"buttons": buttons, "x": 0, "xanchor": "left", "y": 1.12, "yanchor": "top"}]
    )


def _marks(fig: go.Figure, marks: list[tuple[Mark, str | None]], palette: dict[str, str]) -> None:
    for mark, who in marks:
        colour = "#777" if who is None else _rgb(palette.get(who, "tab:red"))
        text = mark.label if who is None else f"{mark.label} ({who})"
        fig.add_vline(x=pd.Timestamp(mark.date), line={"width": 1, "dash": "dot", "color": colour})
        fig.add_annotation(
            x=pd.Timestamp(mark.date),
            y=1,
            yref="paper",
            text=html.escape(text),
            textangle=-90,
            showarrow=False,
            xanchor="right",
            yanchor="top",
            font={"size": 9, "color": colour},
        )


def _layout(fig: go.Figure, title: str) -> None:
    fig.update_layout(
        title={"text": html.escape(title), "y": 0.97},
        font={"family": FONT},
        hovermode="x unified",
        height=560,
        margin={"t": 110},
        yaxis_title="millions",
        template="plotly_white",
    )


def _page(title: str, figures: list[go.Figure]) -> str:
    divs = [
        fig.to_html(full_html=False, include_plotlyjs=i == 0, config={"displaylogo": False})
        for i, fig in enumerate(figures)
    ]
    text = title + "".join(_text(fig) for fig in figures)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{font_face_css(text)}
body {{ font-family: '{FAMILY}', sans-serif; max-width: 1100px; margin: 1em auto; }}</style>
</head><body><h1>{html.escape(title)}</h1>
<p>Hover for values; the menu above each chart picks what it shows; click a legend entry to
hide or show it. Dashed lines mark the scenarios' timeline events.</p>
{"".join(divs)}
{_REDRAW}
</body></html>
"""


def _text(fig: go.Figure) -> str:
    """Every name and label a chart shows (for the font subset)."""
    names = [str(t.name or "") for t in fig.data]
    notes = [str(a.text or "") for a in fig.layout.annotations]
    return " ".join([*names, *notes])


# Plotly draws (and measures) its text at once; text drawn before the embedded font has
# loaded shows as boxes, so each chart is redrawn once the font is ready.
_REDRAW = f"""<script>
document.fonts.load("16px '{FAMILY}'", "融").then(() => {{
  document.querySelectorAll('.js-plotly-plot').forEach(div => Plotly.redraw(div));
}}).catch(() => {{}});
</script>"""
