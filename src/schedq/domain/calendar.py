"""One appointment as an RFC 5545 calendar file, in whatever words its caller chose.

The manage page's download (`GET /appointments/{reference}/calendar.ics`)
and the booking emails (`notify.content`, in the patient's language) attach
the same file: one event, its uid the reference, so a calendar that imports
a later file for the same booking (moved, cancelled) updates the one event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import icalendar


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    reference: str
    starts_at: datetime
    """Aware."""
    ends_at: datetime | None
    """None when the caller does not know the length: the event then has no end (RFC 5545 3.6.1)."""
    summary: str
    location: str
    description: str
    cancelled: bool = False


def calendar_file(entry: CalendarEntry, *, now: datetime) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//schedq//appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"{entry.reference}@schedq")
    event.add("dtstamp", now)
    event.add("dtstart", entry.starts_at)
    if entry.ends_at is not None:
        event.add("dtend", entry.ends_at)
    event.add("summary", entry.summary)
    event.add("location", entry.location)
    event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
