"""Who asked for no more messages: a number that texted STOP, an address that followed an unsubscribe link.

An opt-out belongs to the contact on one channel, not to one booking or
ticket: a patient who texts STOP gets no further SMS from schedq, whatever
they book or join later, until they text START (README: "Channels"). The
outbox writes a delivery to an opted-out address as `opted_out` instead of
`pending`, and an opt-out turns that address's pending deliveries `opted_out`.

`opt_out`, `opt_in_again` and `is_opted_out` run inside the caller's unit of
work, so they join the transaction of whatever asks; `answer_inbound_sms` is
the use case of the provider's inbound webhook and commits.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from schedq.db.models import Delivery, NotificationOptOut
from schedq.db.uow import UnitOfWork
from schedq.domain.contact import normal_phone
from schedq.domain.errors import InvalidInput
from schedq.notify.message import ChannelName

# The words carriers and Twilio treat as opting out of, and back into, a sender's messages;
# the whole message, in any case, with trailing punctuation ignored.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})


class InboundAction(StrEnum):
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    IGNORED = "ignored"  # any other text: schedq reads no replies


def normal_address(channel: ChannelName, address: str) -> str:
    """The address as contacts are kept: E.164 numbers as they are, emails trimmed and lower-cased."""
    address = address.strip()
    return address.lower() if channel is ChannelName.EMAIL else address


def opt_out(uow: UnitOfWork, channel: ChannelName, address: str, now: datetime) -> bool:
    """Record that `address` wants no more messages on `channel`, its pending ones included; False if it had already asked."""
    kept = normal_address(channel, address)
    values = {"channel": channel.value, "address": kept, "at": now}
    insert = sqlite_insert if uow.database.is_sqlite else postgresql_insert
    stmt = insert(NotificationOptOut).values(values).on_conflict_do_nothing()
    recorded = uow.session.scalar(stmt.returning(NotificationOptOut.at)) is not None
    uow.session.execute(
        update(Delivery)
        .where(Delivery.channel == channel.value, Delivery.recipient == kept, Delivery.status == "pending")
        .values(status="opted_out")
    )
    return recorded


def opt_in_again(uow: UnitOfWork, channel: ChannelName, address: str) -> bool:
    """Let messages reach `address` on `channel` again; False if it had not opted out."""
    stmt = delete(NotificationOptOut).where(
        NotificationOptOut.channel == channel.value,
        NotificationOptOut.address == normal_address(channel, address),
    )
    return uow.session.scalar(stmt.returning(NotificationOptOut.at)) is not None


def is_opted_out(uow: UnitOfWork, channel: ChannelName, address: str) -> bool:
    found = uow.session.scalar(
        select(NotificationOptOut.at).where(
            NotificationOptOut.channel == channel.value,
            NotificationOptOut.address == normal_address(channel, address),
        )
    )
    return found is not None


def keyword(body: str) -> InboundAction:
    """What an inbound text asks: STOP and its synonyms, START and UNSTOP, or nothing schedq acts on."""
    word = body.strip().rstrip(".!").strip().upper()
    if word in STOP_WORDS:
        return InboundAction.OPTED_OUT
    if word in START_WORDS:
        return InboundAction.OPTED_IN
    return InboundAction.IGNORED


def answer_inbound_sms(uow: UnitOfWork, *, phone: str, body: str, now: datetime) -> InboundAction:
    """Act on a text a patient sent to the site's number: STOP opts the number out of SMS, START back in."""
    action = keyword(body)
    if action is InboundAction.IGNORED:
        return action
    try:
        number = normal_phone(phone, country="US", field="From")  # the provider writes E.164: no region used
    except InvalidInput:
        return InboundAction.IGNORED  # a short code or a sender id: no patient's number
    with uow:
        if action is InboundAction.OPTED_OUT:
            opt_out(uow, ChannelName.SMS, number, now)
        else:
            opt_in_again(uow, ChannelName.SMS, number)
        uow.commit()
    return action
