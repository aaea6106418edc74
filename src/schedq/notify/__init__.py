"""Telling patients and site systems what they need to know: events, their messages, and delivery.

A change that patients or site systems must hear of (a booking confirmed, a
patient called...) writes an `Event` and, per recipient and channel, an
outbox row in the same transaction as the change; `schedq worker` delivers
the outbox through the channels with retries, once per recipient (README:
"Notifications").

Modules: `message` (what a channel is given, and how it fails), `events` (the
kinds of event and what each carries).
"""
