"""Feedback: once a visit is done, the patient rates it once; staff read their site's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from schedq.db.models import Feedback, Site, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import TicketStatus
from schedq.domain.errors import Conflict, InvalidInput
from schedq.services import sites
from schedq.services.queue import locking, visit_log
from schedq.services.tickets import _check_owner

MAX_COMMENT_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class FeedbackView:
    id: int
    timezone: str
    ticket_id: int
    ticket_code: str
    service: str
    rating: int
    comment: str | None
    created_at: datetime


def leave_feedback(
    uow: UnitOfWork,
    *,
    ticket_id: int,
    token: str,
    secret_key: str,
    rating: int,
    comment: str | None,
    now: datetime,
) -> FeedbackView:
    if not 1 <= rating <= 5:
        raise InvalidInput("rating", "must be 1 to 5")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT_LENGTH:
        raise InvalidInput("comment", f"must be at most {MAX_COMMENT_LENGTH} characters")
    with uow:
        _check_owner(uow, ticket_id, token, secret_key)
        site, ticket = locking.locked_ticket(uow, ticket_id, now)
        if ticket.status is not TicketStatus.DONE:
            raise Conflict("feedback opens once the visit is done", allowed=[])
        if uow.session.scalar(select(Feedback.id).where(Feedback.ticket_id == ticket_id)) is not None:
            raise Conflict("feedback for this visit was already given", allowed=[])
        feedback = Feedback(
            site_id=site.id, ticket_id=ticket.id, rating=rating, comment=comment, created_at=now
        )
        uow.session.add(feedback)
        visit_log.record_event(
            uow,
            site_id=site.id,
            at=now,
            action="feedback",
            actor="patient",
            ticket=ticket,
            detail={"rating": rating},
        )
        try:
            uow.commit()
        except IntegrityError as error:
            raise Conflict("feedback for this visit was already given", allowed=[]) from error
        return _view(feedback, ticket, site)


def list_feedback(uow: UnitOfWork, *, site_id: int) -> list[FeedbackView]:
    with uow:
        site = sites.load_site(uow, site_id)
        rows = uow.session.execute(
            select(Feedback, Ticket)
            .join(Ticket, Ticket.id == Feedback.ticket_id)
            .where(Feedback.site_id == site_id)
            .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        )
        return [_view(feedback, ticket, site) for feedback, ticket in rows]


def _view(feedback: Feedback, ticket: Ticket, site: Site) -> FeedbackView:
    return FeedbackView(
        id=feedback.id,
        timezone=site.timezone,
        ticket_id=ticket.id,
        ticket_code=ticket.code,
        service=ticket.service.code,
        rating=feedback.rating,
        comment=feedback.comment,
        created_at=feedback.created_at,
    )
