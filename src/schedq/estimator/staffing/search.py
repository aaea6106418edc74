"""The staffing search: the fewest station-hours whose simulated days meet the target, and Erlang C beside it.

The plan is judged on two independent sets of simulated days of the same
model (fresh seeds): the search days and as many check days. A plan is kept
only when it meets the target on both (`meets_on_all`).

1. Guess each open half hour by Erlang C on its offered load (walk-ins and
   booked patients expected to come, the walk-in mix's mean service time).
2. While a set of days misses the target (`required_share`), add a station
   in the half hour where most patients are called late on the days that
   miss, counted on the sets that miss.
3. Then, latest half hour first, take one station away wherever the plan
   still meets the target without it on both sets; repeat until no station
   can go. What is left is minimal: removing any one station-half-hour fails
   the target on at least one set.

Why two sets: the smallest plan that meets exactly the target on one set of
days, chosen among many candidates, is one those days were a little kind to
(the winner's curse), and it falls short on days it has not seen. A plan
that only luck carried must now be lucky twice, on days drawn apart; a plan
that truly holds passes both. A fixed margin on one set instead keeps
stations that are not needed (docs/staffing.md, "The search").

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
    simulated_days: int  # in each of the two sets, search and check days
    meets_target: bool  # False when the search gave up before the target held
    check_days_meeting_target: float | None = None  # the recommendation on the check days


def required_share(target: Target) -> float:
    """The share of simulated days a plan must meet the target on to be kept: the target itself.

    No margin on top: the simulated days carry what the model does not know
    (each day's walk-in rate drawn around the learned one, `SimulatedDays`),
    and the search's own luck is met by asking the plan to hold on the check
    days too (`search_stations`), not by padding.
    """
    return min(target.days_percent / 100.0, 1.0)


def meets(outcome: PlanOutcome, target: Target) -> bool:
    return outcome.days_meeting_target >= required_share(target) - 1e-12


def meets_on_all(outcomes: Sequence[PlanOutcome], target: Target) -> bool:
    """The search's rule: the plan meets the target on every set of simulated days (search and check days)."""
    return all(meets(o, target) for o in outcomes)


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


def search_stations(
    days: SimulatedDays, start: tuple[int, ...], *, check: SimulatedDays | None = None
) -> tuple[PlanOutcome, bool]:
    """From `start`, add where patients miss until the target holds, then remove what is not needed.

    `check`: a second, independent set of simulated days of the same day and
    model; the plan must meet the target on it too, when adding and when
    removing (`meets_on_all`). Returns the plan's outcome on `days` and
    whether it meets the target on every set. When the target is out of reach
    (`AMPLE_EXTRA_STATIONS`), the first guess; when the search runs out of
    steps, the largest plan it tried; their figures show how far they fall
    short.
    """
    target = days.target
    sets = [days] if check is None else [days, check]

    def play(plan: list[int], *, until_a_miss: bool = False) -> list[PlanOutcome]:
        """The plan on each set; with `until_a_miss`, no further than the first set that misses."""
        outcomes = []
        for d in sets:
            outcomes.append(d.play(tuple(plan)))
            if until_a_miss and not meets(outcomes[-1], target):
                break
        return outcomes

    is_open = days.open_half_hours
    stations = [max(1, s) if o else 0 for s, o in zip(start, is_open)]
    outcomes = play(stations)
    if not meets_on_all(outcomes, target):
        ample = [s + AMPLE_EXTRA_STATIONS if s else 0 for s in stations]
        if not meets_on_all(play(ample), target):
            return outcomes[0], False  # out of reach: say so at once rather than search
    steps = 0
    max_steps = EXTRA_STEPS_PER_HALF_HOUR * sum(is_open) + 10
    while not meets_on_all(outcomes, target):
        if steps >= max_steps:
            return outcomes[0], False
        late = np.sum([o.misses for o in outcomes if not meets(o, target)], axis=0)
        misses = np.where(is_open, late, -1.0)
        i = int(np.argmax(misses))
        if misses[i] <= 0 or stations[i] >= MAX_STATIONS:
            return outcomes[0], False
        stations[i] += 1
        outcomes = play(stations)
        steps += 1
    changed = True
    while changed:
        changed = False
        for i in reversed(range(len(stations))):
            if stations[i] <= 1:
                continue
            stations[i] -= 1
            fewer = play(stations, until_a_miss=True)
            if meets_on_all(fewer, target):
                outcomes, changed = fewer, True
            else:
                stations[i] += 1
    return outcomes[0], True


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
    The plan must also hold on `replications` check days drawn with a seed of
    their own (`search_stations`).
    """

    def simulated(drawn_with: int | np.random.Generator) -> SimulatedDays:
        return SimulatedDays(
            day,
            model,
            tz=tz,
            replications=replications,
            seed=drawn_with,
            target=target,
            bookings=bookings,
            rate_variance=rate_variance,
        )

    days = simulated(seed)
    if not days.open:
        return Recommendation((), None, None, 0, True)
    check = simulated(_check_seed(seed))
    current = days.play(days.current())
    mean_service = model.mean_service_minutes()
    guess = []
    for here in current.half_hours:
        per_hour = 2.0 * (here.walk_ins + here.appointments)
        guess.append(_erlang(per_hour, mean_service, target, cap=0.99) or 1)
    recommended, found = search_stations(days, tuple(guess), check=check)
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
    return Recommendation(
        tuple(rows),
        current,
        recommended,
        days.simulated_days,
        found,
        check.play(recommended.stations).days_meeting_target,
    )


def _check_seed(seed: int | np.random.Generator) -> np.random.Generator:
    """The check days' seed: a stream apart from every stream the search days draw from `seed`."""
    if isinstance(seed, np.random.Generator):
        return seed.spawn(1)[0]
    return np.random.default_rng([seed, 1])


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
