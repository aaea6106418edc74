"""The live queue staff see: active tickets in policy order with places and estimates, and the stations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schedq.db.uow import UnitOfWork
from schedq.domain.enums import TicketStatus
from schedq.services.estimates.live import site_estimates
from schedq.services.estimates.views import headline
from schedq.services.queue.line import active_tickets, positions
from schedq.services.queue.no_shows import settle
from schedq.services.queue.stations import StationView, station_view
from schedq.services.queue.views import TicketView, ticket_view
from schedq.services.sites import load_site


@dataclass(frozen=True, slots=True)
class QueueView:
    site_id: int
    timezone: str
    waiting: int
    tickets: list[TicketView]
    stations: list[StationView]
    as_of: datetime  # the server's clock when read: the console's timers count from it
    estimate: dict[str, Any] | None = None


def list_queue(uow: UnitOfWork, *, site_id: int, now: datetime) -> QueueView:
    """The site's live queue for staff: active tickets in policy order with positions, and stations."""
    settle(uow, site_id, now)
    with uow:
        site = load_site(uow, site_id)
        tickets = active_tickets(uow, site_id)
        places = positions(tickets, now)
        ordered = sorted(tickets, key=lambda t: (places.get(t.id, 0), t.called_at or t.joined_at, t.id))
        by_station = {
            t.station_id: t
            for t in tickets
            if t.station_id is not None and t.status is not TicketStatus.WAITING
        }
        live = site_estimates(uow, site, now)
        # Whom the call policy could offer each station now: present, joined by now, a service it does.
        here = [t for t in tickets if t.status is TicketStatus.WAITING and t.present and t.joined_at <= now]
        return QueueView(
            site_id=site_id,
            timezone=site.timezone,
            waiting=len(places),
            tickets=[
                ticket_view(
                    t,
                    site,
                    position=places.get(t.id),
                    estimate=live.tickets.get(t.id),
                    estimate_as_of=live.at if t.id in live.tickets else None,
                    estimate_age_seconds=live.served_age_seconds if t.id in live.tickets else 0.0,
                )
                for t in ordered
            ],
            stations=[
                station_view(
                    s, by_station.get(s.id), callable_now=sum(t.service.code in s.skills for t in here)
                )
                for s in site.stations
            ],
            as_of=now,
            estimate=headline(live, site),
        )
