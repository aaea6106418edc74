"""Stations: opened, paused or closed by staff; only an open station with nobody at it may call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from schedq.db.models import Station, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import StationState, TicketStatus
from schedq.domain.errors import Conflict
from schedq.services.queue.locking import station_site_id
from schedq.services.queue.no_shows import expire_overdue_calls
from schedq.services.queue.visit_log import record_event
from schedq.services.sites import load_station, lock_site


@dataclass(frozen=True, slots=True)
class StationView:
    id: int
    name: str
    state: str
    services: list[str]
    ticket_code: str | None = None
    ticket_status: str | None = None
    # The queue read only: how many waiting patients, here and joined by now, this station can do.
    callable_now: int | None = None


_STATION_ACTIONS = {
    StationState.OPEN: "station_open",
    StationState.PAUSED: "station_pause",
    StationState.CLOSED: "station_close",
}


def set_station_state(
    uow: UnitOfWork, *, station_id: int, state: StationState, actor: str, now: datetime
) -> StationView:
    """Open, pause or close a station. Paused and closed stations are offered no tickets.

    Pausing keeps the patient already called or in service (the station finishes
    them); closing is refused while the station still has one.
    """
    with uow:
        site = lock_site(uow, station_site_id(uow, station_id))
        expire_overdue_calls(uow, site, now)
        station = load_station(uow, station_id)
        current = station_ticket(uow, station.id)
        if state is StationState.CLOSED and current is not None:
            raise Conflict(
                f"{station.name} still has {current.code} ({current.status.value}); "
                "complete, mark no-show or requeue it first"
            )
        if station.state is not state:
            record_event(
                uow,
                site_id=site.id,
                at=now,
                action=_STATION_ACTIONS[state],
                actor=actor,
                from_status=station.state.value,
                to_status=state.value,
                station_id=station.id,
            )
            station.state = state
            station.state_changed_at = now
        uow.commit()
        return station_view(station, current)


AT_STATION = (TicketStatus.CALLED, TicketStatus.IN_SERVICE)


def station_ticket(uow: UnitOfWork, station_id: int) -> Ticket | None:
    return uow.session.scalars(
        select(Ticket)
        .where(
            Ticket.station_id == station_id,
            Ticket.status.in_([s.value for s in AT_STATION]),
        )
        .order_by(Ticket.id)
    ).first()


def station_view(station: Station, ticket: Ticket | None, *, callable_now: int | None = None) -> StationView:
    return StationView(
        id=station.id,
        name=station.name,
        state=station.state.value,
        services=sorted(station.skills),
        ticket_code=ticket.code if ticket is not None else None,
        ticket_status=ticket.status.value if ticket is not None else None,
        callable_now=callable_now,
    )


def ready_to_call(uow: UnitOfWork, station: Station, *, active: list[Ticket] | None = None) -> None:
    """Conflict unless the station is open with nobody at it. `active`: the site's active tickets, when loaded already."""
    if station.state is not StationState.OPEN:
        raise Conflict(f"{station.name} is {station.state.value}; open it to call patients")
    if active is None:
        current = station_ticket(uow, station.id)
    else:
        current = next((t for t in active if t.station_id == station.id and t.status in AT_STATION), None)
    if current is not None:
        raise Conflict(
            f"{station.name} still has {current.code} ({current.status.value}); "
            "complete, mark no-show or requeue it first"
        )
