"""Delivering the outbox: claim due rows, send each through its channel, mark the try (README: "Notifications").

Several `schedq worker` processes may run at once. A claim takes due rows in
one short write transaction (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's
single write lock, BEGIN IMMEDIATE, serialises claims) and leases them: the
row is `sending` until `lease_until`, and its try is written to the delivery
log with no outcome yet. The message is then sent outside any transaction,
and a second short transaction marks the try: sent; or failed, and then due
again after an exponential backoff, or dead after the last try.

A worker that stops between sending and marking leaves its row `sending`:
when the lease runs out another worker takes it again, logs the lost try as
`interrupted`, and sends it again with the same key, so a channel that honours
the key (a provider's idempotency header, a webhook id, the log sink) does not
deliver it twice.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from schedq.db.engine import Database
from schedq.db.models import Appointment, Delivery, DeliveryAttempt, Site, Ticket, WebhookEndpoint
from schedq.db.uow import UnitOfWork
from schedq.notify import outbox, scheduler
from schedq.notify.log_sink import LogChannel
from schedq.notify.message import (
    Channel,
    ChannelName,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from schedq.notify.outgoing import compose_outgoing
from schedq.notify.settings import configured_channels

Clock = Callable[[], datetime]
SCHEDULE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Settings:
    """How the worker retries, and what links in messages start with (README: "Notifications")."""

    public_url: str
    secret_key: str
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    max_backoff_seconds: float = 3600.0
    lease_seconds: float = 120.0
    batch: int = 10

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            public_url=config["PUBLIC_URL"].rstrip("/"),
            secret_key=config["SECRET_KEY"],
            max_attempts=int(config["NOTIFY_MAX_ATTEMPTS"]),
            backoff_seconds=float(config["NOTIFY_BACKOFF_SECONDS"]),
            lease_seconds=float(config["NOTIFY_LEASE_SECONDS"]),
        )

    def backoff(self, attempt: int, retry_after: float | None = None) -> timedelta:
        """The wait before try `attempt + 1`: doubling from `backoff_seconds`, capped; at least what the server asked."""
        seconds = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        return timedelta(seconds=max(seconds, retry_after or 0.0))


def channels_from_config(config: Mapping[str, Any], database: Database) -> dict[ChannelName, Channel]:
    """The channels this deployment has settings for, and always the LOG channel.

    `notify.settings.configured_channels` names the email and SMS channels whose
    settings are present, and the webhook channel; a channel it leaves out is
    delivered to the LOG channel instead (`pick`).
    """
    channels = configured_channels(config)
    channels[ChannelName.LOG] = LogChannel(
        database, file=config.get("NOTIFY_LOG_FILE"), clock=config.get("CLOCK")
    )
    return channels


def pick(channels: Mapping[ChannelName, Channel], name: ChannelName) -> Channel:
    """The channel configured for `name`, else the LOG channel."""
    return channels.get(name) or channels[ChannelName.LOG]


@dataclass(frozen=True, slots=True)
class Claimed:
    """One try this worker holds the lease for."""

    delivery_id: int
    number: int
    outgoing: Outgoing | None
    problem: str | None = None
    """Why no message could be made (then the try fails for good)."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(
    database: Database, settings: Settings, *, now: datetime, worker: str, limit: int | None = None
) -> list[Claimed]:
    """Lease the due rows (and rows whose lease ran out) and log a try for each."""
    due = or_(
        and_(Delivery.status == outbox.PENDING, Delivery.due_at <= now),
        and_(Delivery.status == outbox.SENDING, Delivery.lease_until <= now),
    )
    stmt = select(Delivery).where(due).order_by(Delivery.due_at, Delivery.id).limit(limit or settings.batch)
    with UnitOfWork(database) as uow:
        if not database.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True, of=Delivery)
        rows = list(uow.session.scalars(stmt))
        claimed = []
        for row in rows:
            if row.status == outbox.SENDING:
                _close_open_tries(uow, row, now, "interrupted", "the worker stopped before marking this try")
            row.status = outbox.SENDING
            row.attempts += 1
            row.lease_until = now + timedelta(seconds=settings.lease_seconds)
            try:
                outgoing, problem = _outgoing(uow, row, settings, now), None
            except _Unsendable as error:
                outgoing, problem = None, str(error)
            used = _channel_name(row, outgoing)
            uow.session.add(
                DeliveryAttempt(
                    delivery_id=row.id, number=row.attempts, channel=used, worker=worker, started_at=now
                )
            )
            claimed.append(Claimed(row.id, row.attempts, outgoing, problem))
        uow.commit()
        return claimed


class _Unsendable(Exception):
    pass


STOP_LINE_EVERY = timedelta(days=30)
"""An SMS says how to opt out when no SMS went to that number within this time (README: "Messages")."""


def _outgoing(uow: UnitOfWork, row: Delivery, settings: Settings, now: datetime) -> Outgoing:
    event = row.event
    ticket = uow.session.get(Ticket, event.ticket_id) if event.ticket_id is not None else None
    appointment = uow.session.get(Appointment, event.appointment_id) if event.appointment_id else None
    endpoint = uow.session.get(WebhookEndpoint, row.endpoint_id) if row.endpoint_id is not None else None
    if row.channel == ChannelName.WEBHOOK and endpoint is None:
        raise _Unsendable("the webhook endpoint was removed")
    return compose_outgoing(
        row,
        event,
        ticket=ticket,
        appointment=appointment,
        endpoint=endpoint,
        public_url=settings.public_url,
        secret_key=settings.secret_key,
        sender=_site_sender(uow, event.site_id, row.channel),
        stop_line=row.channel == ChannelName.SMS and not _texted_lately(uow, row, now),
    )


