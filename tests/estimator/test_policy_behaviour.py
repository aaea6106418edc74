"""The simulated call policy behaves like the rule in DESIGN.md."""

import math

from schedq.estimator import (
    FittedModel,
    LatenessModel,
    StaffingBlock,
    UpcomingAppointment,
    WaitingTicket,
    estimate,
)

from .builders import (
    DRAW,
    NOW,
    busy,
    exponential_model,
    idle,
    line,
    lognormal_model,
    minutes,
    snapshot,
    walk_in,
)

GTT = frozenset({"GTT"})


def appointment(ticket_id, at_minutes, service="DRAW", checked_in_minutes_ago=10.0):
    return WaitingTicket(
        ticket_id,
        service,
        "appointment",
        NOW - minutes(checked_in_minutes_ago),
        appointment_at=NOW + minutes(at_minutes),
    )


def test_due_appointment_is_called_before_earlier_walk_ins():
    snap = snapshot([idle("S1")], [walk_in(1, 40), appointment(2, -5)])
    result = estimate(snap, lognormal_model(), replications=300)
    assert result.tickets[2].p90 == 0.0
    assert result.tickets[1].p10 > 0.0


def test_early_appointment_waits_while_walk_ins_are_waiting():
    snap = snapshot([idle("S1")], [walk_in(1, 5), appointment(2, 60, checked_in_minutes_ago=20)])
    result = estimate(snap, lognormal_model(), replications=300)
    assert result.tickets[1].p90 == 0.0
    assert result.tickets[2].p10 > 0.0


def test_upcoming_appointment_lengthens_a_walk_in_wait():
    model = FittedModel(
        services=exponential_model(10.0).services, no_show_rate=0.0, lateness=LatenessModel(-15.0, 5.0)
    )
    stations, waiting = [busy("S1")], [walk_in(1, 5)]
    without = estimate(snapshot(stations, waiting), model, replications=2000).tickets[1]
    booked = [UpcomingAppointment("A1", "DRAW", NOW + minutes(5))]
    with_appointment = estimate(
        snapshot(stations, waiting, upcoming_appointments=booked), model, replications=2000
    ).tickets[1]
    assert with_appointment.mean > without.mean + 3.0
    assert with_appointment.p90 > without.p90


def test_appointment_checking_in_beyond_grace_joins_the_walk_in_line():
    model = FittedModel(
        services=exponential_model(10.0).services, no_show_rate=0.0, lateness=LatenessModel(40.0, 1.0)
    )  # always 40 minutes late
    booked = [UpcomingAppointment("A1", "DRAW", NOW - minutes(30))]
    snap = snapshot([busy("S1")], line(3), upcoming_appointments=booked)
    alone = estimate(snapshot([busy("S1")], line(3)), model, replications=1000).tickets
    assert estimate(snap, model, replications=1000).tickets == alone


def test_service_only_a_busy_station_can_do_waits_for_that_station():
    stations = [idle("S1", DRAW), busy("S2", elapsed_minutes=2, skills=GTT, service="GTT")]
    snap = snapshot(stations, [walk_in(1, 10, "GTT")])
    result = estimate(snap, lognormal_model({"DRAW": 8.0, "GTT": 30.0}), replications=500)
    assert result.tickets[1].p10 > 0.0
    assert result.newcomer["DRAW"].p90 == 0.0
    assert result.newcomer["GTT"].p10 >= result.tickets[1].p10


def test_no_station_with_the_skill_is_flagged():
    snap = snapshot([idle("S1", DRAW)], [walk_in(1, 10, "GTT")])
    result = estimate(snap, lognormal_model({"DRAW": 8.0, "GTT": 30.0}), replications=100)
    assert result.tickets[1].no_station_can_serve
    assert math.isinf(result.tickets[1].p50)
    assert result.newcomer["GTT"].no_station_can_serve
    assert not result.newcomer["DRAW"].no_station_can_serve


def test_planned_station_with_the_skill_clears_the_flag():
    plan = [StaffingBlock(NOW + minutes(20), NOW + minutes(240), 2, added_station_skills=GTT)]
    snap = snapshot([idle("S1", DRAW)], [walk_in(1, 10, "GTT")], staffing=plan)
    wait = estimate(snap, lognormal_model({"DRAW": 8.0, "GTT": 30.0}), replications=100).tickets[1]
    assert not wait.no_station_can_serve
    assert wait.p10 == wait.p90 == 20.0


