"""Wait estimates from the live state: snapshots from the database, models from history.

The estimator itself is pure (`schedq.estimator`); this module builds its
inputs, keeps each site's fitted model in the database (refitting it when it is
older than MODEL_MAX_AGE_HOURS), and memoises results on the state they were
computed from, so any worker answers the same state with the same numbers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from schedq import estimator
from schedq.db.models import Appointment, EstimatorModelRecord, Service, Site, Ticket, VisitEvent
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import (
    AppointmentStatus,
    StationState,
    TicketKind,
    TicketStatus,
)
from schedq.domain.errors import InvalidInput, NotFound
from schedq.domain.messages import messages, walk_ins_closed
from schedq.estimator.accuracy import AccuracyScore, score
from schedq.estimator.model import FALLBACK_SERVICE_MINUTES, prior_walk_in_profile
from schedq.services.sites import (
    closures_of,
    hours_of,
    load_site,
    walk_in_refusal,
    walk_in_service,
)

HISTORY_DAYS = 8 * 7
"""How much history a refit reads: eight weeks, enough for a weekday × half-hour profile."""

SNAPSHOT_RESOLUTION_SECONDS = 15
"""States within this many seconds of one another share an estimate."""

REPLICATIONS = 1000


# Snapshots ---------------------------------------------------------------------------


def build_snapshot(uow: UnitOfWork, site: Site, now: datetime) -> estimator.SiteSnapshot:
    """Everything the estimator needs to know about `site` at `now`, read from the database."""
    tz = schedule.zone(site.timezone)
    today = schedule.local_day(now, tz)
    tickets = list(
        uow.session.scalars(
            select(Ticket).where(
                Ticket.site_id == site.id,
                Ticket.status.in_([TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.IN_SERVICE]),
            )
        )
    )
    at_station = {t.station_id: t for t in tickets if t.status is not TicketStatus.WAITING and t.station_id}
    stations = []
    for station in sorted(site.stations, key=lambda s: s.id):
        if station.state is not StationState.OPEN:
            continue
        busy = at_station.get(station.id)
        busy_with = None
        if busy is not None:
            # A called patient is walking over: their service starts about now.
            started = busy.started_at if busy.status is TicketStatus.IN_SERVICE else now
            busy_with = estimator.InService(busy.id, busy.service.code, min(started, now))
        stations.append(estimator.StationState(station.id, station.skills, busy_with))
    waiting = tuple(
        estimator.WaitingTicket(
            ticket_id=t.id,
            service_code=t.service.code,
            kind=t.kind.value,
            joined_at=t.joined_at,
            priority=t.priority,
            present=t.present,
            appointment_at=t.policy_appointment_at,
            expected_arrival_at=t.expected_arrival_at,
        )
        for t in sorted(tickets, key=lambda t: t.id)
        if t.status is TicketStatus.WAITING
    )
    closes_at = schedule.closing_time(today, hours_of(site), tz, closures_of(site))
    day_end = schedule.local_instant(today + timedelta(days=1), datetime.min.time(), tz)
    upcoming = tuple(
        estimator.UpcomingAppointment(a.id, a.service.code, a.starts_at)
        for a in uow.session.scalars(
            select(Appointment)
            .where(
                Appointment.site_id == site.id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at >= now - timedelta(minutes=site.grace_minutes),
                Appointment.starts_at < day_end,
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )
    day_start = schedule.local_instant(today, datetime.min.time(), tz)
    return estimator.SiteSnapshot(
        now=now,
        stations=tuple(stations),
        waiting=waiting,
        closes_at=closes_at,
        grace_minutes=site.grace_minutes,
        upcoming_appointments=upcoming,
        # The whole day's plan: the earlier blocks are what today's staffing is compared with.
        staffing=tuple(staffing_blocks(site, today)),
        opening_intervals=tuple(schedule.opening_intervals(today, hours_of(site), tz, closures_of(site))),
        open_station_counts=open_station_counts(uow, site, since=day_start, now=now),
        tz=site.timezone,
        walk_ins_until=None if closes_at is None else closes_at - timedelta(minutes=site.walk_in_cutoff_minutes),
    )


STATION_ACTIONS = ("station_open", "station_pause", "station_close")


def open_station_counts(uow: UnitOfWork, site: Site, *, since: datetime, now: datetime) -> tuple[tuple[datetime, int], ...]:
    """How many stations were open from `since` to `now`, as (instant, count) steps, from the station events."""
    events = list(uow.session.execute(
        select(VisitEvent.station_id, VisitEvent.at, VisitEvent.from_status, VisitEvent.to_status)
        .where(VisitEvent.site_id == site.id, VisitEvent.action.in_(STATION_ACTIONS),
               VisitEvent.at >= since, VisitEvent.at <= now)
        .order_by(VisitEvent.at, VisitEvent.id)
    ))
    first_from = {}
    for station_id, _, from_status, _ in events:
        first_from.setdefault(station_id, from_status)
    # A station's state at `since` is what its first event today changed from, else its state now.
    is_open = {
        station.id: first_from[station.id] == StationState.OPEN.value if station.id in first_from
        else station.state is StationState.OPEN
        for station in site.stations
    }
    steps = [(since, sum(is_open.values()))]
    for station_id, at, _, to_status in events:
        is_open[station_id] = to_status == StationState.OPEN.value
        steps.append((at, sum(is_open.values())))
    return tuple(steps)


def staffing_blocks(site: Site, day: date, *, after: datetime | None = None) -> list[estimator.StaffingBlock]:
    """The capacity plan of local `day` as instants, cut to opening hours (a lunch closure is a gap)."""
    tz = schedule.zone(site.timezone)
    skills = frozenset(code for station in site.stations for code in station.skills)
    blocks = []
    for start, end in schedule.opening_intervals(day, hours_of(site), tz, closures_of(site)):
        for block in site.capacity_blocks:
            if block.weekday != day.weekday():
                continue
            b_start = max(start, schedule.local_instant(day, block.starts, tz))
            b_end = min(end, schedule.local_instant(day, block.ends, tz))
            if b_start < b_end and (after is None or b_end > after):
                blocks.append(estimator.StaffingBlock(b_start, b_end, block.stations, skills or None))
    return sorted(blocks, key=lambda b: b.starts_at)


# Models ------------------------------------------------------------------------------


def service_defaults(uow: UnitOfWork) -> dict[str, float]:
    return {s.code: s.default_minutes for s in uow.session.scalars(select(Service).order_by(Service.code))}


def visit_records(uow: UnitOfWork, site: Site, *, since: datetime, until: datetime) -> list[estimator.VisitRecord]:
    """The site's visits between two instants as plain records for `estimator.fit`.

    Tickets give service, kind, joining (check-in for appointments), call, start
    and completion; appointments that never checked in are the no-shows.
    """
    records = []
    for ticket in uow.session.scalars(
        select(Ticket).where(Ticket.site_id == site.id, Ticket.joined_at >= since, Ticket.joined_at < until)
    ):
        records.append(
            estimator.VisitRecord(
                service_code=ticket.service.code,
                kind=ticket.kind.value,
                joined_at=ticket.joined_at,
                appointment_at=ticket.appointment.starts_at if ticket.appointment is not None else None,
                called_at=ticket.called_at,
                started_at=ticket.started_at,
                completed_at=ticket.completed_at,
            )
        )
    never_came = uow.session.scalars(
        select(Appointment).where(
            Appointment.site_id == site.id,
            Appointment.starts_at >= since,
            Appointment.starts_at < until,
            or_(
                Appointment.status == AppointmentStatus.NO_SHOW,
                and_(Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at < until - timedelta(hours=12)),
            ),
            ~Appointment.id.in_(select(Ticket.appointment_id).where(Ticket.appointment_id.is_not(None))),
        )
    )
    records.extend(
        estimator.VisitRecord(
            service_code=a.service.code, kind=TicketKind.APPOINTMENT.value, joined_at=None, appointment_at=a.starts_at, no_show=True
        )
        for a in never_came
    )
    return records


def prior_arrival_profile(uow: UnitOfWork, site: Site) -> tuple[tuple[float, ...], ...]:
    """The stated prior of walk-ins per hour (weekday x local half hour) from the capacity plan.

    Stations planned in each half hour of the opening hours, at the default
    mean duration of the walk-in services, times `PRIOR_LOAD_FRACTION` (docs/estimator.md, cold start).
    """
    hours = hours_of(site)
    planned = [[0.0] * 48 for _ in range(7)]
    for weekday in range(7):
        for half in range(48):
            middle = (datetime.min + timedelta(minutes=30 * half + 15)).time()
            if not any(i.weekday == weekday and i.opens <= middle < i.closes for i in hours):
                continue
            planned[weekday][half] = float(sum(
                b.stations for b in site.capacity_blocks if b.weekday == weekday and b.starts <= middle < b.ends
            ))
    minutes = [s.default_minutes for s in uow.session.scalars(select(Service).where(Service.walk_in_allowed.is_(True)))]
    mean_minutes = sum(minutes) / len(minutes) if minutes else FALLBACK_SERVICE_MINUTES
    return prior_walk_in_profile(planned, mean_minutes)


def refit(uow: UnitOfWork, *, site_id: int, now: datetime, history_days: int = HISTORY_DAYS) -> EstimatorModelRecord:
    """Fit the site's model from its own last `history_days` of visits and store it."""
    with uow:
        site = load_site(uow, site_id)
        tz = schedule.zone(site.timezone)
        today = schedule.local_day(now, tz)
        first_day = today - timedelta(days=history_days)
        since = schedule.local_instant(first_day, datetime.min.time(), tz)
        until = schedule.local_instant(today, datetime.min.time(), tz)
        records = visit_records(uow, site, since=since, until=until)
        model = estimator.fit(
            records,
            service_defaults=service_defaults(uow),
            tz=site.timezone,
            period=(first_day, today - timedelta(days=1)),
            fitted_at=now,
            prior_walk_in_rate_per_hour=prior_arrival_profile(uow, site),
        )
        stored = uow.session.get(EstimatorModelRecord, site_id)
        if stored is None:
            stored = EstimatorModelRecord(site_id=site_id, fitted_at=now, visit_count=0, model={})
            uow.session.add(stored)
        stored.fitted_at = now
        stored.visit_count = len(records)
        stored.model = model.to_dict()
        uow.commit()
        return stored


