"""Queue use cases against SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schedq.db.models import Appointment, SiteDay, VisitEvent
from schedq.domain.enums import StationState
from schedq.domain.errors import Conflict, InvalidInput, NotFound, SiteClosed, TooManyRequests
from schedq.services import tickets
from schedq.services.queue import calling, closing, corrections, history, no_shows, stations
from tests.conftest import MONDAY_8AM
from tests.queue.conftest import SECRET, STAFF

pytestmark = pytest.mark.usefixtures("backend")


def test_walk_ins_get_consecutive_codes_by_kind(q):
    codes = [q.walk_in().code, q.walk_in().code, q.remote().code, q.walk_in("UDS").code]
    assert codes == ["A001", "A002", "R001", "A003"]


def test_codes_restart_each_local_day(q, clock):
    assert q.walk_in().code == "A001"
    clock.advance(days=1)
    assert q.walk_in().code == "A001"


def test_walk_in_needs_a_walk_in_service_offered_here(q):
    with pytest.raises(InvalidInput) as error:
        q.walk_in("GTT")
    assert error.value.field == "service"


def test_joins_stop_at_the_walk_in_cutoff(q, clock):
    clock.set(MONDAY_8AM + timedelta(hours=8, minutes=30))  # 16:30, closing 17:00, cut-off 30 min
    with pytest.raises(Conflict, match="No more walk-ins today: the line closed to new patients at 16:30"):
        q.walk_in()
    with pytest.raises(Conflict):
        q.remote()


def test_joins_in_the_lunch_closure_are_refused_until_it_reopens(q, clock):
    clock.set(MONDAY_8AM + timedelta(hours=4, minutes=4))  # 12:04, closed 12:00–13:00
    for join in (q.walk_in, q.remote):
        with pytest.raises(SiteClosed) as refused:
            join()
        assert refused.value.status.reopens_at == MONDAY_8AM + timedelta(hours=5)
        assert refused.value.status.messages == {
            "en": "Closed for a midday break until 13:00.",
            "es": "Cerrado al mediodía hasta las 13:00.",
        }


def test_with_walk_ins_during_closure_a_lunch_join_is_taken(q, clock, make_uow):
    from schedq.services import sites

    sites.update_site(make_uow(), site_id=q.site_id, walk_ins_during_closure=True)
    clock.set(MONDAY_8AM + timedelta(hours=4, minutes=4))
    ticket = q.walk_in()
    assert ticket.site_status.walk_ins_accepted and ticket.estimate["message"]["en"].startswith(
        "We reopen at 13:00."
    )


def test_an_early_appointment_checks_in_before_opening(q, clock):
    appointment = q.book(MONDAY_8AM + timedelta(days=1, hours=-0.5))  # Tuesday 07:30
    clock.set(MONDAY_8AM + timedelta(days=1, hours=-1.5))  # Tuesday 06:30
    with pytest.raises(SiteClosed):
        q.walk_in()
    ticket = q.check_in(appointment.reference)
    assert ticket.kind == "appointment" and ticket.estimate["message"]["en"].startswith("We open at 07:00.")


def test_a_site_closed_today_refuses_joins(q, clock):
    clock.advance(days=5)  # Saturday: no hours
    with pytest.raises(Conflict, match="Opens on Monday at 07:00"):
        q.walk_in()


def test_call_next_follows_the_policy_tiers(q, clock):
    appointment = q.book(MONDAY_8AM + timedelta(hours=1))
    early_walk_in = q.walk_in()
    clock.advance(minutes=50)
    booked = q.check_in(appointment.reference)  # 08:50, due at 09:00
    later_walk_in = q.walk_in()
    priority = q.walk_in()
    q.act(corrections.set_priority, priority.id, priority=True)
    q.open("Station 1")
    called = []
    for _ in range(4):
        ticket = q.call_next()
        called.append(ticket.id)
        q.act(calling.start, ticket.id)
        q.act(calling.complete, ticket.id)
        clock.advance(minutes=1)
    assert called == [priority.id, early_walk_in.id, later_walk_in.id, booked.id]


def test_due_appointment_goes_first(q, clock):
    appointment = q.book(MONDAY_8AM + timedelta(hours=1))
    clock.advance(minutes=55)
    walk_in = q.walk_in()
    booked = q.check_in(appointment.reference)
    clock.advance(minutes=5)  # 09:00: due
    q.open("Station 1")
    assert q.call_next().id == booked.id
    assert walk_in.position == 1


def test_late_check_in_queues_as_a_walk_in_from_check_in(q, clock):
    appointment = q.book(MONDAY_8AM + timedelta(hours=1))
    clock.advance(hours=1, minutes=20)  # 20 min late, grace 15
    walk_in = q.walk_in()
    booked = q.check_in(appointment.reference)
    q.open("Station 1")
    assert q.call_next().id == walk_in.id
    assert booked.kind == "appointment" and booked.appointment_at is not None


def test_station_skills_decide_who_it_calls(q):
    draw = q.walk_in("DRAW")
    uds = q.walk_in("UDS")
    q.open()
    assert q.call_next("Station 1").id == draw.id
    with pytest.raises(NotFound):
        q.call_next("Station 2")
    assert q.call_next("Station 3").id == uds.id


def test_absent_remote_ticket_is_passed_over_and_keeps_its_place(q, clock):
    remote = q.remote()
    clock.advance(minutes=1)
    walk_in = q.walk_in()
    clock.advance(minutes=1)
    second = q.walk_in()
    q.open("Station 1")
    assert q.call_next().id == walk_in.id
    q.act(calling.start, walk_in.id)
    q.act(calling.complete, walk_in.id)
    tickets.patient_present(
        q.make_uow(), ticket_id=remote.id, token=remote.token, secret_key=SECRET, now=clock()
    )
    assert q.call_next().id == remote.id
    assert q.ticket(second.id).position == 1


def test_paused_or_closed_station_cannot_call(q):
    q.walk_in()
    with pytest.raises(Conflict, match="closed"):
        q.call_next()
    q.open("Station 1")
    stations.set_station_state(
        q.make_uow(),
        station_id=q.stations["Station 1"],
        state=StationState.PAUSED,
        actor=STAFF,
        now=q.clock(),
    )
    with pytest.raises(Conflict, match="paused"):
        q.call_next()


def test_closing_a_station_with_a_called_ticket_is_refused(q):
    q.walk_in()
    q.open("Station 1")
    q.call_next()
    with pytest.raises(Conflict, match="still has A001"):
        stations.set_station_state(
            q.make_uow(),
            station_id=q.stations["Station 1"],
            state=StationState.CLOSED,
            actor=STAFF,
            now=q.clock(),
        )


def test_an_action_the_status_does_not_allow_names_the_allowed_ones(q):
    ticket = q.walk_in()
    with pytest.raises(Conflict) as error:
        q.act(calling.start, ticket.id)
    assert error.value.allowed == ["call", "cancel", "leave", "set_priority", "mark_present"]


def test_call_then_auto_no_show_after_the_site_minutes(q, clock):
    ticket = q.walk_in()
    q.open("Station 1")
    q.call_next()
    clock.advance(minutes=9)
    assert q.ticket(ticket.id).status == "called"
    clock.advance(minutes=2)
    seen = q.ticket(ticket.id)
    assert seen.status == "no_show"
    events = history.ticket_events(q.make_uow(write=False), ticket_id=ticket.id, now=clock())
    assert [(e.action, e.actor, e.at) for e in events][-1] == (
        "no_show",
        "system",
        MONDAY_8AM + timedelta(minutes=10),
    )


def test_recall_restarts_the_no_show_clock(q, clock):
    ticket = q.walk_in()
    q.open("Station 1")
    q.call_next()
    clock.advance(minutes=8)
    q.act(calling.recall, ticket.id)
    clock.advance(minutes=8)
    assert q.ticket(ticket.id).status == "called"


def test_sweep_marks_overdue_calls_at_every_site(q, clock, make_uow):
    q.walk_in()
    q.open("Station 1")
    q.call_next()
    clock.advance(minutes=30)
    assert no_shows.sweep_all(make_uow(write=False), now=clock()) == {q.site_id: 1, q.site.other_site_id: 0}


def test_requeue_keeps_the_original_place(q, clock):
    first = q.walk_in()
    clock.advance(minutes=1)
    second = q.walk_in()
    q.open("Station 1")
    q.call_next()
    q.act(calling.mark_no_show, first.id)
    back = q.act(corrections.requeue, first.id)
    assert back.status == "waiting" and back.position == 1
    assert q.ticket(second.id).position == 2


def test_actual_wait_is_measured_at_the_first_call(q, clock):
    q.walk_in()
    clock.advance(minutes=12)
    q.open("Station 1")
    called = q.call_next()
    assert called.actual_wait_minutes == pytest.approx(12)


def test_early_appointment_waits_from_its_appointment_time(q, clock):
    appointment = q.book(MONDAY_8AM + timedelta(hours=1))
    clock.advance(minutes=40)
    q.check_in(appointment.reference)
    clock.advance(minutes=25)  # 09:05
    q.open("Station 1")
    assert q.call_next().actual_wait_minutes == pytest.approx(5)


def test_appointment_status_follows_its_ticket(q, clock, make_uow):
    appointment = q.book(MONDAY_8AM + timedelta(hours=1))
    clock.advance(minutes=55)
    ticket = q.check_in(appointment.reference)

    def status():
        with make_uow(write=False) as uow:
            return uow.session.get(Appointment, appointment.id).status.value

    assert status() == "checked_in"
    q.open("Station 1")
    q.call_next()
    assert status() == "called"
    q.act(calling.start, ticket.id)
    assert status() == "in_service"
    q.act(calling.complete, ticket.id)
    assert status() == "done"


def test_checking_in_twice_answers_with_the_same_ticket(q, clock):
    appointment = q.book(MONDAY_8AM + timedelta(hours=1))
    clock.advance(minutes=50)
    assert q.check_in(appointment.reference).id == q.check_in(appointment.reference).id


def test_check_in_is_only_on_the_appointment_day(q, clock):
    appointment = q.book(MONDAY_8AM + timedelta(days=1))
    with pytest.raises(Conflict, match="day of the appointment"):
        q.check_in(appointment.reference)


def test_self_check_in_needs_the_manage_token(q, clock, make_uow):
    appointment = q.book(MONDAY_8AM + timedelta(hours=1))
    with pytest.raises(NotFound):
        tickets.check_in(
            make_uow(),
            reference=appointment.reference,
            manage_token="wrong",
            actor="patient",
            now=clock(),
            secret_key=SECRET,
        )
    ticket = tickets.check_in(
        make_uow(),
        reference=appointment.reference,
        manage_token=appointment.token,
        actor="patient",
        now=clock(),
        secret_key=SECRET,
    )
    assert ticket.code == "B001"


def test_remote_joins_are_limited_per_contact(q):
    q.remote(phone="+1 201 555 0101", address="10.0.0.1")
    q.remote(phone="1 (201) 555-0101", address="10.0.0.2")
    with pytest.raises(TooManyRequests):
        q.remote(phone="011 1 201-555-0101", address="10.0.0.3")


def test_remote_joins_are_limited_per_address(q):
    for n in range(10):
        q.remote(phone=f"+1 201 555 02{n:02d}", address="10.0.0.7")
    with pytest.raises(TooManyRequests):
        q.remote(phone="+1 201 555 0300", address="10.0.0.7")


def test_patient_leaves_the_line(q):
    ticket = q.walk_in()
    left = tickets.leave(
        q.make_uow(), ticket_id=ticket.id, token=ticket.token, secret_key=SECRET, now=q.clock()
    )
    assert left.status == "left"
    assert q.queue().waiting == 0


def test_patient_token_of_another_ticket_is_refused(q):
    mine, other = q.walk_in(), q.walk_in()
    with pytest.raises(NotFound):
        tickets.get_ticket(
            q.make_uow(write=False), ticket_id=mine.id, token=other.token, secret_key=SECRET, now=q.clock()
        )


def test_close_day_closes_out_waiting_tickets_with_a_reason(q, make_uow):
    waiting = q.walk_in()
    q.open("Station 1")
    called = q.call_next()
    left_over = q.walk_in()
    result = closing.close_day(
        make_uow(), site_id=q.site_id, reason="site closed early", actor=STAFF, now=q.clock()
    )
    assert {t.id for t in result.closed_out} == {called.id, left_over.id}
    assert all(t.status == "cancelled" and t.end_reason == "site closed early" for t in result.closed_out)
    assert q.ticket(waiting.id).status == "cancelled"
    with make_uow(write=False) as uow:
        assert uow.session.get(SiteDay, (q.site_id, result.service_day)) is not None
    with pytest.raises(Conflict, match="Closed for the day"):
        q.walk_in()


def test_check_in_after_the_day_is_closed_is_refused(q, make_uow):
    appointment = q.book(MONDAY_8AM + timedelta(hours=1))
    closing.close_day(make_uow(), site_id=q.site_id, reason="closed early", actor=STAFF, now=q.clock())
    with pytest.raises(Conflict, match="Closed for the day"):
        q.check_in(appointment.reference)


def test_close_day_is_refused_while_someone_is_in_service(q, make_uow):
    ticket = q.walk_in()
    q.open("Station 1")
    q.call_next()
    q.act(calling.start, ticket.id)
    with pytest.raises(Conflict, match="in service"):
        closing.close_day(make_uow(), site_id=q.site_id, reason="end", actor=STAFF, now=q.clock())


def test_every_change_is_an_event_and_nothing_is_deleted(q, make_uow, clock):
    ticket = q.walk_in()
    q.open("Station 1")
    q.call_next()
    q.act(calling.start, ticket.id)
    q.act(calling.complete, ticket.id)
    events = history.day_events(make_uow(write=False), site_id=q.site_id, day=None, now=clock())
    assert [e.action for e in events] == ["join", "station_open", "call", "start", "complete"]
    assert [e.to_status for e in events if e.ticket_id] == ["waiting", "called", "in_service", "done"]
    assert all(e.actor for e in events)
    with make_uow(write=False) as uow:
        assert uow.session.query(VisitEvent).count() == 5


def test_queue_lists_positions_in_policy_order(q, clock):
    first = q.walk_in()
    clock.advance(minutes=1)
    second = q.walk_in()
    q.act(corrections.set_priority, second.id, priority=True)
    listing = q.queue()
    assert [(t.id, t.position) for t in listing.tickets] == [(second.id, 1), (first.id, 2)]
    assert listing.waiting == 2 and listing.estimate["service"] == "DRAW"


def test_display_shows_only_todays_calls(q, make_uow, clock):
    from schedq.services import display

    q.open("Station 1")
    first = q.walk_in()
    q.call_next("Station 1")
    q.act(calling.start, first.id)
    q.act(calling.complete, first.id)
    clock.advance(days=1)
    feed = display.display_feed(make_uow(write=False), site_id=q.site_id, now=clock())
    assert feed.recent_calls == []
