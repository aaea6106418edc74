"""The line: a site's active tickets, and the waiting ones in the call policy's order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from schedq.db.models import Service, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import TicketStatus
from schedq.domain.policy import QueueEntry, call_order
from schedq.domain.tickets import ACTIVE

LINE_LOADS = (
    joinedload(Ticket.service),
    lazyload(Ticket.station),
    joinedload(Ticket.appointment).lazyload("*"),
)
"""How the line's tickets load: with their service and appointment, in one statement.

A ticket's station, when asked for, is found among the site's stations already
loaded (a many-to-one lazy load looks in the session first); nothing that reads
the line needs a station's skills through its tickets.
"""


def active_tickets(uow: UnitOfWork, site_id: int) -> list[Ticket]:
    return list(
        uow.session.scalars(
            select(Ticket)
            .where(Ticket.site_id == site_id, Ticket.status.in_([s.value for s in ACTIVE]))
            .order_by(Ticket.id)
            .options(*LINE_LOADS)
            .execution_options(populate_existing=True)
        )
    )


def entry(ticket: Ticket) -> QueueEntry:
    return QueueEntry(
        ticket_id=ticket.id,
        service_code=ticket.service.code,
        joined_at=ticket.joined_at,
        present=ticket.present,
        priority=ticket.priority,
        appointment_at=ticket.policy_appointment_at,
    )


def positions(tickets: list[Ticket], now: datetime) -> dict[int, int]:
    """1-based place of each waiting ticket in the policy's order at `now` (absent remote tickets keep theirs)."""
    return places([entry(t) for t in tickets if t.status is TicketStatus.WAITING], now)


def places(waiting: list[QueueEntry], now: datetime) -> dict[int, int]:
    """`positions` of the waiting line's entries."""
    return {e.ticket_id: index for index, e in enumerate(call_order(waiting, now), start=1)}


def waiting_line(uow: UnitOfWork, site_id: int) -> list[QueueEntry]:
    """The site's waiting tickets as the call policy sees them, read as columns: a read's places in line load no tickets."""
    rows = uow.session.execute(
        select(
            Ticket.id,
            Service.code,
            Ticket.joined_at,
            Ticket.present,
            Ticket.priority,
            Ticket.policy_appointment_at,
        )
        .join(Service, Service.id == Ticket.service_id)
        .where(Ticket.site_id == site_id, Ticket.status == TicketStatus.WAITING)
        .order_by(Ticket.id)
    )
    return [
        QueueEntry(
            ticket_id=ticket_id,
            service_code=code,
            joined_at=joined_at,
            present=present,
            priority=priority,
            appointment_at=appointment_at,
        )
        for ticket_id, code, joined_at, present, priority, appointment_at in rows
    ]


def wait_start(ticket: Ticket) -> datetime:
    """When the wait that counts began: joining, or the appointment time when checked in early.

    An appointment checked in on time or early waits from its appointment time
    (being called before it is no wait at all); late beyond the grace minutes,
    it waits from check-in like a walk-in.
    """
    if ticket.policy_appointment_at is not None:
        return max(ticket.joined_at, ticket.policy_appointment_at)
    return ticket.joined_at