def current_model(uow: UnitOfWork, site: Site) -> estimator.FittedModel:
    """The stored model, or the service defaults and the prior arrival profile when none is stored yet."""
    stored = uow.session.get(EstimatorModelRecord, site.id)
    if stored is not None:
        try:
            return estimator.FittedModel.from_dict(stored.model)
        except (KeyError, ValueError):
            pass  # an older format: the defaults serve until the next refit
    return estimator.FittedModel.from_defaults(
        service_defaults(uow), fitted_at=None, walk_in_rate_per_hour=prior_arrival_profile(uow, site))


def model_is_stale(uow: UnitOfWork, site_id: int, now: datetime, *, max_age: timedelta) -> bool:
    stored = uow.session.get(EstimatorModelRecord, site_id)
    return stored is None or now - stored.fitted_at > max_age


# Estimates ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Estimates:
    """A site's estimates at one instant, ready to show."""

    site_id: int
    at: datetime
    tickets: dict[int, dict[str, Any]]
    newcomer: dict[str, dict[str, Any]]
    people_waiting: int
    stations_open: int
    walk_ins_open: bool


def estimate_view(wait: estimator.WaitEstimate, *, newcomer: bool = False) -> dict[str, Any]:
    """One estimate as the API shows it: minutes (null when never), flags and messages."""

    def minutes(value: float) -> float | None:
        return round(value, 1) if value != float("inf") else None

    return {
        "p10_minutes": minutes(wait.p10),
        "p50_minutes": minutes(wait.p50),
        "p90_minutes": minutes(wait.p90),
        "mean_minutes": minutes(wait.mean),
        "runs_past_close": wait.runs_past_close,
        "no_station_can_serve": wait.no_station_can_serve,
        "thin_history": wait.thin_history,
        "history_days": wait.history_days,
        "message": messages(
            wait.p10,
            wait.p90,
            runs_past_close=wait.runs_past_close,
            no_station_can_serve=wait.no_station_can_serve,
            newcomer=newcomer,
        ),
    }


