"""The scenario schema: every parameter of the model, with its unit, bounds and meaning.

Pydantic models with `extra="forbid"`, so a misspelt key is an error rather than a silent
default. Rates carry their unit in their name (`p_per_year`, `hazard_per_day`). Every block may
carry a `source:` string: where its numbers come from, or `assumption` (with a reason).
Cross-references (apps named by events, dates against the horizon) are checked in `crosschecks.py`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from sim.errors import UsageError
from sim.scenario.limits import MAX_CUSTOMERS, MAX_CUSTOMERS_TEXT, SCALE_MAX, SCALE_MIN

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Multiplier = Annotated[float, Field(ge=0.0, le=1000.0)]
AppId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]


def _some_segments(value: object) -> object:
    """An empty list would leave the app (or event) no one to reach: nothing to simulate,
    and no sign of the mistake but a row of zeros."""
    if value == []:
        raise ValueError("names no segment; list at least one, or write 'all'")
    return value


SegmentList = Annotated[list[str] | Literal["all"], BeforeValidator(_some_segments)]


def _customers(value: float) -> float:
    if value > MAX_CUSTOMERS:
        raise ValueError(
            f"at most {MAX_CUSTOMERS_TEXT} customers (more than the world's population, "
            "about 8e9); check the number and its unit"
        )
    return value


Customers = Annotated[float, AfterValidator(_customers)]


def _iso_date(value: object) -> object:
    """Dates are written YYYY-MM-DD; a number (pydantic would read 0 as 1970-01-01, a Unix
    time) or other text is refused, and an impossible day (2019-02-30) said to be one."""
    if isinstance(value, dt.date):  # (a datetime too: the schema then asks for no time)
        return value
    if isinstance(value, str):
        return iso_day(value)
    raise ValueError("not a date; use YYYY-MM-DD")


def iso_day(text: str) -> dt.date:
    """The day written YYYY-MM-DD (only so: Python also reads 20200630 and 2020-W26-2);
    a ValueError says which of the two is wrong, the form or the day."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError("not a date; use YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("no such day in the calendar; use YYYY-MM-DD") from None


Date = Annotated[dt.date, BeforeValidator(_iso_date)]


class Model(BaseModel):
    """Base of every scenario block: unknown keys are errors, values are immutable, numbers
    finite (inf and nan are refused, also when written as text)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Sourced(Model):
    """A block whose numbers carry a `source:` (a citation, or `assumption: why`)."""

    source: str | None = Field(None, description="citation for the numbers, or 'assumption'")


class Horizon(Sourced):
    start: Date = Field(description="first simulated day")
    end: Date = Field(description="last simulated day (inclusive)")
    key_dates: list[Date] = Field(
        default_factory=list,
        description="dates the reports' tables and the comparisons show, besides each "
        "1 January and the last day (e.g. the dates of published figures)",
    )


class BasePoint(Sourced):
    date: Date
    customers: Customers = Field(gt=0, description="people in the bank's reach on that date")


class MobileAdoption(Sourced):
    """Logistic curve of the share of a segment owning a smartphone (able to use apps)."""

    ceiling: float = Field(gt=0.0, le=1.0, description="long-run share that goes mobile")
    midpoint: Date = Field(description="date at which half the ceiling is reached")
    width_days: float = Field(gt=0.0, le=36500.0, description="logistic scale, in days")


class Segment(Sourced):
    share: Probability = Field(description="share of the population in this segment")
    mobile: MobileAdoption


class Population(Sourced):
    scale: float = Field(
        100.0, ge=SCALE_MIN, le=SCALE_MAX, description="customers per simulated agent"
    )
    base: list[BasePoint] = Field(min_length=1, description="customer base, piecewise linear")
    segments: dict[AppId, Segment] = Field(min_length=1)


class Adoption(Sourced):
    """Bass diffusion among a segment's smartphone owners, per year (converted to per day)."""

    p_per_year: float = Field(ge=0.0, le=10.0, description="innovation rate (Bass p)")
    q_per_year: float = Field(ge=0.0, le=50.0, description="imitation rate (Bass q)")
    ceiling: Probability = Field(description="share of eligible customers who may ever adopt")
    never_active_share: Probability = Field(
        0.0, description="share of registrations (e.g. at a branch) that start dormant"
    )


