"""Staff corrections to a ticket: back into line, out of it, priority, present, undo."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from schedq.db.models import Station, Ticket, VisitEvent
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import StationState, TicketStatus
from schedq.domain.errors import Conflict
from schedq.domain.tickets import APPOINTMENT_STATUS, UNDO_WINDOW, Action, allowed_actions, next_status
from schedq.notify import outbox
from schedq.notify.events import EventKind
from schedq.services.queue.locking import locked_ticket
from schedq.services.queue.stations import station_ticket
from schedq.services.queue.views import TicketView, ticket_view, view_committed
from schedq.services.queue.visit_log import SYSTEM, apply_action, record_event

UNDOABLE = (Action.NO_SHOW.value, Action.CANCEL.value)
UNDO = "undo"


def requeue(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    """A called or no-show ticket goes back to waiting, keeping its original place (joined_at).

    A missed-call message not yet sent is withdrawn: the patient is back.
    """
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        if ticket.status is TicketStatus.NO_SHOW:
            outbox.withdraw(uow, ticket.id, EventKind.MISSED_CALL)
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


def undo(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    """Take back a staff no-show or cancel within `UNDO_WINDOW` of it (Conflict after, or for anything else).

    A cancelled ticket goes back to waiting in its old place (its `joined_at`).
    A no-show goes back to called at its station when that station is open
    with nobody at it (the call's time and count unchanged), else to waiting in
    its old place. The undo is an event of its own; the one it takes back stays.
    The message telling the patient, held for the window, is withdrawn.
    """
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        last = uow.session.scalars(
            select(VisitEvent)
            .where(VisitEvent.ticket_id == ticket.id)
            .order_by(VisitEvent.at.desc(), VisitEvent.id.desc())
            .limit(1)
        ).first()
        window = int(UNDO_WINDOW.total_seconds())
        if last is None or last.action not in UNDOABLE or last.actor == SYSTEM:
            raise Conflict(f"{ticket.code} has no staff no-show or cancel to undo", allowed=_allowed(ticket))
        if now - last.at > UNDO_WINDOW:
            raise Conflict(
                f"the {last.action.replace('_', '-')} of {ticket.code} is more than {window} seconds old; "
                "it can no longer be undone",
                allowed=_allowed(ticket),
            )
        before = ticket.status
        outbox.withdraw(
            uow,
            ticket.id,
            EventKind.MISSED_CALL if last.action == Action.NO_SHOW.value else EventKind.TICKET_CANCELLED,
        )
        station = uow.session.get(Station, ticket.station_id) if ticket.station_id is not None else None
        back_to_station = (
            last.action == Action.NO_SHOW.value
            and station is not None
            and station.state is StationState.OPEN
            and station_ticket(uow, station.id) is None
        )
        if back_to_station:
            ticket.status = TicketStatus.CALLED
        else:
            ticket.status = TicketStatus.WAITING
            ticket.station_id = None
            ticket.station = None
            if last.action == Action.NO_SHOW.value:
                ticket.present = True  # they were here when called
        ticket.ended_at = None
        ticket.end_reason = None
        if ticket.appointment is not None:
            ticket.appointment.status = APPOINTMENT_STATUS[ticket.status]
            ticket.appointment.updated_at = now
        record_event(
            uow,
            site_id=site.id,
            at=now,
            action=UNDO,
            actor=actor,
            ticket=ticket,
            from_status=before.value,
            to_status=ticket.status.value,
            station_id=ticket.station_id,
            detail={"undid": last.action, "event_id": last.id},
        )
        uow.commit()
    return view_committed(uow, ticket_id, now)


def _allowed(ticket: Ticket) -> list[str]:
    return allowed_actions(ticket.status)
