"""The events patients and site systems hear of, and what each carries.

Patients get messages for the kinds in `PATIENT_EVENTS` through the channels
they opted into, in their language; site systems get every kind by webhook
(README: "Notifications").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class EventKind(StrEnum):
    BOOKING_CONFIRMED = "appointment.booked"
    BOOKING_RESCHEDULED = "appointment.rescheduled"
    BOOKING_CANCELLED = "appointment.cancelled"
    BOOKING_REMINDER = "appointment.reminder"
    APPOINTMENT_CHECKED_IN = "appointment.checked_in"
    TICKET_JOINED = "ticket.joined"
    LEAVE_NOW = "ticket.leave_now"
    NEAR_TURN = "ticket.near_turn"
    CALLED = "ticket.called"
    MISSED_CALL = "ticket.no_show"
    TICKET_CANCELLED = "ticket.cancelled"
    DAY_CLOSED = "ticket.day_closed"
    TICKET_CHANGED = "ticket.changed"
    VISIT_DONE = "ticket.completed"
    RATING_REQUEST = "ticket.rating_request"


PATIENT_EVENTS = frozenset(
    {
        EventKind.BOOKING_CONFIRMED,
        EventKind.BOOKING_RESCHEDULED,
        EventKind.BOOKING_CANCELLED,
        EventKind.BOOKING_REMINDER,
        EventKind.LEAVE_NOW,
        EventKind.NEAR_TURN,
        EventKind.CALLED,
        EventKind.MISSED_CALL,
        EventKind.TICKET_CANCELLED,
        EventKind.DAY_CLOSED,
        EventKind.RATING_REQUEST,
    }
)


@dataclass(frozen=True, slots=True)
class Facts:
    """What a message about one event may say; `notify.content` turns it into words per channel and language.

    An SMS never names the service or its preparation (a test or a condition is
    private): only the site, the code, times and a link.
    """

    site_name: str
    site_timezone: str
    site_address: str = ""
    site_phone: str | None = None
    """As people of the site's country write it."""
    map_link: str | None = None
    link: str | None = None
    """The patient's own page: the ticket page or the booking's manage page, absolute, token in the fragment."""
    unsubscribe_link: str | None = None
    reference: str | None = None
    code: str | None = None
    service_name: str | None = None
    preparation: str | None = None
    starts_at: datetime | None = None
    """The appointment's time (aware)."""
    previous_starts_at: datetime | None = None
    """Before a reschedule."""
    station: str | None = None
    wait_low_minutes: int | None = None
    wait_high_minutes: int | None = None
    arrive_by: datetime | None = None
    travel_minutes: int | None = None
    reason: str | None = None
    """Why staff cancelled the ticket, as they wrote it (none given: none told)."""
    extra: dict[str, str] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    """`service_name`, `preparation` and `station` in other languages, where an admin set them
    (README "Languages"): {"es": {"service_name": …}}."""

    def in_language(self, language: str) -> Facts:
        """These facts with the names set for `language` (English, as kept, where none is)."""
        named = self.names.get(language) or {}
        return replace(
            self,
            service_name=named.get("service_name", self.service_name),
            preparation=named.get("preparation", self.preparation),
            station=named.get("station", self.station),
        )