class _Memo:
    """A small LRU of results keyed on the full state they were computed from."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.entries: OrderedDict[Any, Estimates] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Estimates | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: Any, value: Estimates) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_memo = _Memo()


def resolution(now: datetime) -> datetime:
    """`now` rounded down to the snapshot resolution."""
    return now - timedelta(seconds=now.second % SNAPSHOT_RESOLUTION_SECONDS, microseconds=now.microsecond)


def site_estimates(
    uow: UnitOfWork,
    site: Site,
    now: datetime,
    *,
    replications: int = REPLICATIONS,
    walk_ins_open: bool = True,
) -> Estimates:
    """Estimates for every waiting ticket and for a newcomer of each walk-in service, inside `uow`.

    A repeated state — the same site version, model and 15-second instant —
    is answered from the memo without reading the queue again.
    """
    at = resolution(now)
    state = _state(uow, site.id)
    key = ("site", state, at, walk_ins_open, replications)
    cached = _memo.get(key)
    if cached is not None:
        return cached
    snapshot = build_snapshot(uow, site, at)
    model = current_model(uow, site)
    walk_in_codes = sorted(
        {code for station in site.stations for code in station.skills}
        & {s.code for s in uow.session.scalars(select(Service).where(Service.walk_in_allowed.is_(True)))}
    )
    result = estimator.estimate(snapshot, model, replications=replications, seed=site.id, newcomer_services=walk_in_codes)
    estimates = Estimates(
        site_id=site.id,
        at=at,
        tickets={ticket_id: estimate_view(wait) for ticket_id, wait in result.tickets.items()},
        newcomer={code: estimate_view(wait, newcomer=True) for code, wait in result.newcomer.items()},
        people_waiting=result.people_waiting,
        stations_open=result.stations_open,
        walk_ins_open=walk_ins_open,
    )
    _keep(uow, key, state, estimates)
    return estimates


def _state(uow: UnitOfWork, site_id: int) -> tuple | None:
    """What names a site's state for the memos: its database, version and model."""
    uow.session.flush()
    row = uow.session.execute(
        select(Site.state_version, EstimatorModelRecord.fitted_at)
        .outerjoin(EstimatorModelRecord, EstimatorModelRecord.site_id == Site.id)
        .where(Site.id == site_id)
    ).one_or_none()
    return None if row is None else (uow.database.url, site_id, *row)


