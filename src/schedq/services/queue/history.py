"""History: the events of a ticket, or of a site's day, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from schedq.db.models import Site, Station, Ticket, VisitEvent
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.services.queue.locking import ticket_site_id
from schedq.services.queue.no_shows import settle
from schedq.services.sites import load_site, tz_of


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    timezone: str
    at: datetime
    action: str
    ticket_id: int | None
    ticket_code: str | None
    from_status: str | None
    to_status: str | None
    station: str | None
    station_id: int | None
    actor: str
    detail: dict[str, Any] | None


def ticket_events(uow: UnitOfWork, *, ticket_id: int, now: datetime) -> list[EventView]:
    with uow:
        site_id = ticket_site_id(uow, ticket_id)
    settle(uow, site_id, now)
    with uow:
        site = load_site(uow, site_id)
        return _events(uow, site, VisitEvent.ticket_id == ticket_id)


def day_events(uow: UnitOfWork, *, site_id: int, day: date | None, now: datetime) -> list[EventView]:
    """Every event at the site on a local day (default today), in order."""
    settle(uow, site_id, now)
    with uow:
        site = load_site(uow, site_id)
        tz = tz_of(site)
        day = day or schedule.local_day(now, tz)
        start = schedule.local_instant(day, time(0), tz)
        end = schedule.local_instant(day + timedelta(days=1), time(0), tz)
        return _events(uow, site, VisitEvent.site_id == site_id, VisitEvent.at >= start, VisitEvent.at < end)


def _events(uow: UnitOfWork, site: Site, *conditions) -> list[EventView]:
    rows = uow.session.execute(
        select(VisitEvent, Ticket.code, Station.name)
        .outerjoin(Ticket, Ticket.id == VisitEvent.ticket_id)
        .outerjoin(Station, Station.id == VisitEvent.station_id)
        .where(*conditions)
        .order_by(VisitEvent.at, VisitEvent.id)
    )
    return [
        EventView(
            id=event.id,
            timezone=site.timezone,
            at=event.at,
            action=event.action,
            ticket_id=event.ticket_id,
            ticket_code=code,
            from_status=event.from_status,
            to_status=event.to_status,
            station=station_name,
            station_id=event.station_id,
            actor=event.actor,
            detail=event.detail,
        )
        for event, code, station_name in rows
    ]
