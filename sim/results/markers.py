"""Event markers on the curves: a thin vertical line and a short label at each lever's date.

A jump in a curve (DAU in 2018-06 and 2018-10 in the baseline) reads as unexplained unless
the release that causes it is drawn beside it. The marks come from the same timeline the
reports' timeline table lists (sim.report.context), plus app launches inside the horizon;
a lever that runs over a period is marked where it starts.

In a comparison, a mark every scenario shares is grey; a mark only some scenarios have
(what a what-if moves or adds) takes the colour of the first scenario that has it, and its
label names that scenario.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matplotlib.artist import Artist
from matplotlib.dates import date2num

from sim.results.fonts import use_in_matplotlib

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.text import Text

    from sim.scenario.schema import Scenario

SHARED = "0.45"  # grey: a mark every scenario has


@dataclass(frozen=True)
class Mark:
    date: dt.date
    label: str
    app: str | None  # the app the event acts on (None: the whole suite)


def event_marks(sc: Scenario) -> list[Mark]:
    """Every launch and timeline event inside the horizon, in date order."""
    start, end = sc.horizon.start, sc.horizon.end
    marks = [
        Mark(app.launch, f"{app.name or app_id} launch", app_id)
        for app_id, app in sc.apps.items()
        if app.launch is not None
    ]
    for name, event in sc.timeline.items():
        data = event.model_dump()
        when: dt.date = data.get("date") or data["start"]
        marks.append(Mark(when, _short(name, data), data.get("app")))
    inside = [m for m in marks if start < m.date <= end]
    return sorted(inside, key=lambda m: (m.date, m.label))


def _short(name: str, data: dict[str, Any]) -> str:
    """A release's label up to its first bracket or colon, else the event's name in words."""
    label = str(data.get("label") or "").split(" (")[0].split(":")[0].strip()
    return label or name.replace("_", " ")


def compared_marks(scenarios: dict[str, Scenario]) -> list[tuple[Mark, str | None]]:
    """Each scenario's marks, once: (mark, None) if every scenario has it, else (mark, the
    first scenario that has it)."""
    per = {name: event_marks(sc) for name, sc in scenarios.items()}
    out: list[tuple[Mark, str | None]] = []
    for name, marks in per.items():
        for mark in marks:
            holders = [n for n, ms in per.items() if mark in ms]
            if holders[0] != name:
                continue  # listed with the first scenario that has it
            out.append((mark, None if len(holders) == len(per) else name))
    return sorted(out, key=lambda pair: (pair[0].date, pair[0].label))


def draw_marks(
    ax: Axes,
    marks: list[tuple[Mark, str | None]],
    colours: dict[str, str] | None = None,
    apps: set[str] | None = None,
    labels: bool = True,
) -> int:
    """Draw each mark (only events on `apps` or the whole suite, if given); marks on one day
    share a line and one label. Return how many lines were drawn. Labels may hold Chinese
    app names: the install's CJK font is registered before any is made (a text takes its
    font families when it is made)."""
    use_in_matplotlib()
    shown = [(m, who) for m, who in marks if apps is None or m.app is None or m.app in apps]
    by_day: dict[tuple[dt.date, str | None], list[str]] = {}
    for mark, who in shown:
        text = mark.label if who is None else f"{mark.label} ({who})"
        by_day.setdefault((mark.date, who), []).append(text)
    transform = ax.get_xaxis_transform()  # x in data, y from 0 (bottom) to 1 (top)
    placed = []
    for (day, who), words in sorted(by_day.items(), key=lambda item: item[0][0]):
        colour = SHARED if who is None else (colours or {}).get(who, "tab:red")
        when = float(date2num(day))
        ax.axvline(when, color=colour, lw=0.7, ls="--", alpha=0.8, zorder=0)
        if labels:
            label = ax.text(
                when,
                0.98,
                "; ".join(words),
                transform=transform,
                rotation=90,
                va="top",
                ha="right",
                fontsize=6,
                color=colour,
                clip_on=True,
                parse_math=False,  # names are shown as written, `$` included
            )
            placed.append(label)
    if placed:
        ax.add_artist(Stagger(ax, placed))
    return len(by_day)


GAP_PIXELS = 1.0  # between two labels' boxes


class Stagger(Artist):
    """Lays the mark labels out each time the figure is drawn, before they are (it draws
    nothing itself): a label that would overlap the one before it (events a few days apart,
    as in the baseline's 2014-01 and 2017-09) moves right until it clears it. At draw time,
    the layout holds whatever the axes' final size and limits (tight_layout, a resize)."""

    def __init__(self, ax: Axes, texts: list[Text]):
        super().__init__()
        self.axes, self.texts = ax, texts  # in date order, each at its line
        self.anchors = [float(t.get_position()[0]) for t in texts]
        self.set_zorder(-100)  # drawn before the labels
        self.set_in_layout(False)  # no extent of its own for tight_layout to make room for

    def draw(self, renderer: Any) -> None:
        assert self.axes is not None
        data = self.axes.transData
        right = -math.inf
        for text, x in zip(self.texts, self.anchors, strict=True):
            text.set_x(x)
            box = text.get_window_extent(renderer)
            shift = max(0.0, right + GAP_PIXELS - box.x0)
            if shift:
                at = data.transform((x, 0.0))[0] + shift
                text.set_x(float(data.inverted().transform((at, 0.0))[0]))
            right = box.x1 + shift


def single(sc: Scenario) -> list[tuple[Mark, str | None]]:
    """The marks of one scenario, as `draw_marks` takes them."""
    return [(m, None) for m in event_marks(sc)]