def _keep(uow: UnitOfWork, key: tuple, state: tuple | None, value: Any) -> None:
    """Memoise a result read from committed state, if nothing was committed meanwhile."""
    if not uow.write and state is not None and _state(uow, state[1]) == state:
        _memo.put(key, value)


def headline(live: Estimates, site: Site) -> dict[str, Any] | None:
    """The walk-in wait a lobby screen shows: that of the service most stations here can do."""
    if not live.newcomer:
        return None
    reach = {code: sum(code in station.skills for station in site.stations) for code in live.newcomer}
    code = max(sorted(reach), key=lambda c: reach[c])
    return {"service": code, **live.newcomer[code]}


def fresh_model(make_uow, *, site_id: int, now: datetime, max_age_hours: int) -> None:
    """Refit the site's model when it is missing or older than `max_age_hours`."""
    with make_uow(write=False) as uow:
        stale = model_is_stale(uow, site_id, now, max_age=timedelta(hours=max_age_hours))
    if stale:
        refit(make_uow(), site_id=site_id, now=now)


# Use cases the API calls -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitSummary:
    """What a patient deciding whether to come now needs: the public wait of a site."""

    site_id: int
    site_name: str
    timezone: str
    at: datetime
    walk_ins_open: bool
    walk_ins_message: dict[str, str] | None
    people_waiting: int
    stations_open: int
    services: list[dict[str, Any]]


