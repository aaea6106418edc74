"""The state of one site at one instant: what the estimator simulates forward from.

All datetimes are timezone-aware UTC. The service layer builds a snapshot from
the database; the estimator never loads anything itself.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

TicketKind = Literal["walk_in", "remote", "appointment"]


@dataclass(frozen=True, slots=True)
class InService:
    """The patient a station is serving now, and since when."""

    ticket_id: int
    service_code: str
    started_at: datetime


@dataclass(frozen=True, slots=True)
class StationState:
    """An open station: what it can do and whom it is serving (None when free)."""

    station_id: Hashable
    skills: frozenset[str]
    busy_with: InService | None = None


@dataclass(frozen=True, slots=True)
class WaitingTicket:
    """A ticket in status waiting.

    `appointment_at` is set only for appointments checked in on time or early
    (the call policy's `QueueEntry` rule); a late check-in carries None and
    `joined_at` its check-in time. `expected_arrival_at` is when a ticket that
    is not present (a remote "save my spot") is expected to walk in; None
    means unknown (the estimator then assumes `DEFAULT_TRAVEL_MINUTES`).
    """

    ticket_id: int
    service_code: str
    kind: TicketKind
    joined_at: datetime
    priority: bool = False
    present: bool = True
    appointment_at: datetime | None = None
    expected_arrival_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UpcomingAppointment:
    """An appointment booked for later today (or just overdue) and not yet checked in."""

    appointment_id: Hashable
    service_code: str
    appointment_at: datetime


@dataclass(frozen=True, slots=True)
class StaffingBlock:
    """Planned number of open stations over [starts_at, ends_at).

    When a block plans fewer stations than are open, stations close as they
    finish their current patient, the most skilled kept (more skills first,
    then station id). When it plans more, the extra stations have
    `added_station_skills` if given, else the union of the skills of the
    stations open now (else every service the estimator knows of).
    """

    starts_at: datetime
    ends_at: datetime
    stations: int
    added_station_skills: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class SiteSnapshot:
    """Everything the estimator knows about a site at `now`.

    `staffing` is the capacity plan for the rest of the day. The stations open
    now stay as they are until the block containing `now` ends (the plan
    takes over at the next block boundary), except that with no station open
    inside a planned block the plan applies at once; without any block ahead
    they stay open indefinitely. Gaps between blocks are closed periods (lunch). After
    the last block the last shift stays open until the line is empty: the
    line is served past closing, with no new joins.

    Tickets whose id is in `called_ticket_ids` have been called and are
    walking to a station: they are left out of the line and given a zero wait.

    `opening_intervals` are today's opening intervals (from the site's hours
    and closures); None means not given, and then no closure constrains the
    calls. `staffing_is_actual` says that `staffing` is exactly how many
    stations will be open from now (an oracle that knows the real staffing):
    no adjustment from today's observed deviations is applied.

    `open_station_counts` records today's staffing so far: from each instant
    (ascending), how many stations were open; the estimator learns today's
    deviation from the plan from it (docs/estimator.md, staffing rule).
    `tz` is the site's zone (the arrival profile is by local half hour) and
    `walk_ins_until` when the line stops taking walk-ins today (the cut-off;
    None: `closes_at`); walk-ins still to come are simulated up to then.
    """

    now: datetime
    stations: tuple[StationState, ...] | list[StationState]
    waiting: tuple[WaitingTicket, ...] | list[WaitingTicket]
    closes_at: datetime | None = None
    grace_minutes: int = 15
    upcoming_appointments: tuple[UpcomingAppointment, ...] | list[UpcomingAppointment] = ()
    staffing: tuple[StaffingBlock, ...] | list[StaffingBlock] = ()
    called_ticket_ids: frozenset[int] = field(default_factory=frozenset)
    opening_intervals: tuple[tuple[datetime, datetime], ...] | None = None
    staffing_is_actual: bool = False
    open_station_counts: tuple[tuple[datetime, int], ...] = ()
    tz: str = "UTC"
    walk_ins_until: datetime | None = None
