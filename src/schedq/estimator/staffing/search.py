"""The staffing search: the fewest station-hours whose simulated days meet the target, and Erlang C beside it.

1. Guess each open half hour by Erlang C on its offered load (walk-ins and
   booked patients expected to come, the walk-in mix's mean service time).
2. While too few days meet the target (`required_share`), add a station
   in the half hour where most patients are called late on the days that
   miss.
3. Then, latest half hour first, take one station away wherever the plan
   still meets the target without it; repeat until no station can go. What
   is left is minimal on the simulated days: removing any one
   station-half-hour fails the target.

Every open half hour keeps at least one station (a gap in a plan is a
closure). The search may plan more stations than the site has today: the
site can add stations (a block planning more gets the union of the skills).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from ..besttime.plan import BookedAppointment, DayPlan
from ..model import FittedModel
from .days import PlanOutcome, SimulatedDays, Target
from .erlang import MAX_STATIONS, erlang_c_stations

AMPLE_EXTRA_STATIONS = 10
"""When even this many more stations in every open half hour than the first guess miss the target (a
service no station can do; 100 % of days), the search stops at once with the first guess."""

EXTRA_STEPS_PER_HALF_HOUR = 3
"""The search adds at most this many stations per open half hour (and 10 more) beyond its first guess
before it gives up: a target no plan of a sensible size meets (100 % within 1 minute on 100 % of days)."""


@dataclass(frozen=True, slots=True)
class StaffingHalfHour:
    """One local half hour of the recommendation beside the current plan."""

    starts_at: datetime  # UTC
    ends_at: datetime
    walk_ins: float
    appointments: float
    current_stations: int
    recommended_stations: int
    erlang_c_stations: int | None  # None: Erlang C does not apply (appointments, a closure or the cut-off)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The recommended plan of a day, the current plan's outcome and each half hour; empty when closed."""

    half_hours: tuple[StaffingHalfHour, ...]
    current: PlanOutcome | None
    recommended: PlanOutcome | None
    simulated_days: int
    meets_target: bool  # False when the search gave up before the target held


def required_share(target: Target) -> float:
    """The share of simulated days a plan must meet the target on to be kept: the target itself.

    No margin on top: the simulated days carry what the model does not know
    (each day's walk-in rate drawn around the learned one, `SimulatedDays`),
    and they are many and shared by every candidate plan, so the search's own
    noise is small rather than padded.
    """
    return min(target.days_percent / 100.0, 1.0)


def meets(outcome: PlanOutcome, target: Target) -> bool:
    return outcome.days_meeting_target >= required_share(target) - 1e-12


def _erlang(
    arrivals_per_hour: float, mean_service_minutes: float, target: Target, *, cap: float = 1.0
) -> int | None:
    """Erlang C's stations for the target; None at 100 % (no steady line calls everybody in time)
    unless `cap` (< 1) stands in for the share, as for the search's first guess."""
    share = min(target.sla_percent / 100.0, cap)
    if share >= 1.0:
        return None
    return erlang_c_stations(
        arrivals_per_hour=arrivals_per_hour,
        mean_service_minutes=mean_service_minutes,
        within_minutes=target.sla_minutes,
        share=share,
    )


def search_stations(days: SimulatedDays, start: tuple[int, ...]) -> tuple[PlanOutcome, bool]:
    """From `start`, add where patients miss until the target holds, then remove what is not needed.

    Returns the plan's outcome and whether it meets the target. When the
    target is out of reach (`AMPLE_EXTRA_STATIONS`), the first guess; when the
    search runs out of steps, the largest plan it tried; their figures show how
    far they fall short.
    """
    target = days.target
    is_open = days.open_half_hours
    stations = [max(1, s) if o else 0 for s, o in zip(start, is_open)]
    outcome = days.play(tuple(stations))
    if not meets(outcome, target):
        ample = tuple(s + AMPLE_EXTRA_STATIONS if s else 0 for s in stations)
        if not meets(days.play(ample), target):
            return outcome, False  # out of reach: say so at once rather than search
    steps = 0
    max_steps = EXTRA_STEPS_PER_HALF_HOUR * sum(is_open) + 10
    while not meets(outcome, target):
        if steps >= max_steps:
            return outcome, False
        misses = np.where(is_open, outcome.misses, -1.0)
        i = int(np.argmax(misses))
        if misses[i] <= 0 or stations[i] >= MAX_STATIONS:
            return outcome, False
        stations[i] += 1
        outcome = days.play(tuple(stations))
        steps += 1
    changed = True
    while changed:
        changed = False
        for i in reversed(range(len(stations))):
            if stations[i] <= 1:
                continue
            stations[i] -= 1
            fewer = days.play(tuple(stations))
            if meets(fewer, target):
                outcome, changed = fewer, True
            else:
                stations[i] += 1
    return outcome, True