def _texted_lately(uow: UnitOfWork, row: Delivery, now: datetime) -> bool:
    """Whether an SMS to this number was sent within `STOP_LINE_EVERY` (and so said how to opt out)."""
    return (
        uow.session.scalar(
            select(Delivery.id)
            .where(
                Delivery.channel == ChannelName.SMS.value,
                Delivery.recipient == row.recipient,
                Delivery.status == outbox.SENT,
                Delivery.sent_at > now - STOP_LINE_EVERY,
                Delivery.id != row.id,
            )
            .limit(1)
        )
        is not None
    )


def _site_sender(uow: UnitOfWork, site_id: int, channel: str) -> str | None:
    """The site's own sender for a patient's email or SMS (`email_from`, `sms_from`), if it set one."""
    column = {ChannelName.EMAIL.value: Site.email_from, ChannelName.SMS.value: Site.sms_from}.get(channel)
    if column is None:
        return None
    return uow.session.scalar(select(column).where(Site.id == site_id))


def _channel_name(row: Delivery, outgoing: Outgoing | None) -> str:
    return row.channel if outgoing is None else outgoing.channel.value


def _close_open_tries(uow: UnitOfWork, row: Delivery, now: datetime, outcome: str, detail: str) -> None:
    for attempt in uow.session.scalars(
        select(DeliveryAttempt).where(
            DeliveryAttempt.delivery_id == row.id, DeliveryAttempt.outcome.is_(None)
        )
    ):
        attempt.outcome = outcome
        attempt.detail = detail
        attempt.ended_at = now


def deliver(
    database: Database,
    channels: Mapping[ChannelName, Channel],
    claimed: Claimed,
    settings: Settings,
    *,
    clock: Clock,
) -> str:
    """Send one claimed try and mark it; returns its outcome (sent, temporary, permanent)."""
    provider_id = None
    retry_after = None
    used = None
    if claimed.outgoing is None:
        outcome, detail = "permanent", claimed.problem or "no message could be made"
    else:
        channel = pick(channels, claimed.outgoing.channel)
        used = channel.name.value
        try:
            provider_id = channel.send(claimed.outgoing)
            outcome, detail = "sent", None
        except TemporaryFailure as failure:
            outcome, detail, retry_after = "temporary", failure.reason, failure.retry_after_seconds
        except PermanentFailure as failure:
            outcome, detail = "permanent", failure.reason
        except Exception as error:  # a channel's own fault: worth another try, and logged
            outcome, detail = "temporary", f"{type(error).__name__}: {error}"
    mark(
        database,
        claimed,
        settings,
        outcome=outcome,
        detail=detail,
        provider_id=provider_id,
        retry_after=retry_after,
        channel=used,
        now=clock(),
    )
    return outcome


def mark(
    database: Database,
    claimed: Claimed,
    settings: Settings,
    *,
    outcome: str,
    detail: str | None,
    provider_id: str | None,
    retry_after: float | None,
    now: datetime,
    channel: str | None = None,
) -> None:
    """Write the try's outcome (and the channel that carried it: `log` when none is configured), and where the row goes next."""
    with UnitOfWork(database) as uow:
        row = uow.session.get_one(Delivery, claimed.delivery_id)
        attempt = uow.session.scalars(
            select(DeliveryAttempt).where(
                DeliveryAttempt.delivery_id == row.id, DeliveryAttempt.number == claimed.number
            )
        ).one()
        attempt.outcome = outcome
        attempt.channel = channel or attempt.channel
        attempt.detail = None if detail is None else detail[:500]
        attempt.ended_at = now
        if outcome == "sent":
            if row.status != outbox.SENT:
                row.status = outbox.SENT
                row.sent_at = now
                row.provider_id = provider_id
                row.lease_until = None
                row.last_error = None
        elif row.status == outbox.SENDING and row.attempts == claimed.number:  # the row is still this try's
            row.last_error = attempt.detail
            row.lease_until = None
            if outcome == "permanent" or row.attempts >= settings.max_attempts:
                row.status = outbox.DEAD
            else:
                row.status = outbox.PENDING
                row.due_at = now + settings.backoff(row.attempts, retry_after)
        uow.commit()


def run_once(
    database: Database,
    channels: Mapping[ChannelName, Channel],
    settings: Settings,
    *,
    clock: Clock,
    worker: str,
) -> int:
    """Claim one batch and deliver it; how many tries were made."""
    claimed = claim(database, settings, now=clock(), worker=worker)
    for one in claimed:
        deliver(database, channels, one, settings, clock=clock)
    return len(claimed)


def run(
    database: Database,
    channels: Mapping[ChannelName, Channel],
    settings: Settings,
    *,
    stop: threading.Event,
    poll_seconds: float,
    clock: Clock | None = None,
    worker: str | None = None,
) -> None:
    """Deliver until `stop` is set; idle `poll_seconds` between empty batches; write scheduled events every minute."""
    clock = clock or (lambda: datetime.now(UTC))
    worker = worker or worker_name()
    scheduled: datetime | None = None
    while not stop.is_set():
        if scheduled is None or clock() - scheduled >= SCHEDULE_EVERY:
            scheduled = clock()
            scheduler.write_reminders(database, now=scheduled)
            scheduler.write_turn_events(database, now=scheduled)
        if run_once(database, channels, settings, clock=clock, worker=worker) == 0:
            stop.wait(poll_seconds)
