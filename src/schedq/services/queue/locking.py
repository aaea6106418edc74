"""Finding what a use case acts on: the site of a ticket or station, and the ticket under the site lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schedq.db.models import Site, Station, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain.errors import NotFound
from schedq.services.queue.no_shows import expire_overdue_calls


def ticket_site_id(uow: UnitOfWork, ticket_id: int) -> int:
    """The site of a ticket, read without loading it (NotFound when absent)."""
    site_id = uow.session.scalar(select(Ticket.site_id).where(Ticket.id == ticket_id))
    if site_id is None:
        raise NotFound(f"no ticket {ticket_id}")
    return site_id


def station_site_id(uow: UnitOfWork, station_id: int) -> int:
    site_id = uow.session.scalar(select(Station.site_id).where(Station.id == station_id))
    if site_id is None:
        raise NotFound(f"no station {station_id}")
    return site_id


TICKET_SHOWN = (
    joinedload(Ticket.service),
    joinedload(Ticket.station).lazyload(Station.services),
    joinedload(Ticket.appointment).lazyload("*"),
)
"""What a ticket's view shows of its relationships, loaded with it in one statement.

The station's skills and the appointment's own relationships are left to load
when used: a ticket's view shows none of them.
"""


def fresh_ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
    """The ticket as committed now (call after the site lock is held)."""
    ticket = uow.session.scalars(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(*TICKET_SHOWN)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    return ticket


def locked_ticket(uow: UnitOfWork, ticket_id: int, now: datetime) -> tuple[Site, Ticket]:
    """How a ticket's use case begins: its site locked, overdue calls settled, the ticket as committed."""
    site = uow.lock_site_of(Ticket, ticket_id)
    if site is None:
        raise NotFound(f"no ticket {ticket_id}")
    expire_overdue_calls(uow, site, now)
    return site, fresh_ticket(uow, ticket_id)
