"""Stand-in words for messages until `notify.content.compose` (the content helper's) is merged.

The only place the outbox turns facts into words: at merge, `words()` calls
`notify.content.compose(kind, facts, channel=channel, language=language)` and
this module's English goes. Plain English only; an SMS names no service and no
preparation (README: "Notifications").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from schedq.notify.events import EventKind, Facts
from schedq.notify.message import ChannelName


@dataclass(frozen=True, slots=True)
class Words:
    subject: str | None
    text: str


SUBJECTS = {
    EventKind.BOOKING_CONFIRMED: "your visit is booked",
    EventKind.BOOKING_RESCHEDULED: "your visit is moved",
    EventKind.BOOKING_CANCELLED: "your visit is cancelled",
    EventKind.BOOKING_REMINDER: "your visit tomorrow",
    EventKind.LEAVE_NOW: "time to leave",
    EventKind.NEAR_TURN: "your turn is near",
    EventKind.CALLED: "it is your turn",
    EventKind.MISSED_CALL: "you missed your call",
    EventKind.RATING_REQUEST: "how was your wait?",
}


def words(kind: EventKind, facts: Facts, *, channel: ChannelName, language: str) -> Words:
    """The subject and text of one patient message."""
    private = channel is ChannelName.SMS
    zone = ZoneInfo(facts.site_timezone)
    when = _local(facts.starts_at, zone)
    lines = {
        EventKind.BOOKING_CONFIRMED: f"Your visit to {facts.site_name} is booked for {when}.",
        EventKind.BOOKING_RESCHEDULED: f"Your visit to {facts.site_name} is moved to {when}.",
        EventKind.BOOKING_CANCELLED: f"Your visit to {facts.site_name} on {when} is cancelled.",
        EventKind.BOOKING_REMINDER: f"Reminder: your visit to {facts.site_name} is {when}.",
        EventKind.LEAVE_NOW: f"Time to leave for {facts.site_name}: your turn ({facts.code}) comes in "
        f"{facts.wait_low_minutes} to {facts.wait_high_minutes} minutes.",
        EventKind.NEAR_TURN: f"Your turn ({facts.code}) at {facts.site_name} is near.",
        EventKind.CALLED: f"{facts.code}: please go to {facts.station} now ({facts.site_name}).",
        EventKind.MISSED_CALL: f"{facts.code} was called at {facts.site_name} and you were not there. "
        "Ask at the front desk to go back in line.",
        EventKind.RATING_REQUEST: f"Thank you for visiting {facts.site_name}. How was your wait?",
    }
    text = [lines[kind]]
    if facts.reference:
        text.append(f"Reference: {facts.reference}")
    if not private and facts.service_name and kind.value.startswith("appointment."):
        text.append(f"Test: {facts.service_name}")
        if facts.preparation:
            text.append(f"How to prepare: {facts.preparation}")
    if not private and facts.site_address:
        text.append(facts.site_address)
    if facts.link:
        text.append(facts.link)
    if facts.unsubscribe_link and not private:
        text.append(f"No more messages: {facts.unsubscribe_link}")
    if private:
        text.append("Reply STOP for no more texts.")
    subject = None if private else f"{facts.site_name}: {SUBJECTS[kind]}"
    return Words(subject, "\n".join(text))


def webhook_body(kind: EventKind, data: dict[str, Any], *, at: datetime) -> str:
    """The JSON a site's systems receive (Standard Webhooks: type, timestamp, data)."""
    return json.dumps({"type": kind.value, "timestamp": at.isoformat(), "data": data})


def _local(at: datetime | None, zone: ZoneInfo) -> str:
    return "" if at is None else at.astimezone(zone).strftime("%A %d %B at %H:%M")
