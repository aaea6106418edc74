"""The visit log: every ticket or station change appends one event; nothing is updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schedq.db.models import Ticket, VisitEvent
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import TicketStatus
from schedq.domain.tickets import APPOINTMENT_STATUS, Action, next_status
from schedq.notify import outbox

SYSTEM = "system"


def record_event(
    uow: UnitOfWork,
    *,
    site_id: int,
    at: datetime,
    action: str,
    actor: str,
    ticket: Ticket | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    station_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> VisitEvent:
    """Append one visit event (never updated, never deleted); a ticket's change also goes to the outbox."""
    event = VisitEvent(
        site_id=site_id,
        ticket_id=ticket.id if ticket is not None else None,
        appointment_id=ticket.appointment_id if ticket is not None else None,
        station_id=station_id,
        at=at,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        detail=detail,
    )
    uow.session.add(event)
    if ticket is not None:
        outbox.ticket_action(uow, ticket, action, now=at, reason=(detail or {}).get("reason"))
    return event


def apply_action(
    uow: UnitOfWork,
    ticket: Ticket,
    action: Action,
    *,
    actor: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> TicketStatus:
    """Move `ticket` by `action` (Conflict naming allowed actions otherwise), sync its appointment, record it."""
    before = ticket.status
    after = next_status(before, action)
    ticket.status = after
    if ticket.appointment is not None:
        ticket.appointment.status = APPOINTMENT_STATUS[after]
        ticket.appointment.updated_at = at
    record_event(
        uow,
        site_id=ticket.site_id,
        at=at,
        action=action.value,
        actor=actor,
        ticket=ticket,
        from_status=before.value,
        to_status=after.value,
        station_id=ticket.station_id,
        detail=detail,
    )
    return after
