"""The call policy (domain/policy.py): ordering rules, property-tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from schedq.domain.policy import QueueEntry, Tier, call_order, choose_next, is_late_check_in, rank

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SERVICES = ("DRAW", "UDS", "PED")
minutes = st.integers(min_value=-120, max_value=120).map(lambda m: NOW + timedelta(minutes=m))


@st.composite
def entries(draw, max_size: int = 12) -> list[QueueEntry]:
    size = draw(st.integers(0, max_size))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=size, max_size=size, unique=True))
    return [
        QueueEntry(
            ticket_id=ticket_id,
            service_code=draw(st.sampled_from(SERVICES)),
            joined_at=draw(minutes.filter(lambda t: t <= NOW)),
            present=draw(st.booleans()),
            priority=draw(st.booleans()),
            appointment_at=draw(st.none() | minutes),
        )
        for ticket_id in ids
    ]


skills = st.frozensets(st.sampled_from(SERVICES), min_size=1)


def tier(entry: QueueEntry) -> int:
    return rank(entry, NOW)[0]


@given(entries(), skills)
def test_choose_next_picks_a_present_ticket_the_station_can_serve(queue, station_skills):
    chosen = choose_next(queue, skills=station_skills, now=NOW)
    eligible = [e for e in queue if e.present and e.service_code in station_skills]
    if not eligible:
        assert chosen is None
    else:
        assert chosen in eligible
        assert all(rank(chosen, NOW) <= rank(e, NOW) for e in eligible)


@given(entries(), skills)
def test_absent_tickets_are_passed_over_without_losing_their_place(queue, station_skills):
    chosen = choose_next(queue, skills=station_skills, now=NOW)
    arrived = [
        QueueEntry(e.ticket_id, e.service_code, e.joined_at, True, e.priority, e.appointment_at)
        for e in queue
    ]
    order = call_order(arrived, NOW)
    # Once everybody is here, the order among them is unchanged: absence moved nobody back.
    assert [e.ticket_id for e in order] == [e.ticket_id for e in call_order(arrived[::-1], NOW)]
    if chosen is not None:
        assert all(
            not e.present or e.service_code not in station_skills
            for e in queue
            if rank(e, NOW) < rank(chosen, NOW)
        )


@given(entries())
def test_tiers_come_in_order_due_priority_walk_in_early(queue):
    tiers = [tier(e) for e in call_order(queue, NOW)]
    assert tiers == sorted(tiers)


@given(entries())
def test_due_appointments_go_earliest_appointment_first(queue):
    due = [e for e in call_order(queue, NOW) if tier(e) == Tier.DUE_APPOINTMENT]
    assert [e.appointment_at for e in due] == sorted(e.appointment_at for e in due)


@given(entries())
def test_priority_and_walk_ins_go_in_order_of_joining(queue):
    ordered = call_order(queue, NOW)
    for wanted in (Tier.PRIORITY, Tier.WALK_IN):
        group = [e.joined_at for e in ordered if tier(e) == wanted]
        assert group == sorted(group)


@given(entries(), skills)
def test_early_appointments_only_when_nobody_else_fits(queue, station_skills):
    chosen = choose_next(queue, skills=station_skills, now=NOW)
    if chosen is not None and tier(chosen) == Tier.EARLY_APPOINTMENT:
        eligible = [e for e in queue if e.present and e.service_code in station_skills]
        assert all(tier(e) == Tier.EARLY_APPOINTMENT for e in eligible)


@given(entries(), st.randoms())
@settings(max_examples=50)
def test_the_order_is_total_and_ignores_input_order(queue, random):
    shuffled = list(queue)
    random.shuffle(shuffled)
    assert call_order(shuffled, NOW) == call_order(queue, NOW)


@given(st.integers(0, 60), st.integers(-30, 90))
def test_late_means_beyond_the_grace_minutes(grace, offset):
    late = is_late_check_in(
        appointment_at=NOW, checked_in_at=NOW + timedelta(minutes=offset), grace_minutes=grace
    )
    assert late == (offset > grace)


def test_a_late_appointment_without_appointment_time_queues_as_a_walk_in():
    late = QueueEntry(1, "DRAW", NOW - timedelta(minutes=1), appointment_at=None)
    walk_in = QueueEntry(2, "DRAW", NOW - timedelta(minutes=5))
    assert [e.ticket_id for e in call_order([late, walk_in], NOW)] == [2, 1]
