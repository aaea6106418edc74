"""Wait estimates from the live state: snapshots from the database, models from history.

The estimator itself is pure (`schedq.estimator`); this module builds its
inputs and keeps each site's fitted model in the database (refitting it when it
is older than MODEL_MAX_AGE_HOURS). Results are computed once per site state
and shared by every worker through `estimate_store` (single flight): a state is
the site's `state_version`, the model's `fitted_at` and the 15-second instant,
so a read whose state is already stored does no estimator work and no writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

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
from schedq.domain.messages import CountedFrom, messages
from schedq.domain.site_status import SiteState, SiteStatus
from schedq.estimator.accuracy import AccuracyScore, score
from schedq.estimator.model import FALLBACK_SERVICE_MINUTES, prior_walk_in_profile
from schedq.services.estimate_store import Stored, decode, encode, store_for
from schedq.services.sites import (
    closures_of,
    hours_of,
    load_site,
    status_of,
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
            started = (busy.started_at if busy.status is TicketStatus.IN_SERVICE else None) or now
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
        walk_ins_until=None
        if closes_at is None
        else closes_at - timedelta(minutes=site.walk_in_cutoff_minutes),
    )


STATION_ACTIONS = ("station_open", "station_pause", "station_close")


def open_station_counts(
    uow: UnitOfWork, site: Site, *, since: datetime, now: datetime
) -> tuple[tuple[datetime, int], ...]:
    """How many stations were open from `since` to `now`, as (instant, count) steps, from the station events."""
    events = list(
        uow.session.execute(
            select(VisitEvent.station_id, VisitEvent.at, VisitEvent.from_status, VisitEvent.to_status)
            .where(
                VisitEvent.site_id == site.id,
                VisitEvent.action.in_(STATION_ACTIONS),
                VisitEvent.at >= since,
                VisitEvent.at <= now,
            )
            .order_by(VisitEvent.at, VisitEvent.id)
        )
    )
    first_from: dict[int | None, str | None] = {}
    for station_id, _, from_status, _ in events:
        first_from.setdefault(station_id, from_status)
    # A station's state at `since` is what its first event today changed from, else its state now.
    is_open: dict[int | None, bool] = {
        station.id: first_from[station.id] == StationState.OPEN.value
        if station.id in first_from
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


def visit_records(
    uow: UnitOfWork, site: Site, *, since: datetime, until: datetime
) -> list[estimator.VisitRecord]:
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
                and_(
                    Appointment.status == AppointmentStatus.BOOKED,
                    Appointment.starts_at < until - timedelta(hours=12),
                ),
            ),
            ~Appointment.id.in_(select(Ticket.appointment_id).where(Ticket.appointment_id.is_not(None))),
        )
    )
    records.extend(
        estimator.VisitRecord(
            service_code=a.service.code,
            kind=TicketKind.APPOINTMENT.value,
            joined_at=None,
            appointment_at=a.starts_at,
            no_show=True,
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
            planned[weekday][half] = float(
                sum(
                    b.stations
                    for b in site.capacity_blocks
                    if b.weekday == weekday and b.starts <= middle < b.ends
                )
            )
    minutes = [
        s.default_minutes
        for s in uow.session.scalars(select(Service).where(Service.walk_in_allowed.is_(True)))
    ]
    mean_minutes = sum(minutes) / len(minutes) if minutes else FALLBACK_SERVICE_MINUTES
    return prior_walk_in_profile(planned, mean_minutes)


def refit(
    uow: UnitOfWork, *, site_id: int, now: datetime, history_days: int = HISTORY_DAYS
) -> EstimatorModelRecord:
    """Fit the site's model from its own last `history_days` of visits and store it."""
    with uow:
        site = load_site(uow, site_id)
        tz = schedule.zone(site.timezone)
        today = schedule.local_day(now, tz)
        first_day = today - timedelta(days=history_days)
        since = schedule.local_instant(first_day, datetime.min.time(), tz)
        until = schedule.local_instant(today, datetime.min.time(), tz)
        records = visit_records(uow, site, since=since, until=until)
        past = opening_intervals_between(site, first_day, today)
        model = estimator.fit(
            records,
            service_defaults=service_defaults(uow),
            tz=site.timezone,
            period=(first_day, today - timedelta(days=1)),
            fitted_at=now,
            prior_walk_in_rate_per_hour=prior_arrival_profile(uow, site),
            closure_starts=[end for day in past for (_, end), (reopens, _) in pairwise(day) if reopens > end],
            opening_starts=[opens for day in past for opens, _ in day],
        )
        stored = uow.session.get(EstimatorModelRecord, site_id)
        if stored is None:
            stored = EstimatorModelRecord(site_id=site_id, fitted_at=now, visit_count=0, model={})
            uow.session.add(stored)
            try:
                uow.session.flush()
            except IntegrityError:
                # A concurrent request stored the site's first model a moment ago: overwrite that one.
                uow.rollback()
                stored = uow.session.get_one(EstimatorModelRecord, site_id)
        stored.fitted_at = now
        stored.visit_count = len(records)
        stored.model = model.to_dict()
        uow.commit()
        return stored