def wait_summary(uow: UnitOfWork, *, site_id: int, now: datetime) -> WaitSummary:
    """The newcomer range per walk-in service, people waiting and stations open (no personal data)."""
    with uow:
        state = _state(uow, site_id)
        if state is None:
            raise NotFound(f"no site {site_id}")
        key = ("wait", state, resolution(now))
        cached = _memo.get(key)
        if cached is not None:
            return cached
        site = uow.session.get(Site, site_id)
        refusal = walk_in_refusal(uow, site, now)
        estimates = site_estimates(uow, site, now, walk_ins_open=refusal is None)
        names = {s.code: s.name for s in uow.session.scalars(select(Service))}
        summary = WaitSummary(
            site_id=site.id,
            site_name=site.name,
            timezone=site.timezone,
            at=estimates.at,
            walk_ins_open=refusal is None,
            walk_ins_message=None if refusal is None else {"en": refusal, "es": walk_ins_closed("es")},
            people_waiting=estimates.people_waiting,
            stations_open=estimates.stations_open,
            services=[
                {"service": code, "service_name": names.get(code, code), "estimate": view}
                for code, view in sorted(estimates.newcomer.items())
            ],
        )
        _keep(uow, key, state, summary)
        return summary


@dataclass(frozen=True, slots=True)
class AccuracyRow:
    service: str | None  # None: every service together
    score: AccuracyScore


def accuracy_report(
    uow: UnitOfWork, *, site_id: int, first_day: date, last_day: date, service_code: str | None = None
) -> list[AccuracyRow]:
    """How the ranges promised at joining held, per service and overall, between two local dates."""
    with uow:
        site = load_site(uow, site_id)
        if last_day < first_day:
            raise InvalidInput("to", "is before from")
        tz = schedule.zone(site.timezone)
        query = (
            select(Service.code, Ticket.actual_wait_minutes, Ticket.promised_p10_minutes,
                   Ticket.promised_p50_minutes, Ticket.promised_p90_minutes)
            .join(Service, Service.id == Ticket.service_id)
            .where(
                Ticket.site_id == site_id,
                Ticket.joined_at >= schedule.local_instant(first_day, datetime.min.time(), tz),
                Ticket.joined_at < schedule.local_instant(last_day + timedelta(days=1), datetime.min.time(), tz),
                Ticket.actual_wait_minutes.is_not(None),
                Ticket.promised_p50_minutes.is_not(None),
                Ticket.promised_p90_minutes.is_not(None),
            )
            .order_by(Service.code)
        )
        if service_code is not None:
            query = query.where(Service.code == service_code)
        rows = uow.session.execute(query).all()
    by_service: dict[str | None, list] = {None: rows}
    for row in rows:
        by_service.setdefault(row[0], []).append(row)
    return [
        AccuracyRow(code, score([r[1] for r in group], [r[3] for r in group], [r[2] for r in group], [r[4] for r in group]))
        for code, group in by_service.items()
    ]


def model_summary(uow: UnitOfWork, *, site_id: int, now: datetime) -> dict[str, Any]:
    """What the site's history taught the estimator, for managers."""
    with uow:
        site = load_site(uow, site_id)
        stored = uow.session.get(EstimatorModelRecord, site_id)
        model = current_model(uow, site)
        return {
            "site_id": site_id,
            "fitted_at": stored.fitted_at if stored else None,
            "visit_count": stored.visit_count if stored else 0,
            "history_days": model.history_days,
            "no_show_rate": round(model.no_show_rate, 4),
            "lateness_mean_minutes": round(model.lateness.mean_minutes, 1),
            "services": [
                {
                    "service": code,
                    "mean_minutes": round(m.mean_minutes, 2),
                    "median_minutes": round(m.median_minutes, 2),
                    "observations": m.n_observations,
                }
                for code, m in sorted(model.services.items())
            ],
        }


