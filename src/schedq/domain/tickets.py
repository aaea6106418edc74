"""A ticket's life: which actions each status allows and where they lead.

    waiting ──call──▶ called ──start──▶ in_service ──complete──▶ done
       │ ▲              │ ▲ recall
       │ └──requeue─────┤
       │ └──requeue── no_show ◀──no_show──┘
       ├──cancel (staff)──▶ cancelled
       └──leave (patient)─▶ left

`set_priority` and `mark_present` keep a waiting ticket waiting; `recall`
announces a called ticket again. A requeued ticket goes back to waiting with
its original `joined_at`, so it keeps its place in the line (staff requeue a
patient who stepped out, or a no-show who came back). Pure: no Flask, no
SQLAlchemy.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import timedelta

from schedq.domain.enums import AppointmentStatus, TicketStatus
from schedq.domain.errors import Conflict


class Action(enum.StrEnum):
    CALL = "call"
    RECALL = "recall"
    START = "start"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    REQUEUE = "requeue"
    CANCEL = "cancel"
    LEAVE = "leave"
    SET_PRIORITY = "set_priority"
    MARK_PRESENT = "mark_present"


UNDO_WINDOW = timedelta(seconds=10)
"""How long after a staff no-show or cancel staff can undo it; the patient is told of either once it has passed."""

S, A = TicketStatus, Action

# (status, action) -> status it leads to. Anything not listed is refused.
TRANSITIONS: Mapping[tuple[TicketStatus, Action], TicketStatus] = {
    (S.WAITING, A.CALL): S.CALLED,
    (S.WAITING, A.CANCEL): S.CANCELLED,
    (S.WAITING, A.LEAVE): S.LEFT,
    (S.WAITING, A.SET_PRIORITY): S.WAITING,
    (S.WAITING, A.MARK_PRESENT): S.WAITING,
    (S.CALLED, A.RECALL): S.CALLED,
    (S.CALLED, A.START): S.IN_SERVICE,
    (S.CALLED, A.NO_SHOW): S.NO_SHOW,
    (S.CALLED, A.REQUEUE): S.WAITING,
    (S.IN_SERVICE, A.COMPLETE): S.DONE,
    (S.NO_SHOW, A.REQUEUE): S.WAITING,
}

# The appointment's status follows its ticket.
APPOINTMENT_STATUS: Mapping[TicketStatus, AppointmentStatus] = {
    S.WAITING: AppointmentStatus.CHECKED_IN,
    S.CALLED: AppointmentStatus.CALLED,
    S.IN_SERVICE: AppointmentStatus.IN_SERVICE,
    S.DONE: AppointmentStatus.DONE,
    S.NO_SHOW: AppointmentStatus.NO_SHOW,
    S.LEFT: AppointmentStatus.CANCELLED,
    S.CANCELLED: AppointmentStatus.CANCELLED,
}

ACTIVE = frozenset({S.WAITING, S.CALLED, S.IN_SERVICE})


def allowed_actions(status: TicketStatus) -> list[str]:
    """The actions a ticket in `status` allows, in a stable order."""
    return [action.value for action in Action if (status, action) in TRANSITIONS]


def next_status(status: TicketStatus, action: Action) -> TicketStatus:
    """Where `action` leads from `status`; Conflict naming the allowed actions otherwise."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise Conflict(
            f"a {status.value} ticket cannot take the action {action.value}",
            allowed=allowed_actions(status),
        ) from None