def opening_intervals_between(
    site: Site, first_day: date, end_day: date
) -> list[list[tuple[datetime, datetime]]]:
    """Each local day's opening intervals (UTC), from `first_day` up to, not including, `end_day`."""
    tz = schedule.zone(site.timezone)
    hours, closed = hours_of(site), closures_of(site)
    return [
        list(schedule.opening_intervals(first_day + timedelta(days=offset), hours, tz, closed))
        for offset in range((end_day - first_day).days)
    ]


def current_model(uow: UnitOfWork, site: Site) -> estimator.FittedModel:
    """The stored model, or the service defaults and the prior arrival profile when none is stored yet."""
    stored = uow.session.get(EstimatorModelRecord, site.id)
    if stored is not None:
        try:
            return estimator.FittedModel.from_dict(stored.model)
        except (KeyError, ValueError):
            pass  # an older format: the defaults serve until the next refit
    return estimator.FittedModel.from_defaults(
        service_defaults(uow), fitted_at=None, walk_in_rate_per_hour=prior_arrival_profile(uow, site)
    )


def model_fitted_at(uow: UnitOfWork, site_id: int) -> datetime | None:
    """When the site's stored model was fitted (None: none stored), without loading the model."""
    return uow.session.scalar(
        select(EstimatorModelRecord.fitted_at).where(EstimatorModelRecord.site_id == site_id)
    )


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
    status: SiteStatus
    # True: the previous state's answer, `age_seconds` old, served while another worker computes this one.
    stale: bool = False
    age_seconds: float = 0.0


def estimate_view(
    wait: estimator.WaitEstimate, *, newcomer: bool = False, status: SiteStatus | None = None
) -> dict[str, Any]:
    """One estimate as the API shows it: minutes (null when never), flags and messages.

    While the site is closed until later today (before opening, a midday
    break), the words count the range from the (re)opening and say so.
    """

    def minutes(value: float) -> float | None:
        return round(value, 1) if value != float("inf") else None

    counted_from = None
    if status is not None and status.waits_count_from is not None:
        opening = status.waits_count_from
        counted_from = CountedFrom(
            time=f"{opening.astimezone(schedule.zone(status.timezone)):%H:%M}",
            minutes_away=(opening - status.at).total_seconds() / 60,
            reopening=status.state is SiteState.MIDDAY_BREAK,
        )

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
            counted_from=counted_from,
        ),
    }


def resolution(now: datetime) -> datetime:
    """`now` rounded down to the snapshot resolution."""
    return now - timedelta(seconds=now.second % SNAPSHOT_RESOLUTION_SECONDS, microseconds=now.microsecond)


