"""Making the message one delivery sends: words and links for a patient, a JSON body for a site's system.

Links carry the patient's token (derived again here, never stored) and start
with `SCHEDQ_PUBLIC_URL`. A webhook's `Outgoing` names, in the header
`SECRET_ENV_HEADER`, the environment variable that holds its endpoint's
signing secret: the webhook channel reads the secret from there and never
sends that header on.
"""

from __future__ import annotations

from schedq.db.models import Appointment, Delivery, NotifyEvent, Ticket, WebhookEndpoint
from schedq.domain.codes import patient_token
from schedq.notify import facts as facts_of
from schedq.notify.content import compose, webhook_payload
from schedq.notify.events import EventKind
from schedq.notify.message import SECRET_ENV_HEADER, ChannelName, Outgoing
from schedq.notify.preferences import unsubscribe_token


def compose_outgoing(
    row: Delivery,
    event: NotifyEvent,
    *,
    ticket: Ticket | None,
    appointment: Appointment | None,
    endpoint: WebhookEndpoint | None,
    public_url: str,
    secret_key: str,
    sender: str | None = None,
    stop_line: bool = False,
) -> Outgoing:
    kind = EventKind(event.kind)
    channel = ChannelName(row.channel)
    if channel is ChannelName.WEBHOOK:
        assert endpoint is not None  # checked by the caller
        return Outgoing(
            key=row.key,
            channel=channel,
            to=row.recipient,
            text=webhook_payload(kind, event.data, at=event.created_at),
            headers={SECRET_ENV_HEADER: endpoint.secret_env},
        )
    facts = facts_of.from_json(
        event.facts,
        link=_patient_link(public_url, secret_key, ticket, appointment),
        # The page opens in the language of the messages it stops (README: Languages, `?lang=`).
        unsubscribe_link=(
            f"{public_url}/unsubscribe/{unsubscribe_token(secret_key, row.recipient)}?lang={row.language}"
        ),
    )
    said = compose(kind, facts, channel=channel, language=row.language, stop_line=stop_line)
    return Outgoing(
        key=row.key,
        channel=channel,
        to=row.recipient,
        text=said.text,
        subject=said.subject,
        language=row.language,
        attachments=said.attachments,
        sender=sender,
    )


def _patient_link(
    public_url: str, secret_key: str, ticket: Ticket | None, appointment: Appointment | None
) -> str | None:
    """The patient's own page: the ticket page once there is a ticket, else the booking's manage page."""
    if ticket is not None:
        token = patient_token(secret_key, "ticket", ticket.id, ticket.token_nonce)
        return f"{public_url}/ticket/{ticket.id}#token={token}"
    if appointment is not None:
        token = patient_token(secret_key, "appointment", appointment.id, appointment.token_nonce)
        return f"{public_url}/booking/{appointment.reference}#token={token}"
    return None
