"""Staffing: how many stations each half hour of a weekday needs to meet the service-level target.

It drives the best-times simulator (`schedq.estimator.besttime`): a day
drawn many times from the fitted model, each row played until its line is
served, every patient's call time kept. Plans are compared on the same
draws (common random numbers). See docs/staffing.md.

- `erlang`: the Erlang C staffing of a steady walk-in line, `erlang_c_stations`.
- `days`: `SimulatedDays`, a day drawn once and any plan played on it (`PlanOutcome`); the `Target`;
  the walk-in level, spread and shape the day is drawn at.
- `search`: `recommend_staffing` (the fewest station-hours that meet the target) and `what_if`.
"""

from .days import (
    HalfHourOutcome,
    PlanOutcome,
    SimulatedDays,
    Target,
    at_observed_walk_in_level,
    pooled_walk_in_shape,
    walk_in_rate_variance,
)
from .erlang import erlang_c_stations, share_called_within
from .search import (
    Recommendation,
    StaffingHalfHour,
    WhatIf,
    recommend_staffing,
    required_share,
    search_stations,
    what_if,
)

__all__ = [
    "at_observed_walk_in_level",
    "HalfHourOutcome",
    "PlanOutcome",
    "Recommendation",
    "SimulatedDays",
    "StaffingHalfHour",
    "Target",
    "WhatIf",
    "erlang_c_stations",
    "pooled_walk_in_shape",
    "recommend_staffing",
    "required_share",
    "search_stations",
    "share_called_within",
    "walk_in_rate_variance",
    "what_if",
]
