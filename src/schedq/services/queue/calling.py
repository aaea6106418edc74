"""Calling and serving: a station calls the next ticket by the call policy (or a chosen one), then serves it."""

from __future__ import annotations

from datetime import datetime

from schedq.db.models import Station, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import TicketStatus
from schedq.domain.errors import Conflict, InvalidInput, NotFound
from schedq.domain.policy import choose_next
from schedq.domain.tickets import Action, allowed_actions, next_status
from schedq.services.queue.line import active_tickets, entry, wait_start
from schedq.services.queue.locking import locked_ticket
from schedq.services.queue.no_shows import expire_overdue_calls
from schedq.services.queue.stations import ready_to_call
from schedq.services.queue.views import TicketView, ticket_view
from schedq.services.queue.visit_log import apply_action
from schedq.services.sites import load_station


def call_next(uow: UnitOfWork, *, station_id: int, actor: str, now: datetime) -> TicketView:
    """The station calls the next ticket by the call policy (NotFound when nobody fits).

    Only tickets that joined by `now` are candidates: a caller whose clock runs a
    little behind another's (the live demo beside the console) never calls a
    patient before they joined.
    """
    with uow:
        site = uow.lock_site_of(Station, station_id)
        if site is None:
            raise NotFound(f"no station {station_id}")
        expire_overdue_calls(uow, site, now)
        station = load_station(uow, station_id)
        tickets = active_tickets(uow, site.id)
        ready_to_call(uow, station, active=tickets)
        waiting = [entry(t) for t in tickets if t.status is TicketStatus.WAITING and t.joined_at <= now]
        chosen = choose_next(waiting, skills=station.skills, now=now)
        if chosen is None:
            raise NotFound(f"nobody waiting is here for a service {station.name} can do")
        ticket = next(t for t in tickets if t.id == chosen.ticket_id)
        _call(uow, ticket, station, actor=actor, now=now)
        uow.commit()
        return ticket_view(ticket, site)


def call_ticket(uow: UnitOfWork, *, ticket_id: int, station_id: int, actor: str, now: datetime) -> TicketView:
    """The station calls a given ticket, out of policy order (staff's choice)."""
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        station = uow.session.get(Station, station_id)
        if station is None or station.site_id != site.id:
            raise InvalidInput("station_id", "no such station at this ticket's site")
        next_status(ticket.status, Action.CALL)
        ready_to_call(uow, station)
        if ticket.service.code not in station.skills:
            raise Conflict(f"{station.name} cannot do {ticket.service.code}")
        if not ticket.present:
            raise Conflict(
                f"{ticket.code} has not arrived yet; mark it present first",
                allowed=allowed_actions(ticket.status),
            )
        _call(uow, ticket, station, actor=actor, now=now)
        uow.commit()
        return ticket_view(ticket, site)


def _call(uow: UnitOfWork, ticket: Ticket, station: Station, *, actor: str, now: datetime) -> None:
    ticket.station_id = station.id
    ticket.station = station
    ticket.called_at = now
    ticket.call_count += 1
    if ticket.actual_wait_minutes is None:
        # The wait that came true is the first call's; a requeue does not restart it.
        ticket.actual_wait_minutes = max(0.0, (now - wait_start(ticket)).total_seconds() / 60)
    apply_action(uow, ticket, Action.CALL, actor=actor, at=now)


def recall(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    """Announce a called ticket again; the no-show clock restarts from now."""
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply_action(uow, ticket, Action.RECALL, actor=actor, at=now)
        ticket.called_at = now
        ticket.call_count += 1
        uow.commit()
        return ticket_view(ticket, site)


def start(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply_action(uow, ticket, Action.START, actor=actor, at=now)
        ticket.started_at = now
        uow.commit()
        return ticket_view(ticket, site)


def complete(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply_action(uow, ticket, Action.COMPLETE, actor=actor, at=now)
        ticket.completed_at = now
        ticket.ended_at = now
        ticket.end_reason = "served"
        uow.commit()
        return ticket_view(ticket, site)


def mark_no_show(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply_action(uow, ticket, Action.NO_SHOW, actor=actor, at=now)
        ticket.ended_at = now
        ticket.end_reason = "did not come when called"
        uow.commit()
        return ticket_view(ticket, site)
