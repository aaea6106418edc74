"""Staff corrections to a ticket: back into line, out of it, priority, present."""

from __future__ import annotations

from datetime import datetime

from schedq.db.uow import UnitOfWork
from schedq.domain.tickets import Action, next_status
from schedq.services.queue.locking import locked_ticket
from schedq.services.queue.views import TicketView, ticket_view, view_committed
from schedq.services.queue.visit_log import apply_action


def requeue(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    """A called or no-show ticket goes back to waiting, keeping its original place (joined_at)."""
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply_action(
            uow, ticket, Action.REQUEUE, actor=actor, at=now, detail={"station_id": ticket.station_id}
        )
        ticket.station_id = None
        ticket.station = None
        ticket.ended_at = None
        ticket.end_reason = None
        ticket.present = True
        uow.commit()
    return view_committed(uow, ticket_id, now)


def cancel(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime, reason: str = "") -> TicketView:
    """Staff take a waiting ticket out of the line, with a reason."""
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply_action(
            uow, ticket, Action.CANCEL, actor=actor, at=now, detail={"reason": reason} if reason else None
        )
        ticket.ended_at = now
        ticket.end_reason = reason or "cancelled by staff"
        uow.commit()
        return ticket_view(ticket, site)


def set_priority(uow: UnitOfWork, *, ticket_id: int, priority: bool, actor: str, now: datetime) -> TicketView:
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply_action(uow, ticket, Action.SET_PRIORITY, actor=actor, at=now, detail={"priority": priority})
        ticket.priority = priority
        uow.commit()
    return view_committed(uow, ticket_id, now)


def mark_present(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    """The patient is here: a remote ticket becomes callable, in the place it kept (again: no change)."""
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        next_status(ticket.status, Action.MARK_PRESENT)
        if not ticket.present:
            apply_action(uow, ticket, Action.MARK_PRESENT, actor=actor, at=now)
            ticket.present = True
        uow.commit()
    return view_committed(uow, ticket_id, now)
