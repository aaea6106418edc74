"""Overdue calls become no-shows: lazily before each use case, or for every site (`schedq queue sweep`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from schedq.db.models import Site, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import TicketStatus
from schedq.domain.errors import NotFound
from schedq.domain.tickets import Action
from schedq.services.queue.visit_log import SYSTEM, apply_action
from schedq.services.sites import lock_site


def expire_overdue_calls(uow: UnitOfWork, site: Site, now: datetime) -> int:
    """Called tickets not started within the site's no-show minutes become no-shows.

    The event is dated when the time ran out, not when this noticed it.
    """
    limit = timedelta(minutes=site.no_show_after_minutes)
    overdue = list(
        uow.session.scalars(
            select(Ticket)
            .where(
                Ticket.site_id == site.id,
                Ticket.status == TicketStatus.CALLED,
                Ticket.called_at <= now - limit,
            )
            .order_by(Ticket.id)
            .execution_options(populate_existing=True)
        )
    )
    for ticket in overdue:
        assert ticket.called_at is not None  # selected as called at or before the limit
        deadline = ticket.called_at + limit
        apply_action(
            uow, ticket, Action.NO_SHOW, actor=SYSTEM, at=deadline, detail={"reason": "not started in time"}
        )
        ticket.ended_at = deadline
        ticket.end_reason = f"not started within {site.no_show_after_minutes} minutes of the call"
    if overdue:
        uow.session.flush()
    return len(overdue)


def settle(uow: UnitOfWork, site_id: int, now: datetime) -> None:
    """Before a read: apply overdue no-shows in a short write transaction of their own, if any."""
    with UnitOfWork(uow.database, write=False) as probe:
        # One statement, nothing loaded: most reads find nothing due.
        oldest_call = (
            select(func.min(Ticket.called_at))
            .where(Ticket.site_id == Site.id, Ticket.status == TicketStatus.CALLED)
            .scalar_subquery()
        )
        row = probe.session.execute(
            select(Site.no_show_after_minutes, oldest_call).where(Site.id == site_id)
        ).one_or_none()
    if row is None:
        raise NotFound(f"no site {site_id}")
    no_show_after_minutes, oldest_call_at = row
    if oldest_call_at is None or oldest_call_at > now - timedelta(minutes=no_show_after_minutes):
        return
    with UnitOfWork(uow.database, write=True) as writer:
        expire_overdue_calls(writer, lock_site(writer, site_id), now)
        writer.commit()


def sweep_all(uow: UnitOfWork, *, now: datetime) -> dict[int, int]:
    """Apply overdue no-shows at every site (the CLI's `queue sweep`): site id -> how many."""
    with uow:
        site_ids = list(uow.session.scalars(select(Site.id).order_by(Site.id)))
    swept = {}
    for site_id in site_ids:
        with UnitOfWork(uow.database, write=True) as writer:
            swept[site_id] = expire_overdue_calls(writer, lock_site(writer, site_id), now)
            writer.commit()
    return swept
