"""The patient decides: unsubscribing by signed link or by replying STOP, and starting again (README: "Notifications").

An address that unsubscribed gets no message of any kind: its pending
deliveries turn `opted_out`, and every later one is written `opted_out`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from schedq.db.models import Delivery, Unsubscribe
from schedq.db.uow import UnitOfWork
from schedq.domain.errors import NotFound

_SALT = "schedq-unsubscribe"


def unsubscribe_token(secret_key: str, contact: str) -> str:
    """The signed part of an unsubscribe link: names the address, cannot be made without the secret."""
    return URLSafeSerializer(secret_key, salt=_SALT).dumps(contact)


def contact_of(secret_key: str, token: str) -> str:
    """The address an unsubscribe token names; NotFound when the signature fails."""
    try:
        contact = URLSafeSerializer(secret_key, salt=_SALT).loads(token)
    except BadSignature:
        raise NotFound("no such unsubscribe link") from None
    if not isinstance(contact, str):
        raise NotFound("no such unsubscribe link")
    return contact


def unsubscribe_by_link(uow: UnitOfWork, *, token: str, secret_key: str, now: datetime) -> str:
    """Unsubscribe the address a link names; returns it."""
    contact = contact_of(secret_key, token)
    unsubscribe(uow, contact, now=now)
    return contact


def unsubscribe(uow: UnitOfWork, contact: str, *, now: datetime) -> None:
    """No more messages to `contact` (an email address or an E.164 number), pending ones included."""
    with uow:
        if uow.session.get(Unsubscribe, contact) is None:
            uow.session.add(Unsubscribe(contact=contact, at=now))
        uow.session.execute(
            update(Delivery)
            .where(Delivery.recipient == contact, Delivery.status == "pending")
            .values(status="opted_out")
        )
        uow.commit()


def unsubscribe_phone(uow: UnitOfWork, phone: str, *, now: datetime | None = None) -> None:
    """STOP by SMS (the channels' inbound endpoint calls this with the sender's E.164 number)."""
    unsubscribe(uow, phone, now=now or datetime.now(UTC))


def resubscribe(uow: UnitOfWork, contact: str) -> None:
    """START by SMS: messages to `contact` may be sent again (the patient's opt-ins still decide)."""
    with uow:
        found = uow.session.get(Unsubscribe, contact)
        if found is not None:
            uow.session.delete(found)
        uow.commit()


def is_unsubscribed(uow: UnitOfWork, contact: str) -> bool:
    with uow:
        return (
            uow.session.scalar(select(Unsubscribe.contact).where(Unsubscribe.contact == contact)) is not None
        )
