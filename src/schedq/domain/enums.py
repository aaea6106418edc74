"""The named states and kinds of the domain."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    DISPLAY = "display"


class DisplayAnnounce(enum.StrEnum):
    """What the lobby display does on each call, besides showing it (README: "The lobby display")."""

    OFF = "off"
    CHIME = "chime"
    CHIME_AND_SPEECH = "chime_and_speech"


class StationState(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CALLED = "called"
    IN_SERVICE = "in_service"
    DONE = "done"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class TicketKind(enum.StrEnum):
    WALK_IN = "walk_in"
    REMOTE = "remote"
    APPOINTMENT = "appointment"

    @property
    def prefix(self) -> str:
        """First letter of the display code: A for kiosk walk-ins, R remote, B booked."""
        return {"walk_in": "A", "remote": "R", "appointment": "B"}[self.value]


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    IN_SERVICE = "in_service"
    DONE = "done"
    NO_SHOW = "no_show"
    LEFT = "left"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in {TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.LEFT, TicketStatus.CANCELLED}
