"""A progress bar over simulated days, on the terminal only (silent when piped)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

from sim.scenario.schema import Scenario


@contextmanager
def day_progress(scenario: Scenario, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """Yield a callback `progress(day)` that advances a bar over the horizon's days."""
    n_days = (scenario.horizon.end - scenario.horizon.start).days + 1
    bar = tqdm(
        total=n_days,
        desc=scenario.name,
        unit="day",
        disable=None if enabled else True,
        mininterval=0.5,
        leave=False,
    )
    state = {"shown": 0}

    def progress(day: int) -> None:
        if day - state["shown"] >= 30 or day == n_days - 1:
            bar.update(day + 1 - state["shown"])
            state["shown"] = day + 1

    try:
        yield progress
    finally:
        bar.close()