class Engagement(Sourced):
    """Each adopter's daily activity probability is drawn from Beta(mean, concentration)."""

    activity_mean: float = Field(gt=0.0, lt=1.0, description="mean daily activity probability")
    activity_concentration: float = Field(gt=0.0, le=1e4, description="Beta a + b")


class Lapse(Sourced):
    """Engaged users lapse; lapsed (dormant) users reactivate."""

    hazard_per_day: Probability = Field(description="lapse hazard of a user with propensity 0")
    propensity_exponent: float = Field(
        1.0, ge=0.0, le=50.0, description="hazard = hazard_per_day * (1 - propensity)^exponent"
    )
    reactivation_hazard_per_day: Probability = Field(description="dormant -> engaged, per day")


class AdoptionOverride(Sourced):
    p_per_year: float | None = Field(None, ge=0.0, le=10.0)
    q_per_year: float | None = Field(None, ge=0.0, le=50.0)
    ceiling: Probability | None = None
    never_active_share: Probability | None = None


class EngagementOverride(Sourced):
    activity_mean: float | None = Field(None, gt=0.0, lt=1.0)
    activity_concentration: float | None = Field(None, gt=0.0, le=1e4)


class LapseOverride(Sourced):
    hazard_per_day: Probability | None = None
    propensity_exponent: float | None = Field(None, ge=0.0, le=50.0)
    reactivation_hazard_per_day: Probability | None = None


class SegmentOverride(Sourced):
    adoption: AdoptionOverride | None = None
    engagement: EngagementOverride | None = None
    lapse: LapseOverride | None = None


class InstalledBase(Sourced):
    """Users an app already had when the scenario starts (for apps launched before it)."""

    customers: Customers = Field(ge=0.0, description="registered users at the start")
    engaged_share: Probability = Field(description="share of them engaged (not dormant)")


class App(Sourced):
    name: str = Field("", max_length=200)
    suite: bool = Field(True, description="counted in the suite totals")
    launch: Date | None = Field(None, description="launch date; before start needs a base")
    segments: SegmentList = Field("all", description="segments that may use the app")
    installed_base: InstalledBase | None = None
    adoption: Adoption
    engagement: Engagement
    lapse: Lapse
    segment_overrides: dict[str, SegmentOverride] = Field(default_factory=dict)
    referral_from: dict[str, Probability] = Field(
        default_factory=dict, description="P(adopt this app) per active day in another app"
    )


class Boosts(Sourced):
    """Peak multipliers of a release, decaying to 1 with a half-life."""

    activity_boost: Multiplier = 1.0
    acquisition_boost: Multiplier = 1.0
    reactivation_boost: Multiplier = 1.0
    half_life_days: float = Field(14.0, gt=0.0, le=3650.0)


class LaunchEvent(Sourced):
    type: Literal["launch"]
    app: str
    date: Date


class DelistEvent(Sourced):
    type: Literal["delist"]
    app: str
    date: Date
    migrate_to: dict[str, Probability] = Field(
        default_factory=dict, description="share of users moving to each app; the rest leave"
    )


class MergeEvent(Sourced):
    type: Literal["merge"]
    app: str = Field(description="the app merged away (delisted)")
    into: str = Field(description="the app that absorbs it")
    date: Date
    migrate_share: Probability = Field(description="share of users who follow into the target")
    activity_multiplier: Multiplier = Field(1.0, description="target's activity afterwards")
    acquisition_multiplier: Multiplier = Field(1.0, description="target's acquisition after")
    reactivation_multiplier: Multiplier = 1.0


class ReleaseEvent(Boosts):
    type: Literal["release"]
    app: str
    date: Date
    label: str = ""


