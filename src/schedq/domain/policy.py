"""The call policy: which waiting patient a station calls next.

One documented, deterministic rule (DESIGN.md, "Call policy"). Among present
tickets whose service the calling station can do:

1. checked-in appointments that are due (appointment time <= now), earliest
   appointment first;
2. priority tickets, in order of joining;
3. walk-ins (kiosk and remote tickets, and appointments checked in more than
   the grace minutes late) in order of joining;
4. early appointments (checked in, not yet due), only when nobody else is
   waiting, earliest appointment first.

An appointment marked priority is a priority ticket until it is due, and a
due appointment from then on.

Remote tickets keep their place while the patient travels: a ticket that is
not present is passed over, not moved back. Ties break on the ticket id, so
the order is total and the same state always gives the same answer.

The estimator simulates this same rule forward in time; `rank` is the single
definition both use.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


class Tier(enum.IntEnum):
    """Policy tiers, lowest called first."""

    DUE_APPOINTMENT = 0
    PRIORITY = 1
    WALK_IN = 2
    EARLY_APPOINTMENT = 3


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """What the call policy needs to know of one waiting ticket.

    `appointment_at` is set only for appointments checked in on time or early
    (at most the site's grace minutes late); an appointment checked in later
    than that joins the walk-in line and carries `appointment_at=None`, with
    `joined_at` its check-in time.
    """

    ticket_id: int
    service_code: str
    joined_at: datetime
    present: bool = True
    priority: bool = False
    appointment_at: datetime | None = None


def rank(entry: QueueEntry, now: datetime) -> tuple[int, datetime, int]:
    """The policy's sort key for `entry` at instant `now`: lower is called first."""
    if entry.appointment_at is not None and entry.appointment_at <= now:
        return (Tier.DUE_APPOINTMENT, entry.appointment_at, entry.ticket_id)
    if entry.priority:
        return (Tier.PRIORITY, entry.joined_at, entry.ticket_id)
    if entry.appointment_at is not None:
        return (Tier.EARLY_APPOINTMENT, entry.appointment_at, entry.ticket_id)
    return (Tier.WALK_IN, entry.joined_at, entry.ticket_id)


def is_late_check_in(*, appointment_at: datetime, checked_in_at: datetime, grace_minutes: int) -> bool:
    """True when a check-in is beyond the grace period and joins the walk-in line."""
    return checked_in_at > appointment_at + timedelta(minutes=grace_minutes)


def call_order(entries: Iterable[QueueEntry], now: datetime) -> list[QueueEntry]:
    """All entries in the order the policy would reach them at `now`."""
    return sorted(entries, key=lambda entry: rank(entry, now))


def choose_next(
    entries: Sequence[QueueEntry], *, skills: frozenset[str] | set[str], now: datetime
) -> QueueEntry | None:
    """The ticket a station with `skills` calls at `now`, or None when nobody fits."""
    eligible = [e for e in entries if e.present and e.service_code in skills]
    if not eligible:
        return None
    return min(eligible, key=lambda entry: rank(entry, now))
