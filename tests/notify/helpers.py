"""What the notification tests share: booking, a remote ticket, reading the outbox, channels that count."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from schedq.db.models import Delivery, DeliveryAttempt, NotifyEvent
from schedq.domain.contact import Contact
from schedq.notify.message import ChannelName, Outgoing, TemporaryFailure
from schedq.services import appointments
from tests.conftest import MONDAY_8AM

TUESDAY_9AM = MONDAY_8AM + timedelta(days=1, hours=1)
EMAIL = "ana@example.org"
PHONE = "+12175550123"


def book(
    make_uow,
    site_id: int,
    *,
    sms: bool = True,
    email: bool = True,
    language: str = "en",
    at=TUESDAY_9AM,
    patient: int = 0,
):
    """Book for Ana (`patient` 0) or another patient (another phone and email)."""
    contact = Contact("Ana Diaz", PHONE, EMAIL)
    if patient:
        contact = Contact(f"Patient {patient}", f"{PHONE[:-2]}{patient:02d}", f"p{patient}@example.org")
    return appointments.book(
        make_uow(),
        site_id=site_id,
        service_code="DRAW",
        starts_at=at,
        contact=contact,
        opt_ins=appointments.OptIns(sms=sms, email=email, language=language),
        now=MONDAY_8AM,
        secret_key="test-secret",
    )


def rows(make_uow) -> list[tuple[str, str, str, str]]:
    """(event kind, channel, recipient, status) of every delivery, in order."""
    with make_uow(write=False) as uow:
        found = uow.session.execute(
            select(NotifyEvent.kind, Delivery.channel, Delivery.recipient, Delivery.status)
            .join(NotifyEvent, Delivery.event_id == NotifyEvent.id)
            .order_by(Delivery.id)
        )
        return [tuple(r) for r in found]


def tries(make_uow, delivery_id: int) -> list[tuple[int, str | None]]:
    with make_uow(write=False) as uow:
        return [
            tuple(r)
            for r in uow.session.execute(
                select(DeliveryAttempt.number, DeliveryAttempt.outcome)
                .where(DeliveryAttempt.delivery_id == delivery_id)
                .order_by(DeliveryAttempt.number)
            )
        ]


class CountingChannel:
    """A channel that takes every message and counts them by key (what a receiving server would see)."""

    def __init__(self, name: ChannelName) -> None:
        self.name = name
        self.received: Counter[str] = Counter()
        self.messages: list[Outgoing] = []

    def send(self, message: Outgoing) -> str | None:
        self.received[message.key] += 1
        self.messages.append(message)
        return f"id-{message.key}"


class FailingChannel:
    """Answers like a server that is down `failures` times, then takes the message."""

    def __init__(self, name: ChannelName, failures: int) -> None:
        self.name = name
        self.failures = failures
        self.sent = 0

    def send(self, message: Outgoing) -> str | None:
        if self.failures > 0:
            self.failures -= 1
            raise TemporaryFailure("503 from the server")
        self.sent += 1
        return None
