"""Loading a report: the events, stations and feedback of a site's range of local dates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from schedq.db.models import Feedback, Service, Site, Station, Ticket, VisitEvent
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.errors import InvalidInput
from schedq.services.queue.no_shows import settle
from schedq.services.reports.figures import (
    Figures,
    Rating,
    StationChange,
    Summary,
    Target,
    TicketEvent,
    Visit,
    site_figures,
)
from schedq.services.sites import closures_of, hours_of, load_site, tz_of

MAX_RANGE_DAYS = 366
"""The longest range a report covers (a year, leap day included); longer is refused (422)."""

STATION_ACTIONS = ("station_open", "station_pause", "station_close")
JUST_AFTER = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class SiteReport:
    site_id: int
    site: str
    region: str | None
    timezone: str
    first_day: date
    last_day: date
    as_of: datetime  # the end of what was counted: the range's end, or now while it runs to today
    sla_minutes: int
    sla_percent: int
    figures: Figures


@dataclass(frozen=True, slots=True)
class ChainRow:
    site_id: int
    site: str
    region: str | None
    timezone: str
    sla_minutes: int
    sla_percent: int
    summary: Summary


@dataclass(frozen=True, slots=True)
class ChainReport:
    first_day: date
    last_day: date
    region: str | None
    sites: list[ChainRow]


def check_range(first_day: date, last_day: date) -> None:
    if last_day < first_day:
        raise InvalidInput("to", "is before from")
    if (last_day - first_day).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput("to", f"is more than {MAX_RANGE_DAYS} days after from")


def site_report(
    uow: UnitOfWork, *, site_id: int, first_day: date, last_day: date, now: datetime, language: str
) -> SiteReport:
    """Every figure of a site between two local dates (inclusive), from its events up to now;
    services named in `language`."""
    check_range(first_day, last_day)
    settle(uow, site_id, now)  # overdue calls become the no-shows they are, dated when they fell due
    with uow:
        site = load_site(uow, site_id)
        return _site_report(uow, site, first_day, last_day, now, language)


def chain_report(
    uow: UnitOfWork,
    *,
    first_day: date,
    last_day: date,
    now: datetime,
    language: str,
    region: str | None = None,
    site_ids: frozenset[int] | None = None,
) -> ChainReport:
    """The headline figures of every site (of `region`; of `site_ids` when the caller sees only those), by name."""
    check_range(first_day, last_day)
    with uow:
        query = select(Site.id).order_by(Site.name, Site.id)
        if region is not None:
            query = query.where(func.lower(Site.region) == region.strip().lower())
        if site_ids is not None:
            query = query.where(Site.id.in_(sorted(site_ids)))
        ids = list(uow.session.scalars(query))
    rows = []
    for site_id in ids:
        report = site_report(
            uow, site_id=site_id, first_day=first_day, last_day=last_day, now=now, language=language
        )
        rows.append(
            ChainRow(
                site_id=report.site_id,
                site=report.site,
                region=report.region,
                timezone=report.timezone,
                sla_minutes=report.sla_minutes,
                sla_percent=report.sla_percent,
                summary=report.figures.summary,
            )
        )
    return ChainReport(first_day=first_day, last_day=last_day, region=region, sites=rows)


def _site_report(
    uow: UnitOfWork, site: Site, first_day: date, last_day: date, now: datetime, language: str
) -> SiteReport:
    tz = tz_of(site)
    start = schedule.local_instant(first_day, time(0), tz)
    # Counted up to the range's end, or while it runs to today up to now, events of this very instant included.
    end = min(schedule.local_instant(last_day + timedelta(days=1), time(0), tz), max(now + JUST_AFTER, start))
    visits = _visits(uow, site.id, start, end)
    names = dict(
        uow.session.execute(select(Station.id, Station.name).where(Station.site_id == site.id)).all()
    )
    figures = site_figures(
        tz=tz,
        first_day=first_day,
        last_day=last_day,
        start=start,
        end=end,
        target=Target(site.sla_minutes, site.sla_percent),
        visits=visits,
        station_names={station_id: str(name) for station_id, name in names.items()},
        station_changes=_station_changes(uow, site.id, start, end),
        ratings=_ratings(uow, site.id, start, end),
        opening=_opening(site, first_day, last_day),
        service_names={
            service.code: service.name_in(language) for service in uow.session.scalars(select(Service))
        },
    )
    return SiteReport(
        site_id=site.id,
        site=site.name,
        region=site.region,
        timezone=site.timezone,
        first_day=first_day,
        last_day=last_day,
        as_of=min(end, max(now, start)),
        sla_minutes=site.sla_minutes,
        sla_percent=site.sla_percent,
        figures=figures,
    )


def _visits(uow: UnitOfWork, site_id: int, start: datetime, end: datetime) -> list[Visit]:
    """Tickets that joined in [start, end), each with its events up to `end`.

    Read from the ticket: what never changes once written (kind, service,
    joining, the appointment time it keeps, the promise made at joining).
    """
    joined = (
        Ticket.site_id == site_id,
        Ticket.joined_at >= start,
        Ticket.joined_at < end,
    )
    tickets = uow.session.execute(
        select(
            Ticket.id,
            Ticket.kind,
            Service.code,
            Ticket.joined_at,
            Ticket.policy_appointment_at,
            Ticket.promised_p10_minutes,
            Ticket.promised_p50_minutes,
            Ticket.promised_p90_minutes,
        )
        .join(Service, Service.id == Ticket.service_id)
        .where(*joined)
        .order_by(Ticket.id)
    ).all()
    events: dict[int, list[TicketEvent]] = defaultdict(list)
    rows = uow.session.execute(
        select(
            VisitEvent.ticket_id,
            VisitEvent.at,
            VisitEvent.action,
            VisitEvent.to_status,
            VisitEvent.station_id,
        )
        .join(Ticket, Ticket.id == VisitEvent.ticket_id)
        .where(*joined, VisitEvent.at < end)
        .order_by(VisitEvent.at, VisitEvent.id)
    )
    for ticket_id, at, action, to_status, station_id in rows:
        if ticket_id is not None:
            events[ticket_id].append(TicketEvent(at, action, to_status, station_id))
    visits = []
    for ticket_id, kind, code, joined_at, appointment_at, p10, p50, p90 in tickets:
        visits.append(
            Visit(
                ticket_id=ticket_id,
                kind=kind.value,
                service=code,
                joined_at=joined_at,
                # The rule the actual wait follows (services.queue.line.wait_start).
                wait_start=joined_at if appointment_at is None else max(joined_at, appointment_at),
                events=events.get(ticket_id, []),
                promised_p10_minutes=p10,
                promised_p50_minutes=p50,
                promised_p90_minutes=p90,
            )
        )
    return visits


def _station_changes(uow: UnitOfWork, site_id: int, start: datetime, end: datetime) -> list[StationChange]:
    """Each station's state changes in [start, end), after the last one before `start` (its state then)."""
    station_event = (
        VisitEvent.site_id == site_id,
        VisitEvent.action.in_(STATION_ACTIONS),
        VisitEvent.station_id.is_not(None),
    )
    last_before = (
        select(VisitEvent.station_id, func.max(VisitEvent.id).label("last_id"))
        .where(*station_event, VisitEvent.at < start)
        .group_by(VisitEvent.station_id)
        .subquery()
    )
    before = uow.session.execute(
        select(VisitEvent.station_id, VisitEvent.at, VisitEvent.to_status).join(
            last_before, last_before.c.last_id == VisitEvent.id
        )
    ).all()
    during = uow.session.execute(
        select(VisitEvent.station_id, VisitEvent.at, VisitEvent.to_status)
        .where(*station_event, VisitEvent.at >= start, VisitEvent.at < end)
        .order_by(VisitEvent.at, VisitEvent.id)
    ).all()
    return [
        StationChange(station_id=station_id, at=at, state=to_status or "")
        for station_id, at, to_status in [*before, *during]
        if station_id is not None
    ]


def _opening(site: Site, first_day: date, last_day: date) -> list[tuple[datetime, datetime]]:
    """The site's opening intervals on each day of the range: its weekly hours and closed dates as they stand."""
    hours, closures, tz = hours_of(site), closures_of(site), tz_of(site)
    return [
        interval
        for offset in range((last_day - first_day).days + 1)
        for interval in schedule.opening_intervals(first_day + timedelta(days=offset), hours, tz, closures)
    ]


def _ratings(uow: UnitOfWork, site_id: int, start: datetime, end: datetime) -> list[Rating]:
    rows = uow.session.execute(
        select(Feedback.created_at, Feedback.rating, Service.code, Feedback.comment)
        .join(Ticket, Ticket.id == Feedback.ticket_id)
        .join(Service, Service.id == Ticket.service_id)
        .where(Feedback.site_id == site_id, Feedback.created_at >= start, Feedback.created_at < end)
        .order_by(Feedback.created_at, Feedback.id)
    ).all()
    return [Rating(at=at, rating=rating, service=code, comment=comment) for at, rating, code, comment in rows]
