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


# The order README.md ("The call policy") writes down, as data: each kind of waiting ticket, how to
# make one, and what orders tickets within the kind. Nothing here asks the policy for its own tiers.
DOCUMENTED_ORDER = (
    "due appointment",  # 1. checked-in appointments that are due (time <= now), earliest appointment first
    "priority",  # 2. priority tickets, in order of joining
    "walk-in",  # 3. walk-ins, remote tickets and late check-ins, in order of joining
    "early appointment",  # 4. early appointments, only when nobody else fits, earliest appointment first
)


def documented(kind: str, ticket_id: int, joined_min: int, appointment_min: int) -> QueueEntry:
    """A present DRAW ticket of `kind`; times in minutes from NOW (joined_min <= 0)."""
    joined_at = NOW + timedelta(minutes=joined_min)
    if kind == "due appointment":
        due = NOW + timedelta(minutes=-abs(appointment_min))
        return QueueEntry(ticket_id, "DRAW", joined_at, appointment_at=due)
    if kind == "priority":
        return QueueEntry(ticket_id, "DRAW", joined_at, priority=True)
    if kind == "walk-in":  # a late check-in is one too: it carries no appointment time
        return QueueEntry(ticket_id, "DRAW", joined_at)
    early = NOW + timedelta(minutes=abs(appointment_min) + 1)
    return QueueEntry(ticket_id, "DRAW", joined_at, appointment_at=early)


def documented_key(kind: str, entry: QueueEntry) -> tuple[int, datetime, int]:
    within = entry.appointment_at if kind.endswith("appointment") else entry.joined_at
    assert within is not None
    return (DOCUMENTED_ORDER.index(kind), within, entry.ticket_id)


def calls(line: list[QueueEntry]) -> list[int]:
    """The ticket ids one station that does everything calls, one after another, at NOW."""
    left, called = list(line), []
    while (chosen := choose_next(left, skills=frozenset(SERVICES), now=NOW)) is not None:
        called.append(chosen.ticket_id)
        left.remove(chosen)
    return called


documented_lines = st.lists(
    st.tuples(st.sampled_from(DOCUMENTED_ORDER), st.integers(-240, 0), st.integers(0, 240)),
    min_size=1,
    max_size=10,
)


@given(documented_lines, st.randoms())
def test_stations_call_in_the_documented_order(drawn, random):
    ids = random.sample(range(1, 1000), len(drawn))
    kinds = {ticket_id: kind for ticket_id, (kind, *_) in zip(ids, drawn)}
    line = [documented(kind, ticket_id, *times) for ticket_id, (kind, *times) in zip(ids, drawn)]
    expected = sorted(line, key=lambda e: documented_key(kinds[e.ticket_id], e))
    assert calls(line) == [e.ticket_id for e in expected]


def test_each_documented_kind_goes_before_the_next_whatever_the_times():
    # The later kind joined earlier and has the smaller ticket id: only the order of the kinds can
    # put the earlier kind first.
    for first, second in zip(DOCUMENTED_ORDER, DOCUMENTED_ORDER[1:]):
        line = [documented(first, 2, joined_min=-1, appointment_min=1), documented(second, 1, -200, 200)]
        assert calls(line) == [2, 1], f"{first} goes before {second}"


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


def test_a_priority_appointment_goes_with_priority_tickets_until_due_then_with_due_appointments():
    # README.md ("The call policy"): the flag brings an early appointment forward, never behind its time.
    walk_in = QueueEntry(1, "DRAW", NOW - timedelta(minutes=90))
    early_flagged = QueueEntry(
        9, "DRAW", NOW - timedelta(minutes=1), priority=True, appointment_at=NOW + timedelta(minutes=30)
    )
    assert calls([walk_in, early_flagged]) == [9, 1]
    # Once due it is called by its appointment time among due appointments, ahead of an earlier-joined
    # priority ticket and of a due appointment booked after it.
    priority = QueueEntry(2, "DRAW", NOW - timedelta(minutes=120), priority=True)
    booked_after = QueueEntry(
        3, "DRAW", NOW - timedelta(minutes=100), appointment_at=NOW - timedelta(minutes=5)
    )
    due_flagged = QueueEntry(
        9, "DRAW", NOW - timedelta(minutes=1), priority=True, appointment_at=NOW - timedelta(minutes=10)
    )
    assert calls([priority, booked_after, due_flagged]) == [9, 3, 2]
