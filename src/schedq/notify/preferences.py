"""The patient decides: unsubscribing by signed link or by replying STOP, and starting again (README: "Notifications").

An address that unsubscribed (kept in `services.opt_outs`, with the channel it
is reached on) gets no message of any kind: its pending deliveries turn
`opted_out`, and every later one is written `opted_out`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from schedq.db.uow import UnitOfWork
from schedq.domain.errors import NotFound
from schedq.notify.message import ChannelName
from schedq.services import opt_outs

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


def channel_of(contact: str) -> ChannelName:
    """The channel an address is reached on: an email address by email, an E.164 number by SMS."""
    return ChannelName.EMAIL if "@" in contact else ChannelName.SMS


def unsubscribe(uow: UnitOfWork, contact: str, *, now: datetime) -> None:
    """No more messages to `contact` (an email address or an E.164 number), pending ones included."""
    with uow:
        opt_outs.opt_out(uow, channel_of(contact), contact, now)
        uow.commit()


def unsubscribe_phone(uow: UnitOfWork, phone: str, *, now: datetime | None = None) -> None:
    """STOP by SMS, as the inbound endpoint takes it (`services.opt_outs.answer_inbound_sms`)."""
    unsubscribe(uow, phone, now=now or datetime.now(UTC))


def resubscribe(uow: UnitOfWork, contact: str) -> None:
    """Messages to `contact` may be sent again (the patient's opt-ins still decide)."""
    with uow:
        opt_outs.opt_in_again(uow, channel_of(contact), contact)
        uow.commit()


def is_unsubscribed(uow: UnitOfWork, contact: str) -> bool:
    with uow:
        return opt_outs.is_opted_out(uow, channel_of(contact), contact)
