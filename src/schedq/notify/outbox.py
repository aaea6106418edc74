"""Writing the outbox: an event and its per-recipient deliveries, in the transaction of the change.

Called by the use cases while their unit of work is open, before they commit:
a change rolled back leaves no event, and a committed change always has its
deliveries waiting for `schedq worker` (README: "Notifications").

Recipients: the patient, once per channel they gave an address for (email,
SMS) — pending when they opted in and have not unsubscribed, else kept as
`opted_out` so staff see why nothing went; and every active webhook endpoint
of the site, for every kind of event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from schedq.db.models import (
    Appointment,
    Delivery,
    NotifyEvent,
    Site,
    Ticket,
    WebhookEndpoint,
)
from schedq.db.uow import UnitOfWork
from schedq.domain.tickets import UNDO_WINDOW
from schedq.notify import facts as facts_of
from schedq.notify.events import PATIENT_EVENTS, EventKind, Facts
from schedq.notify.message import ChannelName
from schedq.notify.quiet_hours import after_quiet_hours
from schedq.services import opt_outs

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
DEAD = "dead"
OPTED_OUT = "opted_out"
WITHDRAWN = "withdrawn"
"""Never sent: what it told was taken back first (a no-show or cancel undone, a no-show requeued)."""

QUIET_KINDS = frozenset({EventKind.BOOKING_REMINDER, EventKind.RATING_REQUEST})
"""Kinds that wait for the end of the site's quiet hours; the others tell of something happening now."""

HELD_KINDS = {EventKind.MISSED_CALL: UNDO_WINDOW, EventKind.TICKET_CANCELLED: UNDO_WINDOW}
"""Kinds told to the patient only once staff can no longer undo them (`withdraw`); a closed day is told at once."""

# A ticket's action (`domain.tickets.Action`, or the visit log's join and check-in) -> the events it causes.
TICKET_ACTIONS: dict[str, tuple[EventKind, ...]] = {
    "join": (EventKind.TICKET_JOINED,),
    "check_in": (EventKind.APPOINTMENT_CHECKED_IN,),
    "call": (EventKind.CALLED,),
    "recall": (EventKind.CALLED,),
    "no_show": (EventKind.MISSED_CALL,),
    "cancel": (EventKind.TICKET_CANCELLED,),
    "close_out": (EventKind.DAY_CLOSED,),
    "complete": (EventKind.VISIT_DONE, EventKind.RATING_REQUEST),
}


def new_key() -> str:
    """A delivery's idempotency key: random, kept with the row, the same on every try."""
    return uuid.uuid4().hex


def appointment_event(
    uow: UnitOfWork,
    kind: EventKind,
    appointment: Appointment,
    *,
    now: datetime,
    previous_starts_at: datetime | None = None,
) -> NotifyEvent | None:
    """A booking confirmed, rescheduled, cancelled or due tomorrow."""
    site = appointment.site
    facts = facts_of.appointment_facts(site, appointment, previous_starts_at=previous_starts_at)
    told = _appointment_data(appointment)
    if previous_starts_at is not None:
        told["previous_starts_at"] = previous_starts_at.isoformat()
    data = {"site_id": site.id, "appointment": told}
    return record(
        uow,
        kind,
        site=site,
        facts=facts,
        data=data,
        now=now,
        appointment=appointment,
        contacts=_appointment_contacts(appointment),
    )


def ticket_action(
    uow: UnitOfWork, ticket: Ticket, action: str, *, now: datetime, reason: str | None = None
) -> list[NotifyEvent]:
    """The events a ticket's change causes: patient messages where `TICKET_ACTIONS` says, a webhook always.

    `reason`: why, as staff wrote it with a cancel, told to the patient.
    """
    site = uow.session.get_one(Site, ticket.site_id)
    kinds = TICKET_ACTIONS.get(action, (EventKind.TICKET_CHANGED,))
    facts = facts_of.ticket_facts(site, ticket, reason=reason if action == "cancel" else None)
    data = {"site_id": site.id, "action": action, "ticket": _ticket_data(ticket)}
    if ticket.appointment is not None:
        data["appointment"] = _appointment_data(ticket.appointment)
    events = []
    for kind in kinds:
        event = record(
            uow,
            kind,
            site=site,
            facts=facts,
            data=data,
            now=now,
            ticket=ticket,
            appointment=ticket.appointment,
            contacts=_ticket_contacts(ticket),
        )
        if event is not None:
            events.append(event)
    return events


def ticket_event(
    uow: UnitOfWork, ticket: Ticket, kind: EventKind, *, now: datetime, **more: Any
) -> NotifyEvent | None:
    """An event no change caused (leave now, near turn), with the facts `more` adds (the wait's range)."""
    site = uow.session.get_one(Site, ticket.site_id)
    data = {"site_id": site.id, "ticket": _ticket_data(ticket)}
    return record(
        uow,
        kind,
        site=site,
        facts=facts_of.ticket_facts(site, ticket, **more),
        data=data,
        now=now,
        ticket=ticket,
        appointment=ticket.appointment,
        contacts=_ticket_contacts(ticket),
    )