# Best time to come --------------------------------------------------------------------

BEST_TIME_DAYS = 7
BEST_TIME_REPLICATIONS = 200
BEST_TIME_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class BestTimes:
    site_id: int
    timezone: str
    service: str
    at: datetime
    half_hours: list[dict[str, Any]]
    best: list[dict[str, Any]]


def half_hour_view(wait: estimator.HalfHourWait, timezone_name: str) -> dict[str, Any]:
    def minutes(value: float | None) -> float | None:
        return None if value is None or value == float("inf") else round(value, 1)

    told = wait.open_for_walk_ins and wait.p90 is not None
    return {
        "starts_at": wait.starts_at,
        "ends_at": wait.ends_at,
        "timezone": timezone_name,
        "open_for_walk_ins": wait.open_for_walk_ins,
        "p10_minutes": minutes(wait.p10),
        "p50_minutes": minutes(wait.p50),
        "p90_minutes": minutes(wait.p90),
        "mean_minutes": minutes(wait.mean),
        "expected_walk_ins": round(wait.expected_walk_ins, 2),
        "thin_history": wait.thin_history,
        "history_days": wait.history_days,
        "message": messages(
            wait.p10, wait.p90, runs_past_close=wait.runs_past_close,
            no_station_can_serve=wait.no_station_can_serve, newcomer=True,
        ) if told else None,
    }


def day_plan(uow: UnitOfWork, site: Site, day: date) -> estimator.DayPlan:
    """What the site knows of local `day`: hours, capacity plan, stations and bookings."""
    tz = schedule.zone(site.timezone)
    start = schedule.local_instant(day, datetime.min.time(), tz)
    end = schedule.local_instant(day + timedelta(days=1), datetime.min.time(), tz)
    booked = uow.session.scalars(
        select(Appointment)
        .where(
            Appointment.site_id == site.id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return estimator.DayPlan(
        local_date=day,
        opening_intervals=tuple(schedule.opening_intervals(day, hours_of(site), tz, closures_of(site))),
        staffing=tuple(staffing_blocks(site, day)),
        station_skills=tuple(s.skills for s in sorted(site.stations, key=lambda s: s.id)),
        appointments=tuple(estimator.BookedAppointment(a.starts_at, a.service.code) for a in booked),
        walk_in_cutoff_minutes=site.walk_in_cutoff_minutes,
        grace_minutes=site.grace_minutes,
    )


def best_times(uow: UnitOfWork, *, site_id: int, service_code: str, now: datetime) -> BestTimes:
    """The expected wait for a walk-in arriving in each half hour of today and the next six days."""
    with uow:
        site = load_site(uow, site_id)
        walk_in_service(uow, site, service_code)
        at = now - (now - datetime.min.replace(tzinfo=now.tzinfo)) % BEST_TIME_RESOLUTION
        tz = schedule.zone(site.timezone)
        today = schedule.local_day(at, tz)
        state = _state(uow, site.id)
        key = ("best", state, service_code, at)
        cached = _memo.get(key)
        if cached is not None:
            return cached
        plans = tuple(day_plan(uow, site, today + timedelta(days=n)) for n in range(BEST_TIME_DAYS))
        snapshot = build_snapshot(uow, site, at)
        model = current_model(uow, site)
        half_hours = estimator.best_times(
            plans, model, service_code=service_code, tz=site.timezone,
            replications=BEST_TIME_REPLICATIONS, seed=site.id, today_snapshot=snapshot,
        )
        open_ones = [h for h in half_hours if h.open_for_walk_ins and h.p90 is not None and h.p90 != float("inf")]
        best = sorted(sorted(open_ones, key=lambda h: (round(h.p90), h.starts_at))[:3], key=lambda h: h.starts_at)
        result = BestTimes(
            site.id,
            site.timezone,
            service_code,
            at,
            [half_hour_view(h, site.timezone) for h in half_hours],
            [half_hour_view(h, site.timezone) for h in best],
        )
        _keep(uow, key, state, result)
        return result