def recommend_staffing(
    day: DayPlan,
    model: FittedModel,
    *,
    tz: str | ZoneInfo,
    target: Target,
    replications: int = 400,
    seed: int | np.random.Generator = 0,
    bookings: Sequence[Sequence[BookedAppointment]] = (),
    rate_variance: float = 0.0,
) -> Recommendation:
    """The fewest station-hours meeting `target` on `day` (its `staffing` is the current plan).

    `bookings`: several days' booked appointments to share the simulated days
    among (`SimulatedDays`); none given, every day has `day.appointments`.
    `rate_variance`: how far a day's walk-in rate may be from the model's
    (`walk_in_rate_variance`); 0 trusts the model's rate exactly.
    """
    days = SimulatedDays(
        day,
        model,
        tz=tz,
        replications=replications,
        seed=seed,
        target=target,
        bookings=bookings,
        rate_variance=rate_variance,
    )
    if not days.open:
        return Recommendation((), None, None, 0, True)
    current = days.play(days.current())
    mean_service = model.mean_service_minutes()
    guess = []
    for here in current.half_hours:
        per_hour = 2.0 * (here.walk_ins + here.appointments)
        guess.append(_erlang(per_hour, mean_service, target, cap=0.99) or 1)
    recommended, found = search_stations(days, tuple(guess))
    booked = [a.appointment_at for listed in (bookings or [day.appointments]) for a in listed]
    rows = []
    for i, h in enumerate(days.halves):
        steady = (
            h.walk_in_start is not None
            and h.walk_in_end is not None
            and h.walk_in_start <= h.start
            and h.walk_in_end >= h.end
            and not any(h.starts_at <= at < h.ends_at for at in booked)
        )
        rate = model.walk_in_rate_at(day.weekday, h.local_half_hour)
        rows.append(
            StaffingHalfHour(
                starts_at=h.starts_at,
                ends_at=h.ends_at,
                walk_ins=current.half_hours[i].walk_ins,
                appointments=current.half_hours[i].appointments,
                current_stations=current.stations[i],
                recommended_stations=recommended.stations[i],
                erlang_c_stations=_erlang(rate, mean_service, target) if steady else None,
            )
        )
    return Recommendation(tuple(rows), current, recommended, days.simulated_days, found)


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The current plan of a day against the same day with some changes, on the same simulated days."""

    baseline: PlanOutcome | None
    what_if: PlanOutcome | None
    simulated_days: int


def what_if(
    day: DayPlan,
    model: FittedModel,
    *,
    tz: str | ZoneInfo,
    target: Target,
    walk_in_cutoff_minutes: int | None = None,
    missing_stations: int = 0,
    replications: int = 400,
    seed: int | np.random.Generator = 0,
    bookings: Sequence[Sequence[BookedAppointment]] = (),
    rate_variance: float = 0.0,
) -> WhatIf:
    """`day` as planned against the walk-in line closing `walk_in_cutoff_minutes` before closing instead,
    and `missing_stations` fewer stations in every planned half hour (at least one stays open)."""
    later = min(
        day.walk_in_cutoff_minutes,
        day.walk_in_cutoff_minutes if walk_in_cutoff_minutes is None else walk_in_cutoff_minutes,
    )
    days = SimulatedDays(
        day,
        model,
        tz=tz,
        replications=replications,
        seed=seed,
        target=target,
        draw_cutoff_minutes=later,
        bookings=bookings,
        rate_variance=rate_variance,
    )
    if not days.open:
        return WhatIf(None, None, 0)
    planned = days.current()
    changed = tuple(max(1, s - missing_stations) if s > 0 else 0 for s in planned)
    return WhatIf(
        baseline=days.play(planned),
        what_if=days.play(changed, walk_in_cutoff_minutes=walk_in_cutoff_minutes),
        simulated_days=days.simulated_days,
    )