def test_stations_opening_later_call_at_their_opening():
    plan = [StaffingBlock(NOW + minutes(10), NOW + minutes(240), 2)]
    snap = snapshot([], line(2), staffing=plan)
    result = estimate(snap, lognormal_model(), replications=100)
    assert result.tickets[1].p50 == result.tickets[2].p50 == 10.0


def test_a_break_holds_the_line_until_the_station_reopens():
    plan = [
        StaffingBlock(NOW - minutes(60), NOW + minutes(1), 1),
        StaffingBlock(NOW + minutes(31), NOW + minutes(240), 1),
    ]
    stations, waiting = [busy("S1", elapsed_minutes=1)], line(1)
    model = lognormal_model({"DRAW": 8.0})
    assert estimate(snapshot(stations, waiting), model, replications=500).tickets[1].p50 < 31.0
    on_break = estimate(snapshot(stations, waiting, staffing=plan), model, replications=500).tickets[1]
    assert on_break.p10 == 31.0


def test_fewer_planned_stations_keep_the_most_skilled():
    both = frozenset({"DRAW", "GTT"})
    plan = [StaffingBlock(NOW - minutes(60), NOW, 2), StaffingBlock(NOW, NOW + minutes(240), 1)]
    snap = snapshot(
        [idle("A", DRAW), idle("B", both)], [walk_in(1, 5, "GTT"), walk_in(2, 4, "GTT")], staffing=plan
    )
    result = estimate(snap, lognormal_model({"DRAW": 8.0, "GTT": 30.0}), replications=200)
    assert result.tickets[1].p90 == 0.0
    assert not result.tickets[2].no_station_can_serve


def test_absent_remote_ticket_is_passed_over_until_it_arrives():
    remote = WaitingTicket(
        1, "DRAW", "remote", NOW - minutes(30), present=False, expected_arrival_at=NOW + minutes(20)
    )
    snap = snapshot([idle("S1"), idle("S2")], [remote, walk_in(2, 10)])
    result = estimate(snap, lognormal_model(), replications=1000)
    assert result.tickets[2].p90 == 0.0
    assert 12.0 < result.tickets[1].p50 < 28.0
    assert result.tickets[1].p10 > 0.0


def test_line_running_past_closing_is_flagged():
    snap = snapshot([busy("S1")], line(8), closes_at=NOW + minutes(30))
    result = estimate(snap, lognormal_model(), replications=300)
    assert not result.tickets[1].runs_past_close
    assert result.tickets[8].runs_past_close
    assert result.newcomer["DRAW"].runs_past_close
    assert math.isfinite(result.tickets[8].p90)  # the line is still served after closing


def test_called_ticket_gets_zero_wait_and_leaves_the_line():
    snap = snapshot([busy("S1")], line(2), called_ticket_ids=frozenset({1}))
    result = estimate(snap, exponential_model(10.0), replications=300)
    assert result.tickets[1].p90 == 0.0
    assert result.people_waiting == 1
    assert result.tickets[2].p10 > 0.0


def test_due_appointments_are_called_by_appointment_time_then_priority_then_walk_ins():
    waiting = [
        walk_in(1, 50),
        walk_in(2, 5, priority=True),
        appointment(3, -2, checked_in_minutes_ago=30),
        appointment(4, -8, checked_in_minutes_ago=3),
    ]
    result = estimate(snapshot([busy("S1")], waiting), exponential_model(10.0), replications=500)
    order = sorted(result.tickets, key=lambda ticket_id: result.tickets[ticket_id].p50)
    assert order == [4, 3, 2, 1]


def test_no_station_open_in_planned_hours_uses_the_plan_from_now():
    """At opening, before staff sign in, the wait is not "until the afternoon shift"."""
    from datetime import timedelta

    from schedq.estimator import SiteSnapshot, StaffingBlock, estimate

    from .builders import NOW, lognormal_model

    plan = (
        StaffingBlock(NOW - timedelta(minutes=30), NOW + timedelta(hours=4), 2, frozenset({"DRAW"})),
        StaffingBlock(NOW + timedelta(hours=5), NOW + timedelta(hours=9), 2, frozenset({"DRAW"})),
    )
    snapshot = SiteSnapshot(now=NOW, stations=(), waiting=(), staffing=plan)
    wait = estimate(snapshot, lognormal_model(), replications=200).newcomer["DRAW"]
    assert wait.p90 < 1