def site_state(uow: UnitOfWork, site_id: int, at: datetime, *, with_version: bool = True) -> str:
    """The name of a site's state at instant `at`: its version, its model and the instant (NotFound when absent).

    One cheap read; it names the shared estimates and the ETags of public reads.
    `with_version=False` leaves the version out: the answer then changes only
    with the model and the instant (best times, a plan for the week ahead,
    are renewed each `BEST_TIME_RESOLUTION` rather than at every call or join).
    """
    uow.session.flush()
    row = uow.session.execute(
        select(Site.state_version, EstimatorModelRecord.fitted_at)
        .outerjoin(EstimatorModelRecord, EstimatorModelRecord.site_id == Site.id)
        .where(Site.id == site_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no site {site_id}")
    return state_name(*row, at, with_version)


def state_name(version: int, fitted_at: datetime | None, at: datetime, with_version: bool = True) -> str:
    """A state's name from the site's version, its model's `fitted_at` and the instant."""
    model = f"m{fitted_at.isoformat() if fitted_at else '-'}/t{at.isoformat()}"
    return f"v{version}/{model}" if with_version else model


def shared(
    uow: UnitOfWork,
    *,
    site_id: int,
    kind: str,
    state: str,
    compute: Callable[[], Any],
    now: datetime,
    stale_ok: bool,
) -> Stored:
    """`compute()` once per state for every worker, through the store; inside a write, computed here and not kept.

    A write transaction (or a request's shared transaction, `db.uow`) may hold
    changes that are never committed, so what it sees must not be shared under
    a state name another change may take; and the store's own connection
    would wait behind that transaction's locks.
    """
    if uow.sees_uncommitted:
        return Stored(decode(encode(compute())), state, now, fresh=True)
    return store_for(uow.database).fetch(
        site_id=site_id, kind=kind, state=state, compute=compute, now=now, stale_ok=stale_ok
    )


def compute_site_estimates(
    uow: UnitOfWork, site: Site, at: datetime, *, replications: int = REPLICATIONS
) -> dict[str, Any]:
    """Run the estimator on the site's state at `at`: every waiting ticket and a newcomer of each walk-in service."""
    snapshot = build_snapshot(uow, site, at)
    model = current_model(uow, site)
    walk_in_codes = sorted(
        {code for station in site.stations for code in station.skills}
        & {s.code for s in uow.session.scalars(select(Service).where(Service.walk_in_allowed.is_(True)))}
    )
    result = estimator.estimate(
        snapshot, model, replications=replications, seed=site.id, newcomer_services=walk_in_codes
    )
    status = status_of(uow, site, at)
    return {
        "at": at,
        "tickets": {
            str(ticket_id): estimate_view(wait, status=status) for ticket_id, wait in result.tickets.items()
        },
        "newcomer": {
            code: estimate_view(wait, newcomer=True, status=status) for code, wait in result.newcomer.items()
        },
        "people_waiting": result.people_waiting,
        "stations_open": result.stations_open,
    }


def site_estimates(
    uow: UnitOfWork,
    site: Site,
    now: datetime,
    *,
    replications: int = REPLICATIONS,
    stale_ok: bool = True,
) -> Estimates:
    """Estimates for every waiting ticket and for a newcomer of each walk-in service, inside `uow`.

    Computed once per state (site version, model, 15-second instant) for every
    worker. `stale_ok`: while another worker computes a new state, the
    previous state's answer will do (its age is given).
    """
    at = resolution(now)
    stored = shared(
        uow,
        site_id=site.id,
        kind=f"site/{replications}",
        state=site_state(uow, site.id, at),
        compute=lambda: compute_site_estimates(uow, site, at, replications=replications),
        now=now,
        stale_ok=stale_ok,
    )
    payload = stored.payload
    return Estimates(
        site_id=site.id,
        at=payload["at"],
        tickets={int(ticket_id): view for ticket_id, view in payload["tickets"].items()},
        newcomer=payload["newcomer"],
        people_waiting=payload["people_waiting"],
        stations_open=payload["stations_open"],
        status=status_of(uow, site, at),
        stale=not stored.fresh,
        age_seconds=stored.age_seconds(now),
    )


def headline(live: Estimates, site: Site) -> dict[str, Any] | None:
    """The walk-in wait a lobby screen shows: that of the service most stations here can do."""
    if not live.newcomer:
        return None
    reach = {code: sum(code in station.skills for station in site.stations) for code in live.newcomer}
    code = max(sorted(reach), key=lambda c: reach[c])
    return {"service": code, **for_newcomers(live.newcomer[code], live.status)}


def for_newcomers(view: dict[str, Any], status: SiteStatus) -> dict[str, Any]:
    """A newcomer's estimate as shown to people not in line: the status message when walk-ins cannot join."""
    if status.walk_ins_accepted:
        return view
    return {**view, "message": dict(status.messages)}


def fresh_model(make_uow, *, site_id: int, now: datetime, max_age_hours: int) -> None:
    """Refit the site's model when it is missing or older than `max_age_hours`: once, by one worker.

    Through the shared store's single flight: the others go on with the model
    they have (they wait only for a site's very first fit). Inside a request's
    shared transaction (`db.uow`) it leaves the refit to the next request: the
    store's own connection would wait behind that transaction's locks, and the
    model there is (or the cold-start prior) serves meanwhile.
    """
    with make_uow(write=False) as uow:
        if uow.session.scalar(select(Site.id).where(Site.id == site_id)) is None:
            # Before the store keeps a lease for a site that is not there.
            raise NotFound(f"no site {site_id}")
        if uow.sees_uncommitted:
            return
        fitted_at = model_fitted_at(uow, site_id)
        if fitted_at is not None and now - fitted_at <= timedelta(hours=max_age_hours):
            return
        replaces = fitted_at.isoformat() if fitted_at is not None else "-"
        database = uow.database

    def fit() -> dict[str, Any]:
        return {"fitted_at": refit(make_uow(), site_id=site_id, now=now).fitted_at}

    store_for(database).fetch(
        site_id=site_id, kind="refit", state=f"replaces/{replaces}", compute=fit, now=now
    )


# Use cases the API calls -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitSummary:
    """What a patient deciding whether to come now needs: the public wait of a site."""

    site_id: int
    site_name: str
    timezone: str
    at: datetime
    status: SiteStatus
    walk_ins_open: bool
    walk_ins_message: dict[str, str] | None
    people_waiting: int
    stations_open: int
    services: list[dict[str, Any]]
    stale: bool = False  # built from the previous state's estimate (see `Estimates`)


def wait_summary(uow: UnitOfWork, *, site_id: int, now: datetime) -> WaitSummary:
    """The newcomer range per walk-in service, people waiting and stations open (no personal data)."""
    with uow:
        site = load_site(uow, site_id)
        estimates = site_estimates(uow, site, now)
        status = estimates.status
        names = {s.code: s.name for s in uow.session.scalars(select(Service))}
        return WaitSummary(
            site_id=site.id,
            site_name=site.name,
            timezone=site.timezone,
            at=estimates.at,
            status=status,
            walk_ins_open=status.walk_ins_accepted,
            walk_ins_message=None if status.walk_ins_accepted else dict(status.messages),
            people_waiting=estimates.people_waiting,
            stations_open=estimates.stations_open,
            services=[
                {
                    "service": code,
                    "service_name": names.get(code, code),
                    "estimate": for_newcomers(view, status),
                }
                for code, view in sorted(estimates.newcomer.items())
            ],
            stale=estimates.stale,
        )


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
            select(
                Service.code,
                Ticket.actual_wait_minutes,
                Ticket.promised_p10_minutes,
                Ticket.promised_p50_minutes,
                Ticket.promised_p90_minutes,
            )
            .join(Service, Service.id == Ticket.service_id)
            .where(
                Ticket.site_id == site_id,
                Ticket.joined_at >= schedule.local_instant(first_day, datetime.min.time(), tz),
                Ticket.joined_at
                < schedule.local_instant(last_day + timedelta(days=1), datetime.min.time(), tz),
                Ticket.actual_wait_minutes.is_not(None),
                Ticket.promised_p50_minutes.is_not(None),
                Ticket.promised_p90_minutes.is_not(None),
            )
            .order_by(Service.code)
        )
        if service_code is not None:
            query = query.where(Service.code == service_code)
        rows = uow.session.execute(query).all()
    by_service: dict[str | None, list[Any]] = {None: list(rows)}
    for row in rows:
        by_service.setdefault(row[0], []).append(row)
    return [
        AccuracyRow(
            code,
            score([r[1] for r in group], [r[3] for r in group], [r[2] for r in group], [r[4] for r in group]),
        )
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
    status: SiteStatus
    half_hours: list[dict[str, Any]]
    best: list[dict[str, Any]]
    stale: bool = False  # the previous renewal's, served while another worker makes this one


def half_hour_view(wait: estimator.HalfHourWait, timezone_name: str) -> dict[str, Any]:
    def minutes(value: float | None) -> float | None:
        return None if value is None or value == float("inf") else round(value, 1)

    message = None
    if wait.open_for_walk_ins and wait.p10 is not None and wait.p90 is not None:
        message = messages(
            wait.p10,
            wait.p90,
            runs_past_close=wait.runs_past_close,
            no_station_can_serve=wait.no_station_can_serve,
            newcomer=True,
        )
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
        "message": message,
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


def best_times_instant(now: datetime) -> datetime:
    """`now` rounded down to `BEST_TIME_RESOLUTION`: the instant best times are made for."""
    return now - (now - datetime.min.replace(tzinfo=now.tzinfo)) % BEST_TIME_RESOLUTION


def best_times(uow: UnitOfWork, *, site_id: int, service_code: str, now: datetime) -> BestTimes:
    """The expected wait for a walk-in arriving in each half hour of today and the next six days."""
    with uow:
        site = load_site(uow, site_id)
        walk_in_service(uow, site, service_code)
        at = best_times_instant(now)
        tz = schedule.zone(site.timezone)
        today = schedule.local_day(at, tz)

        def compute() -> dict[str, Any]:
            return _compute_best_times(uow, site, service_code, at, today)

        stored = shared(
            uow,
            site_id=site.id,
            kind=f"best/{service_code}",
            state=site_state(uow, site.id, at, with_version=False),
            compute=compute,
            now=now,
            stale_ok=True,
        )
        return BestTimes(**stored.payload, status=status_of(uow, site, at), stale=not stored.fresh)


def _compute_best_times(
    uow: UnitOfWork, site: Site, service_code: str, at: datetime, today: date
) -> dict[str, Any]:
    """Run the best-times search from the site's state at `at`, as a JSON payload."""
    plans = tuple(day_plan(uow, site, today + timedelta(days=n)) for n in range(BEST_TIME_DAYS))
    snapshot = build_snapshot(uow, site, at)
    model = current_model(uow, site)
    half_hours = estimator.best_times(
        plans,
        model,
        service_code=service_code,
        tz=site.timezone,
        replications=BEST_TIME_REPLICATIONS,
        seed=site.id,
        today_snapshot=snapshot,
    )
    ranked = sorted(
        (
            (round(h.p90), h.starts_at, h)
            for h in half_hours
            if h.open_for_walk_ins and h.p90 is not None and h.p90 != float("inf")
        ),
        key=lambda ranked_one: ranked_one[:2],
    )
    best = sorted((h for *_, h in ranked[:3]), key=lambda h: h.starts_at)
    return {
        "site_id": site.id,
        "timezone": site.timezone,
        "service": service_code,
        "at": at,
        "half_hours": [half_hour_view(h, site.timezone) for h in half_hours],
        "best": [half_hour_view(h, site.timezone) for h in best],
    }