def record(
    uow: UnitOfWork,
    kind: EventKind,
    *,
    site: Site,
    facts: Facts,
    data: dict[str, Any],
    now: datetime,
    contacts: list[tuple[ChannelName, str | None, bool, str]],
    ticket: Ticket | None = None,
    appointment: Appointment | None = None,
) -> NotifyEvent | None:
    """Add the event and its deliveries to the open transaction; None when nobody is to hear of it."""
    event = NotifyEvent(
        site_id=site.id,
        kind=kind.value,
        ticket_id=ticket.id if ticket is not None else None,
        appointment_id=appointment.id if appointment is not None else None,
        facts=facts_of.to_json(facts),
        data=data,
        created_at=now,
    )
    rows = list(_patient_rows(uow, kind, site, contacts, now)) + list(_webhook_rows(uow, site, now))
    if not rows:
        return None
    uow.session.add(event)
    for row in rows:
        row.event = event
        uow.session.add(row)
    return event


def _patient_rows(
    uow: UnitOfWork,
    kind: EventKind,
    site: Site,
    contacts: list[tuple[ChannelName, str | None, bool, str]],
    now: datetime,
) -> Iterator[Delivery]:
    if kind not in PATIENT_EVENTS:
        return
    due = after_quiet_hours(site, now) if kind in QUIET_KINDS else now + HELD_KINDS.get(kind, timedelta())
    for channel, address, agreed, language in contacts:
        if not address:
            continue
        with uow.session.no_autoflush:
            wanted = agreed and not opt_outs.is_opted_out(uow, channel, address)
        yield Delivery(
            channel=channel.value,
            recipient=address,
            language=language,
            key=new_key(),
            status=PENDING if wanted else OPTED_OUT,
            attempts=0,
            due_at=due,
            created_at=now,
        )


def withdraw(uow: UnitOfWork, ticket_id: int, kind: EventKind) -> None:
    """The ticket's `kind` messages to the patient not yet sent are never sent (`WITHDRAWN`).

    Webhooks keep theirs: a site's systems see the change and then what took it back.
    """
    taken_back = select(NotifyEvent.id).where(
        NotifyEvent.ticket_id == ticket_id, NotifyEvent.kind == kind.value
    )
    uow.session.execute(
        update(Delivery)
        .where(
            Delivery.event_id.in_(taken_back),
            Delivery.status == PENDING,
            Delivery.channel != ChannelName.WEBHOOK.value,
        )
        .values(status=WITHDRAWN)
        .execution_options(synchronize_session=False)
    )


def _webhook_rows(uow: UnitOfWork, site: Site, now: datetime) -> Iterator[Delivery]:
    for endpoint_id, url in _active_endpoints(uow, site.id):
        yield Delivery(
            channel=ChannelName.WEBHOOK.value,
            recipient=url,
            language="en",
            endpoint_id=endpoint_id,
            key=new_key(),
            status=PENDING,
            attempts=0,
            due_at=now,
            created_at=now,
        )


def _active_endpoints(uow: UnitOfWork, site_id: int) -> list[tuple[int, str]]:
    """The site's active webhook endpoints (id, URL), read once per unit of work however many events it makes."""
    read = uow.session.info.setdefault("schedq.webhook_endpoints", {})
    if site_id not in read:
        # Read without flushing the change in hand: it is written once, at commit, not in pieces.
        with uow.session.no_autoflush:
            read[site_id] = [
                (row.id, row.url)
                for row in uow.session.execute(
                    select(WebhookEndpoint.id, WebhookEndpoint.url)
                    .where(WebhookEndpoint.site_id == site_id, WebhookEndpoint.active.is_(True))
                    .order_by(WebhookEndpoint.id)
                )
            ]
    return read[site_id]


def _appointment_contacts(appointment: Appointment) -> list[tuple[ChannelName, str | None, bool, str]]:
    return [
        (ChannelName.EMAIL, appointment.contact_email, appointment.notify_email, appointment.language),
        (ChannelName.SMS, appointment.contact_phone, appointment.notify_sms, appointment.language),
    ]


def _ticket_contacts(ticket: Ticket) -> list[tuple[ChannelName, str | None, bool, str]]:
    if ticket.appointment is not None:
        return _appointment_contacts(ticket.appointment)
    return [
        (ChannelName.EMAIL, ticket.contact_email, ticket.notify_email, ticket.language),
        (ChannelName.SMS, ticket.contact_phone, ticket.notify_sms, ticket.language),
    ]


def _ticket_data(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "code": ticket.code,
        "kind": ticket.kind.value,
        "status": ticket.status.value,
        "service": ticket.service.code,
        "station": ticket.station.name if ticket.station is not None else None,
    }


def _appointment_data(appointment: Appointment) -> dict[str, Any]:
    return {
        "reference": appointment.reference,
        "status": appointment.status.value,
        "service": appointment.service.code,
        "starts_at": appointment.starts_at.isoformat(),
    }
