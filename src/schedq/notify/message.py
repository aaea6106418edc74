"""What a channel is given to deliver, and the two ways delivery fails.

A channel (email over SMTP, SMS through a provider, a signed webhook) takes
one `Outgoing` and either delivers it or raises: `TemporaryFailure` when a
later try may work (a server down, a time-out, a 5xx, a 429), `PermanentFailure`
when none will (an address refused, a 4xx that is not 408/429). Every
`Outgoing` carries the key of its delivery, the same on every try: channels
that can (a provider's idempotency header, a webhook id, an email Message-ID)
send it so a retry after a crash between "sent" and "marked sent" is not
taken twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

SECRET_ENV_HEADER = "schedq-secret-env"
"""On a webhook's `Outgoing`: the environment variable holding its site endpoint's signing secret.

The webhook channel reads the secret from there and never sends the header on.
"""


class ChannelName(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    LOG = "log"  # nothing configured: kept for the demo's page of messages


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one recipient through one channel."""

    key: str
    """The delivery's idempotency key: the same on every try of this message to this recipient."""
    channel: ChannelName
    to: str
    """An email address, an E.164 phone number, or a webhook URL."""
    text: str
    """The body: plain text for email and SMS, JSON for a webhook."""
    subject: str | None = None
    language: str = "en"
    attachments: tuple[Attachment, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    sender: str | None = None
    """The site's own sender (an email From, an SMS number or messaging service) when it has one; else the channel's."""


class DeliveryFailure(Exception):
    """A try that did not deliver; `reason` goes to the delivery log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryFailure):
    """Worth another try later (server down, time-out, 5xx, 429)."""

    def __init__(self, reason: str, *, retry_after_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_seconds = retry_after_seconds


class PermanentFailure(DeliveryFailure):
    """No try will deliver it (the address or number is refused)."""


class Channel(Protocol):
    name: ChannelName

    def send(self, message: Outgoing) -> str | None:
        """Deliver `message`; returns the provider's id for it when there is one. Raises DeliveryFailure."""
        ...
