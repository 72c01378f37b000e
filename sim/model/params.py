"""Scenario parameters resolved into the engine's units: per app and segment, per day.

Segment overrides are merged onto the app's defaults here, once, and Bass rates are turned
from per-year into per-day hazards. The engine reads only these plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.schema import App, Scenario

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class SegmentParams:
    """Everything one segment's users of one app do, in per-day units."""

    p_per_day: float
    q_per_day: float
    ceiling: float
    never_active_share: float
    activity_mean: float
    activity_concentration: float
    lapse_hazard: float
    lapse_exponent: float
    reactivation_hazard: float


def resolve_segment(app: App, segment: str) -> SegmentParams:
    """An app's parameters for one segment: defaults, then that segment's overrides."""
    over = app.segment_overrides.get(segment)
    adoption = _patched(app.adoption, over.adoption if over else None)
    engagement = _patched(app.engagement, over.engagement if over else None)
    lapse = _patched(app.lapse, over.lapse if over else None)
    return SegmentParams(
        p_per_day=adoption.p_per_year / DAYS_PER_YEAR,
        q_per_day=adoption.q_per_year / DAYS_PER_YEAR,
        ceiling=adoption.ceiling,
        never_active_share=adoption.never_active_share,
        activity_mean=engagement.activity_mean,
        activity_concentration=engagement.activity_concentration,
        lapse_hazard=lapse.hazard_per_day,
        lapse_exponent=lapse.propensity_exponent,
        reactivation_hazard=lapse.reactivation_hazard_per_day,
    )


def _patched(base, patch):
    if patch is None:
        return base
    changes = {k: v for k, v in patch.model_dump(exclude={"source"}).items() if v is not None}
    return base.model_copy(update=changes)


def resolve_app(sc: Scenario, app_id: str) -> dict[int, SegmentParams]:
    """Parameters by segment index, for the segments eligible for the app."""
    names = list(sc.population.segments)
    app = sc.apps[app_id]
    return {names.index(s): resolve_segment(app, s) for s in sc.app_segments(app_id)}
