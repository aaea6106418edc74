"""A site's state as the estimator sees it, read from the database: stations, who waits, the day's plan."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from schedq import estimator
from schedq.db.models import Appointment, Site, Ticket, VisitEvent
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import AppointmentStatus, StationState, TicketStatus
from schedq.services.queue.line import LINE_LOADS
from schedq.services.sites import closures_of, hours_of


def build_snapshot(uow: UnitOfWork, site: Site, now: datetime) -> estimator.SiteSnapshot:
    """Everything the estimator needs to know about `site` at `now`, read from the database."""
    tz = schedule.zone(site.timezone)
    today = schedule.local_day(now, tz)
    tickets = list(
        uow.session.scalars(
            select(Ticket)
            .where(
                Ticket.site_id == site.id,
                Ticket.status.in_([TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.IN_SERVICE]),
            )
            .options(*LINE_LOADS)
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
