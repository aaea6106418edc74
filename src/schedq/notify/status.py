"""What staff see of the messages: each delivery's state and tries, the log sink's messages; and resending.

Resending makes a new delivery of the same event to the same recipient with a
new key: staff asked for a second message, so the channel must not take it for
a retry of the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from schedq.db.models import Appointment, Delivery, DeliveryAttempt, LoggedMessage, NotifyEvent, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain.errors import Conflict, NotFound
from schedq.notify import outbox


@dataclass(frozen=True, slots=True)
class Try:
    number: int
    channel: str
    worker: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    event: str
    event_at: datetime
    channel: str
    recipient: str
    status: str
    attempts: int
    due_at: datetime
    sent_at: datetime | None
    last_error: str | None
    tries: list[Try]


def ticket_site_id(uow: UnitOfWork, ticket_id: int) -> int:
    with uow:
        site_id = uow.session.scalar(select(Ticket.site_id).where(Ticket.id == ticket_id))
    if site_id is None:
        raise NotFound(f"no ticket {ticket_id}")
    return site_id


def appointment_site(uow: UnitOfWork, reference: str) -> tuple[int, int]:
    """(appointment id, site id) of a reference."""
    with uow:
        found = uow.session.execute(
            select(Appointment.id, Appointment.site_id).where(Appointment.reference == reference.upper())
        ).one_or_none()
    if found is None:
        raise NotFound("no appointment with that reference")
    return found[0], found[1]


def delivery_site_id(uow: UnitOfWork, delivery_id: int) -> int:
    with uow:
        site_id = uow.session.scalar(
            select(NotifyEvent.site_id)
            .join(Delivery, Delivery.event_id == NotifyEvent.id)
            .where(Delivery.id == delivery_id)
        )
    if site_id is None:
        raise NotFound(f"no delivery {delivery_id}")
    return site_id


def deliveries(
    uow: UnitOfWork, *, ticket_id: int | None = None, appointment_id: int | None = None
) -> list[DeliveryView]:
    """Every message about a ticket (its appointment's included) or an appointment, oldest first."""
    with uow:
        about = []
        if ticket_id is not None:
            about.append(NotifyEvent.ticket_id == ticket_id)
            linked = uow.session.scalar(select(Ticket.appointment_id).where(Ticket.id == ticket_id))
            if linked is not None:
                appointment_id = linked
        if appointment_id is not None:
            about.append(NotifyEvent.appointment_id == appointment_id)
        rows = uow.session.execute(
            select(Delivery, NotifyEvent)
            .join(NotifyEvent, Delivery.event_id == NotifyEvent.id)
            .where(or_(*about))
            .order_by(Delivery.id)
        ).all()
        ids = [d.id for d, _ in rows]
        attempts: dict[int, list[Try]] = {i: [] for i in ids}
        for a in uow.session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(ids))
            .order_by(DeliveryAttempt.number)
        ):
            attempts[a.delivery_id].append(
                Try(a.number, a.channel, a.worker, a.started_at, a.ended_at, a.outcome, a.detail)
            )
        return [
            DeliveryView(
                d.id,
                e.kind,
                e.created_at,
                d.channel,
                d.recipient,
                d.status,
                d.attempts,
                d.due_at,
                d.sent_at,
                d.last_error,
                attempts[d.id],
            )
            for d, e in rows
        ]


def resend(uow: UnitOfWork, *, delivery_id: int, now: datetime) -> int:
    """A new delivery of the same message, due now; the id of the new one. Refused for an opted-out one."""
    with uow:
        original = uow.session.get(Delivery, delivery_id)
        if original is None:
            raise NotFound(f"no delivery {delivery_id}")
        if original.status == outbox.OPTED_OUT:
            raise Conflict("the patient did not agree to this message, or unsubscribed")
        again = Delivery(
            event_id=original.event_id,
            channel=original.channel,
            recipient=original.recipient,
            language=original.language,
            endpoint_id=original.endpoint_id,
            key=outbox.new_key(),
            status=outbox.PENDING,
            attempts=0,
            due_at=now,
            created_at=now,
        )
        uow.session.add(again)
        uow.commit()
        return again.id


@dataclass(frozen=True, slots=True)
class Kept:
    """A message the log sink holds."""

    at: datetime
    event: str
    channel: str
    recipient: str
    subject: str | None
    text: str
    language: str
    attachments: list[str]


def log_sink(uow: UnitOfWork, *, site_id: int, limit: int = 100) -> list[Kept]:
    """The site's latest messages in the log sink, newest first."""
    with uow:
        rows = uow.session.execute(
            select(LoggedMessage, NotifyEvent.kind)
            .join(Delivery, Delivery.key == LoggedMessage.key)
            .join(NotifyEvent, Delivery.event_id == NotifyEvent.id)
            .where(NotifyEvent.site_id == site_id)
            .order_by(LoggedMessage.id.desc())
            .limit(limit)
        ).all()
        return [
            Kept(m.at, kind, m.channel, m.recipient, m.subject, m.text, m.language, list(m.attachments))
            for m, kind in rows
        ]