class ReleaseCadenceEvent(Boosts):
    type: Literal["release_cadence"]
    app: str
    start: Date
    end: Date | None = Field(None, description="last day of the cadence (default: horizon)")
    every: Literal["monthly", "quarterly"] | Annotated[int, Field(ge=1, le=3650)] = Field(
        description="'monthly', 'quarterly' or a number of days"
    )


class CampaignEvent(Sourced):
    type: Literal["campaign"]
    app: str
    start: Date
    end: Date
    segments: SegmentList = "all"
    acquisition_multiplier: Multiplier = 1.0
    reactivation_multiplier: Multiplier = 1.0


class EditionEvent(Sourced):
    type: Literal["edition"]
    app: str
    date: Date
    segments: list[str] = Field(min_length=1)
    activity_multiplier: Multiplier = 1.0
    acquisition_multiplier: Multiplier = 1.0
    ceiling_multiplier: Multiplier = 1.0
    reactivation_multiplier: Multiplier = 1.0


class ChannelEvent(Sourced):
    type: Literal["channel"]
    app: str
    start: Date
    end: Date | None = None
    customers_per_day: float = Field(ge=0.0, le=1e8, description="new registrations per day")
    segments: SegmentList = "all"


Event = Annotated[
    LaunchEvent
    | DelistEvent
    | MergeEvent
    | ReleaseEvent
    | ReleaseCadenceEvent
    | CampaignEvent
    | EditionEvent
    | ChannelEvent,
    Field(discriminator="type"),
]
EVENT_TYPES = (
    "launch",
    "delist",
    "merge",
    "release",
    "release_cadence",
    "campaign",
    "edition",
    "channel",
)


class Scenario(Sourced):
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    horizon: Horizon
    population: Population
    apps: dict[AppId, App] = Field(min_length=1)
    timeline: dict[str, Event] = Field(default_factory=dict)

    def run_scale(self, scale: float | None = None) -> float:
        """The scale a run uses: `scale` where given, else the scenario's own (customers per
        agent). Every path to an engine resolves it here, once, so a scale that would leave
        no agent to simulate is refused here (UsageError), before anything runs."""
        used = float(scale or self.population.scale)
        too_coarse = self.too_coarse(used)
        if too_coarse:
            raise UsageError(f"scenario {self.name!r} at scale {used:,.10g}: {too_coarse}")
        return used

    def too_coarse(self, scale: float) -> str | None:
        """Why a run at `scale` would have no agent at all (a run of nothing, reported as
        zeros), or None."""
        peak = self.peak_customers()
        if peak >= scale:
            return None
        if peak < 1:
            return f"no agent to simulate: the population is at most {peak:g} customers"
        return (
            f"no agent to simulate: the population is at most {round(peak):,} customers, "
            f"fewer than the {scale:,.10g} one agent stands for; use a scale of at most "
            f"{math.floor(peak)}"
        )

    def customers_on(self, day: dt.date) -> float:
        """Customers in the bank's reach on `day`: the base points joined by straight lines,
        flat before the first and after the last (as the engine reads them)."""
        points = self.population.base
        if day <= points[0].date:
            return points[0].customers
        for a, b in itertools.pairwise(points):
            if day <= b.date:
                span = (b.date - a.date).days
                return a.customers + (b.customers - a.customers) * (day - a.date).days / span
        return points[-1].customers

    def peak_customers(self) -> float:
        """The most customers on any day of the horizon (a straight line between two base
        points is highest at one of its ends)."""
        start, end = self.horizon.start, self.horizon.end
        inside = [p.date for p in self.population.base if start < p.date < end]
        return max(self.customers_on(day) for day in (start, end, *inside))

    @field_validator("name")
    @classmethod
    def _folder_safe(cls, name: str) -> str:
        # the name becomes a report folder under reports/: `.`, `..` or `.store` would
        # write over other reports or the run store
        if not re.fullmatch(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]*", name):
            raise ValueError(
                "a name is letters, digits, '_', '-' and '.', and does not start with '.'"
            )
        return name

    def app_segments(self, app_id: str) -> list[str]:
        """The segments eligible for an app, in population order."""
        chosen = self.apps[app_id].segments
        return list(self.population.segments) if chosen == "all" else list(chosen)
