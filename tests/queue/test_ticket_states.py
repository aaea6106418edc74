"""The ticket state machine (domain/tickets.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedq.domain.enums import AppointmentStatus, TicketStatus
from schedq.domain.errors import Conflict
from schedq.domain.tickets import APPOINTMENT_STATUS, TRANSITIONS, Action, allowed_actions, next_status

S, A = TicketStatus, Action


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (S.WAITING, ["call", "cancel", "leave", "set_priority", "mark_present"]),
        (S.CALLED, ["recall", "start", "no_show", "requeue"]),
        (S.IN_SERVICE, ["complete"]),
        (S.NO_SHOW, ["requeue"]),
        (S.DONE, []),
        (S.LEFT, []),
        (S.CANCELLED, []),
    ],
)
def test_each_status_allows_exactly_these_actions(status, allowed):
    assert allowed_actions(status) == allowed


@given(st.sampled_from(TicketStatus), st.sampled_from(Action))
def test_an_action_succeeds_exactly_when_allowed(status, action):
    if action.value in allowed_actions(status):
        assert next_status(status, action) == TRANSITIONS[(status, action)]
    else:
        with pytest.raises(Conflict) as error:
            next_status(status, action)
        assert error.value.allowed == allowed_actions(status)


@given(st.lists(st.sampled_from(Action), max_size=30))
def test_any_sequence_stays_in_the_machine_and_done_needs_a_start(actions):
    status, started = S.WAITING, False
    for action in actions:
        try:
            status = next_status(status, action)
        except Conflict:
            continue
        started = started or action is A.START
    if status is S.DONE:
        assert started
    assert status in TicketStatus


def test_done_left_and_cancelled_are_final_and_no_show_can_only_be_requeued():
    for status in TicketStatus:
        if status.is_final and status is not S.NO_SHOW:
            assert allowed_actions(status) == []
    assert allowed_actions(S.NO_SHOW) == ["requeue"]


def test_every_ticket_status_maps_to_an_appointment_status():
    assert set(APPOINTMENT_STATUS) == set(TicketStatus)
    assert APPOINTMENT_STATUS[S.WAITING] is AppointmentStatus.CHECKED_IN
    assert APPOINTMENT_STATUS[S.LEFT] is AppointmentStatus.CANCELLED
