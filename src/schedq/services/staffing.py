"""Staffing: the stations each half hour of a weekday needs to meet the target, and what-if (docs/staffing.md).

Reads the site (hours, walk-in cut-off, target), its fitted model, its
capacity plan and stations, and its history of booked appointments, and
hands them to the pure search (`schedq.estimator.staffing`). The simulated
day is the next local date on that weekday, with the weekly hours (a closed
date in the calendar does not close the weekday). Results are kept in the
shared store under a state naming every input, so the same question is
simulated once across workers and a changed plan is simulated afresh.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from schedq import estimator
from schedq.db.models import Appointment, Service, Site, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import AppointmentStatus, TicketKind
from schedq.domain.errors import InvalidInput
from schedq.estimator.model import HALF_HOURS_PER_DAY, half_hour_of
from schedq.estimator.staffing import (
    PlanOutcome,
    Target,
    at_observed_walk_in_level,
    pooled_walk_in_shape,
    recommend_staffing,
    walk_in_rate_variance,
    what_if,
)
from schedq.services.estimates.models import HISTORY_DAYS, current_model
from schedq.services.estimates.states import shared
from schedq.services.sites import closures_of, hours_of, load_site, plan_of

STAFFING_REPLICATIONS = 1200
"""Simulated days per question (the app's `STAFFING_REPLICATIONS` setting overrides it)."""

DAYS_PERCENT = 95
"""Default share of days (%) that must meet the service-level target."""

MAX_MISSING_STATIONS = 50

ANSWER_VERSION = 3
"""Part of every stored answer's state: raised when the search's rule or the answer's fields change
(2: the check days, docs/staffing.md "The search"; 3: the pooled walk-in shape, "The walk-in profile's
shape"), so an answer kept under the old rule is not served."""


@dataclass(frozen=True, slots=True)
class StaffingDay:
    """What the search needs of a site's weekday: the day plan, the model and the target."""

    site: Site
    local_date: date
    plan: estimator.DayPlan
    model: estimator.FittedModel
    target: Target
    tz: ZoneInfo
    bookings: tuple[tuple[estimator.BookedAppointment, ...], ...] = ()
    walk_ins_per_day: tuple[int, ...] = ()  # on the past open days of the weekday
    # (past open days, walk-ins per local half hour) of each weekday with the same hours, this one first
    walk_in_half_hours: tuple[tuple[int, tuple[int, ...]], ...] = ()

    def planned_model(self) -> estimator.FittedModel:
        """The model the search plays: the weekday's walk-ins at the past days' level, in the pooled shape."""
        weekday = self.local_date.weekday()
        shape = pooled_walk_in_shape(
            self.model,
            weekday,
            [counts for _, counts in self.walk_in_half_hours],
            [days for days, _ in self.walk_in_half_hours],
        )
        return at_observed_walk_in_level(self.model, weekday, self.walk_ins_per_day, shape)


def next_date_on(weekday: int, today: date) -> date:
    """The first local date on `weekday` from `today` on."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def history_start(uow: UnitOfWork, site: Site) -> date | None:
    """The local date of the site's first ticket or booking; None: no history yet."""
    firsts = [
        uow.session.scalar(select(func.min(Ticket.joined_at)).where(Ticket.site_id == site.id)),
        uow.session.scalar(select(func.min(Appointment.starts_at)).where(Appointment.site_id == site.id)),
    ]
    seen = [f for f in firsts if f is not None]
    return schedule.local_day(min(seen), schedule.zone(site.timezone)) if seen else None


def past_open_days(site: Site, *, weekday: int, today: date, since: date | None) -> list[date]:
    """The past open days on `weekday` in the last `HISTORY_DAYS`, from `since` (`history_start`) on."""
    if since is None:
        return []  # no history yet
    tz = schedule.zone(site.timezone)
    hours, closed = hours_of(site), closures_of(site)
    return [
        d
        for d in (today - timedelta(days=n) for n in range(1, HISTORY_DAYS + 1))
        if d >= since and d.weekday() == weekday and schedule.opening_intervals(d, hours, tz, closed)
    ]


def past_bookings(
    uow: UnitOfWork, site: Site, open_days: list[date], *, on: date
) -> list[tuple[estimator.BookedAppointment, ...]]:
    """Each of the past open days (`past_open_days`): its bookings, moved to the date `on`.

    Booked and not cancelled (no-shows count: the model's no-show rate
    removes them again), at the same local wall time. The simulated days are
    shared among these days, so they vary in their bookings as the past did.
    """
    tz = schedule.zone(site.timezone)
    if not open_days:
        return []
    start = schedule.local_instant(min(open_days), time(0), tz)
    end = schedule.local_instant(max(open_days) + timedelta(days=1), time(0), tz)
    rows = uow.session.execute(
        select(Appointment.starts_at, Service.code)
        .join(Service, Service.id == Appointment.service_id)
        .where(
            Appointment.site_id == site.id,
            Appointment.status != AppointmentStatus.CANCELLED,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
        .order_by(Appointment.starts_at, Service.code)
    ).all()
    by_day: dict[date, list[estimator.BookedAppointment]] = {d: [] for d in open_days}
    for starts_at, code in rows:
        local = starts_at.astimezone(tz)
        if local.date() in by_day:
            wall = local.time().replace(tzinfo=None)
            by_day[local.date()].append(
                estimator.BookedAppointment(schedule.local_instant(on, wall, tz), code)
            )
    return [tuple(by_day[d]) for d in sorted(by_day)]


def _walk_in_joins(uow: UnitOfWork, site: Site, start: datetime, end: datetime) -> Sequence[datetime]:
    """When each walk-in (kiosk or remote) joined the site's line in [start, end)."""
    return uow.session.scalars(
        select(Ticket.joined_at).where(
            Ticket.site_id == site.id,
            Ticket.kind.in_([TicketKind.WALK_IN, TicketKind.REMOTE]),
            Ticket.joined_at >= start,
            Ticket.joined_at < end,
        )
    ).all()


def same_hours_weekdays(site: Site, weekday: int) -> list[int]:
    """`weekday` and then every other weekday with exactly its weekly opening hours."""
    hours = hours_of(site)

    def intervals(day: int) -> list[tuple[time, time]]:
        return sorted((h.opens, h.closes) for h in hours if h.weekday == day)

    own = intervals(weekday)
    return [weekday] + [d for d in range(7) if d != weekday and own and intervals(d) == own]


def past_walk_ins(
    uow: UnitOfWork, site: Site, open_days: dict[int, list[date]]
) -> tuple[tuple[int, ...], tuple[tuple[int, tuple[int, ...]], ...]]:
    """The walk-ins (kiosk and remote) of the past open days of the weekdays given (`past_open_days`, the
    weekday asked first and then those with its hours, `same_hours_weekdays`), read in one pass:

    - how many joined on each past open day of the first weekday: the days its
      arrival rate was learned from, how far that rate may be off and how much
      the days differ (`estimator.staffing.walk_in_rate_variance`);
    - for each weekday, its number of past open days and how many joined in
      each local half hour of them: the site's own evidence of the shape of a
      weekday's walk-ins over the day (`estimator.staffing.pooled_walk_in_shape`,
      docs/staffing.md).
    """
    tz = schedule.zone(site.timezone)
    weekday = next(iter(open_days))
    seen = {day for days in open_days.values() for day in days}
    per_day = dict.fromkeys(open_days[weekday], 0)
    by_half_hour = {d: [0] * HALF_HOURS_PER_DAY for d in open_days}
    if seen:
        start = schedule.local_instant(min(seen), time(0), tz)
        end = schedule.local_instant(max(seen) + timedelta(days=1), time(0), tz)
        for at in _walk_in_joins(uow, site, start, end):
            local = at.astimezone(tz)
            if local.date() not in seen or local.weekday() not in by_half_hour:
                continue
            by_half_hour[local.weekday()][half_hour_of(local)] += 1
            if local.date() in per_day:
                per_day[local.date()] += 1
    return (
        tuple(per_day[d] for d in sorted(per_day)),
        tuple((len(days), tuple(by_half_hour[d])) for d, days in open_days.items()),
    )


def staffing_day(
    uow: UnitOfWork,
    *,
    site_id: int,
    weekday: int,
    now: datetime,
    sla_minutes: int | None = None,
    sla_percent: int | None = None,
    days_percent: int | None = None,
) -> StaffingDay:
    """The site's weekday as the search sees it: its next date, weekly hours, plan, stations, bookings."""
    if not 0 <= weekday <= 6:
        raise InvalidInput("weekday", "must be between 0 (Monday) and 6 (Sunday)")
    site = load_site(uow, site_id)
    tz = schedule.zone(site.timezone)
    today = schedule.local_day(now, tz)
    on = next_date_on(weekday, today)
    target = Target(
        sla_minutes=site.sla_minutes if sla_minutes is None else sla_minutes,
        sla_percent=site.sla_percent if sla_percent is None else sla_percent,
        days_percent=DAYS_PERCENT if days_percent is None else days_percent,
    )
    hours = hours_of(site)
    plan = estimator.DayPlan(
        local_date=on,
        opening_intervals=tuple(schedule.opening_intervals(on, hours, tz)),
        staffing=tuple(_weekly_blocks(site, on)),
        station_skills=tuple(s.skills for s in sorted(site.stations, key=lambda s: s.id)),
        walk_in_cutoff_minutes=site.walk_in_cutoff_minutes,
        grace_minutes=site.grace_minutes,
    )
    since = history_start(uow, site)
    open_days = {
        d: past_open_days(site, weekday=d, today=today, since=since)
        for d in same_hours_weekdays(site, weekday)
    }
    bookings = tuple(past_bookings(uow, site, open_days[weekday], on=on))
    walk_ins, by_half_hour = past_walk_ins(uow, site, open_days)
    return StaffingDay(site, on, plan, current_model(uow, site), target, tz, bookings, walk_ins, by_half_hour)


def _weekly_blocks(site: Site, on: date) -> list[estimator.StaffingBlock]:
    """The capacity plan of the date's weekday cut to its weekly hours (as `staffing_blocks`, closed dates aside)."""
    tz = schedule.zone(site.timezone)
    skills = frozenset(code for station in site.stations for code in station.skills)
    blocks = []
    for start, end in schedule.opening_intervals(on, hours_of(site), tz):
        for block in site.capacity_blocks:
            if block.weekday != on.weekday():
                continue
            b_start = max(start, schedule.local_instant(on, block.starts, tz))
            b_end = min(end, schedule.local_instant(on, block.ends, tz))
            if b_start < b_end:
                blocks.append(estimator.StaffingBlock(b_start, b_end, block.stations, skills or None))
    return sorted(blocks, key=lambda b: b.starts_at)


def _state(day: StaffingDay, kind: str, replications: int, extra: tuple = ()) -> str:
    """A name for everything the answer depends on (the store keeps one answer per state).

    Skills are sorted: a frozenset's order differs between processes, the name must not.
    """
    plan = day.plan
    parts = (
        ANSWER_VERSION,
        kind,
        plan.local_date,
        plan.opening_intervals,
        [(b.starts_at, b.ends_at, b.stations, sorted(b.added_station_skills or ())) for b in plan.staffing],
        [sorted(skills) for skills in plan.station_skills],
        plan.walk_in_cutoff_minutes,
        plan.grace_minutes,
        day.bookings,
        day.walk_ins_per_day,
        day.walk_in_half_hours,
        day.target,
        day.model.fitted_at,
        day.model.history_days,
        replications,
        extra,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _minutes(value: float | None) -> float | None:
    """Minutes rounded for people; None for nobody, and for a wait that never ends (nobody can serve)."""
    if value is None or not math.isfinite(value):
        return None
    return round(value, 1)


def _fraction(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _outcome(outcome: PlanOutcome | None) -> dict[str, Any]:
    if outcome is None:
        return {
            "station_hours": 0.0,
            "days_meeting_target": None,
            "within_target": None,
            "wait_p50_minutes": None,
            "wait_p90_minutes": None,
        }
    return {
        "station_hours": round(outcome.station_hours, 2),
        "days_meeting_target": _fraction(outcome.days_meeting_target),
        "within_target": _fraction(outcome.within_target),
        "wait_p50_minutes": _minutes(outcome.wait_p50_minutes),
        "wait_p90_minutes": _minutes(outcome.wait_p90_minutes),
    }


def _wall(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%H:%M")


def _target(target: Target) -> dict[str, int]:
    return {
        "sla_minutes": int(target.sla_minutes),
        "sla_percent": int(target.sla_percent),
        "days_percent": int(target.days_percent),
    }


def export_plan(
    site: Site, day: StaffingDay, stations: list[tuple[datetime, datetime, int]]
) -> dict[str, Any]:
    """The site's capacity plan with this weekday's blocks replaced by `stations` per half hour.

    Keeps every other weekday's blocks and, per half hour, the current plan's
    appointment seats per slot; merges equal consecutive half hours; cut to
    the weekday's opening hours (a lunch closure stays a gap).
    """
    tz, weekday = day.tz, day.local_date.weekday()
    current = plan_of(site)
    pieces: list[tuple[time, time, int, int]] = []
    for starts_at, ends_at, count in stations:
        if count < 1:
            continue
        for opens, closes in day.plan.opening_intervals:
            a, b = max(starts_at, opens), min(ends_at, closes)
            if a >= b:
                continue
            wall_a, wall_b = a.astimezone(tz).time(), b.astimezone(tz).time()
            if wall_b <= wall_a:
                continue  # midnight or a daylight-saving fold: no wall-time block can say it
            seats = next(
                (c.seats_per_slot for c in current if c.weekday == weekday and c.starts <= wall_a < c.ends), 0
            )
            if pieces and pieces[-1][1] == wall_a and pieces[-1][2:] == (count, seats):
                pieces[-1] = (pieces[-1][0], wall_b, count, seats)
            else:
                pieces.append((wall_a, wall_b, count, seats))
    blocks = [
        {
            "weekday": b.weekday,
            "starts": b.starts.strftime("%H:%M"),
            "ends": b.ends.strftime("%H:%M"),
            "stations": b.stations,
            "seats_per_slot": b.seats_per_slot,
        }
        for b in current
        if b.weekday != weekday
    ] + [
        {
            "weekday": weekday,
            "starts": a.strftime("%H:%M"),
            "ends": b.strftime("%H:%M"),
            "stations": count,
            "seats_per_slot": seats,
        }
        for a, b, count, seats in pieces
    ]
    blocks.sort(key=lambda b: (b["weekday"], b["starts"]))
    return {"slot_minutes": site.slot_minutes, "blocks": blocks}


def staffing_recommendation(
    uow: UnitOfWork,
    *,
    site_id: int,
    weekday: int,
    now: datetime,
    sla_minutes: int | None = None,
    sla_percent: int | None = None,
    days_percent: int | None = None,
    replications: int = STAFFING_REPLICATIONS,
) -> dict[str, Any]:
    """The fewest stations per half hour of `weekday` that meet the target, beside the current plan."""
    with uow:
        day = staffing_day(
            uow,
            site_id=site_id,
            weekday=weekday,
            now=now,
            sla_minutes=sla_minutes,
            sla_percent=sla_percent,
            days_percent=days_percent,
        )
        site = day.site

        def compute() -> dict[str, Any]:
            found = recommend_staffing(
                day.plan,
                day.planned_model(),
                tz=day.tz,
                target=day.target,
                replications=replications,
                seed=site.id * 7 + weekday,
                bookings=day.bookings,
                rate_variance=walk_in_rate_variance(day.walk_ins_per_day),
            )
            rows = [
                {
                    "starts": _wall(h.starts_at, day.tz),
                    "ends": _wall(h.ends_at, day.tz),
                    "walk_ins": round(h.walk_ins, 2),
                    "appointments": round(h.appointments, 2),
                    "current_stations": h.current_stations,
                    "recommended_stations": h.recommended_stations,
                    "erlang_c_stations": h.erlang_c_stations,
                }
                for h in found.half_hours
            ]
            chosen = (
                found.recommended.stations if found.recommended is not None else (0,) * len(found.half_hours)
            )
            return {
                "site_id": site.id,
                "weekday": weekday,
                "target": _target(day.target),
                "thin_history": day.model.thin_history,
                "history_days": day.model.history_days,
                "simulated_days": found.simulated_days,
                "half_hours": rows,
                "current": _outcome(found.current),
                "recommended": _outcome(found.recommended),
                "check_days_meeting_target": _fraction(found.check_days_meeting_target),
                "capacity_plan": export_plan(
                    site,
                    day,
                    [(h.starts_at, h.ends_at, n) for h, n in zip(found.half_hours, chosen)],
                ),
            }

        return shared(
            uow,
            site_id=site.id,
            kind=f"staffing/{weekday}",
            state=_state(day, "staffing", replications, (tuple(plan_of(site)), site.slot_minutes)),
            compute=compute,
            now=now,
            stale_ok=False,
        ).payload


def _cutoff_minutes(day: StaffingDay, walk_in_cutoff: time) -> int:
    """Minutes before the weekday's closing that the walk-in line closes at local `walk_in_cutoff`."""
    closes = day.plan.closes_at
    if closes is None:
        return 0
    at = schedule.local_instant(day.local_date, walk_in_cutoff, day.tz)
    return max(0, math.ceil((closes - at).total_seconds() / 60.0))


def staffing_what_if(
    uow: UnitOfWork,
    *,
    site_id: int,
    weekday: int,
    now: datetime,
    walk_in_cutoff: time | None = None,
    missing_stations: int = 0,
    replications: int = STAFFING_REPLICATIONS,
) -> dict[str, Any]:
    """The weekday as planned against the walk-in line closing at another time and/or stations missing."""
    if walk_in_cutoff is None and missing_stations == 0:
        raise InvalidInput("walk_in_cutoff", "give a walk-in cut-off or a number of missing stations")
    if not 0 <= missing_stations <= MAX_MISSING_STATIONS:
        raise InvalidInput("missing_stations", f"must be between 0 and {MAX_MISSING_STATIONS}")
    with uow:
        day = staffing_day(uow, site_id=site_id, weekday=weekday, now=now)
        site = day.site
        cutoff = None if walk_in_cutoff is None else _cutoff_minutes(day, walk_in_cutoff)

        def compute() -> dict[str, Any]:
            found = what_if(
                day.plan,
                day.planned_model(),
                tz=day.tz,
                target=day.target,
                walk_in_cutoff_minutes=cutoff,
                missing_stations=missing_stations,
                replications=replications,
                seed=site.id * 7 + weekday,
                bookings=day.bookings,
                rate_variance=walk_in_rate_variance(day.walk_ins_per_day),
            )
            rows = []
            if found.baseline is not None and found.what_if is not None:
                for base, changed in zip(found.baseline.half_hours, found.what_if.half_hours):
                    rows.append(
                        {
                            "starts": _wall(base.starts_at, day.tz),
                            "ends": _wall(base.ends_at, day.tz),
                            "baseline": _half_hour(base),
                            "what_if": _half_hour(changed),
                        }
                    )
            return {
                "site_id": site.id,
                "weekday": weekday,
                "target": _target(day.target),
                "changes": {
                    "walk_in_cutoff": None if walk_in_cutoff is None else walk_in_cutoff.strftime("%H:%M"),
                    "missing_stations": missing_stations,
                },
                "simulated_days": found.simulated_days,
                "half_hours": rows,
                "baseline": _what_if_outcome(found.baseline),
                "what_if": _what_if_outcome(found.what_if),
            }

        return shared(
            uow,
            site_id=site.id,
            kind=f"what-if/{weekday}",
            state=_state(day, "what-if", replications, (cutoff, missing_stations)),
            compute=compute,
            now=now,
            stale_ok=False,
        ).payload


def _half_hour(h: estimator.staffing.HalfHourOutcome) -> dict[str, Any]:
    return {
        "walk_ins": round(h.walk_ins, 2),
        "stations": h.stations,
        "wait_p50_minutes": _minutes(h.wait_p50_minutes),
        "wait_p90_minutes": _minutes(h.wait_p90_minutes),
        "within_target": _fraction(h.within_target),
    }


def _what_if_outcome(outcome: PlanOutcome | None) -> dict[str, Any]:
    if outcome is None:
        return {
            "days_meeting_target": None,
            "within_target": None,
            "wait_p50_minutes": None,
            "wait_p90_minutes": None,
            "walk_ins": 0.0,
            "walk_ins_turned_away": 0.0,
        }
    return {
        "days_meeting_target": _fraction(outcome.days_meeting_target),
        "within_target": _fraction(outcome.within_target),
        "wait_p50_minutes": _minutes(outcome.wait_p50_minutes),
        "wait_p90_minutes": _minutes(outcome.wait_p90_minutes),
        "walk_ins": round(outcome.walk_ins, 2),
        "walk_ins_turned_away": round(outcome.walk_ins_turned_away, 2),
    }
