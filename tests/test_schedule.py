"""Opening hours, capacity plans and slot generation (pure domain)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedq.domain.errors import InvalidInput
from schedq.domain.schedule import (
    PlanBlock,
    WeeklyInterval,
    closing_time,
    day_slots,
    validate_hours,
    validate_plan,
    zone,
)

CHICAGO = ZoneInfo("America/Chicago")
SPRING_FORWARD = date(2026, 3, 8)  # a Sunday: 02:00 -> 03:00 in Chicago
FALL_BACK = date(2026, 11, 1)  # a Sunday: 02:00 -> 01:00 in Chicago


def every_day(opens: time, closes: time) -> list[WeeklyInterval]:
    return [WeeklyInterval(d, opens, closes) for d in range(7)]


def plan(starts: time, ends: time, seats: int = 1) -> list[PlanBlock]:
    return [PlanBlock(d, starts, ends, 2, seats) for d in range(7)]


def slots_on(day: date, opens: time, closes: time, minutes: int = 15):
    return day_slots(
        day, hours=every_day(opens, closes), plan=plan(opens, closes), tz=CHICAGO, slot_minutes=minutes
    )


def test_a_lunch_closure_has_no_slots():
    hours = [WeeklyInterval(0, time(7), time(12)), WeeklyInterval(0, time(13), time(17))]
    slots = day_slots(
        date(2026, 3, 2), hours=hours, plan=plan(time(7), time(17)), tz=CHICAGO, slot_minutes=30
    )
    local = [s.starts_at.astimezone(CHICAGO).time() for s in slots]
    assert time(11, 30) in local and time(13) in local
    assert not any(time(12) <= t < time(13) for t in local)
    assert len(slots) == 10 + 8


def test_daytime_slots_are_the_same_on_the_days_clocks_change():
    for day in (SPRING_FORWARD, FALL_BACK, SPRING_FORWARD - timedelta(days=7)):
        local = [s.starts_at.astimezone(CHICAGO).strftime("%H:%M") for s in slots_on(day, time(7), time(15))]
        assert len(local) == 32
        assert local[0] == "07:00" and local[-1] == "14:45"
        assert len(set(local)) == 32


def test_spring_forward_night_has_no_slot_in_the_missing_hour_and_none_doubled():
    slots = slots_on(SPRING_FORWARD, time(0), time(4))
    instants = [s.starts_at for s in slots]
    assert len(instants) == len(set(instants)) == 12  # 4 wall hours, 3 real hours
    assert all(b - a == timedelta(minutes=15) for a, b in zip(instants, instants[1:]))
    assert not any(s.starts_at.astimezone(CHICAGO).hour == 2 for s in slots)


def test_fall_back_night_offers_both_real_hours_between_one_and_two():
    slots = slots_on(FALL_BACK, time(0), time(4))
    instants = [s.starts_at for s in slots]
    assert len(instants) == len(set(instants)) == 20  # 4 wall hours, 5 real hours
    assert all(b - a == timedelta(minutes=15) for a, b in zip(instants, instants[1:]))
    one_am = [s.starts_at.astimezone(CHICAGO) for s in slots if s.starts_at.astimezone(CHICAGO).hour == 1]
    assert len(one_am) == 8 and {t.utcoffset() for t in one_am} == {timedelta(hours=-5), timedelta(hours=-6)}


def test_closure_day_has_no_slots():
    day = date(2026, 3, 2)
    assert (
        day_slots(
            day,
            hours=every_day(time(7), time(9)),
            plan=plan(time(7), time(9)),
            tz=CHICAGO,
            slot_minutes=15,
            closures=frozenset({day}),
        )
        == []
    )


def test_walk_in_only_block_offers_no_slots():
    slots = day_slots(
        date(2026, 3, 2),
        hours=every_day(time(7), time(12)),
        plan=plan(time(7), time(12), seats=0),
        tz=CHICAGO,
        slot_minutes=15,
    )
    assert slots == []


def test_last_slot_ends_by_closing():
    slots = slots_on(date(2026, 3, 2), time(7), time(8, 10), minutes=20)
    assert slots[-1].ends_at <= datetime(2026, 3, 2, 14, 10, tzinfo=UTC)
    assert len(slots) == 3


def test_closing_time_is_end_of_last_interval():
    hours = [WeeklyInterval(0, time(7), time(12)), WeeklyInterval(0, time(13), time(17))]
    assert closing_time(date(2026, 3, 2), hours, CHICAGO) == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert closing_time(date(2026, 3, 3), hours, CHICAGO) is None


@pytest.mark.parametrize(
    "intervals, field",
    [
        ([WeeklyInterval(0, time(12), time(9))], "hours.0.closes"),
        ([WeeklyInterval(0, time(9), time(9))], "hours.0.closes"),
        ([WeeklyInterval(1, time(7), time(12)), WeeklyInterval(1, time(11), time(15))], "hours.1.opens"),
        ([WeeklyInterval(7, time(7), time(12))], "hours.0.weekday"),
    ],
)
def test_bad_hours_name_the_field(intervals, field):
    with pytest.raises(InvalidInput) as raised:
        validate_hours(intervals)
    assert raised.value.field == field


def test_touching_intervals_are_allowed():
    validate_hours([WeeklyInterval(0, time(7), time(12)), WeeklyInterval(0, time(12), time(17))])


@pytest.mark.parametrize(
    "block, field",
    [
        (PlanBlock(0, time(7), time(9), 0, 1), "blocks.0.stations"),
        (PlanBlock(0, time(7), time(9), 2, -1), "blocks.0.seats_per_slot"),
        (PlanBlock(0, time(9), time(7), 2, 1), "blocks.0.ends"),
    ],
)
def test_bad_plan_blocks_name_the_field(block, field):
    with pytest.raises(InvalidInput) as raised:
        validate_plan([block])
    assert raised.value.field == field


def test_unknown_timezone_is_refused():
    with pytest.raises(InvalidInput) as raised:
        zone("Mars/Olympus_Mons")
    assert raised.value.field == "timezone"


quarter_hours = st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15))
zones = st.sampled_from(
    ["America/Chicago", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns"]
)


@given(
    day=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    bounds=st.tuples(quarter_hours, quarter_hours).filter(lambda b: b[0] < b[1]),
    minutes=st.sampled_from([10, 15, 20, 30]),
    zone_name=zones,
)
def test_slots_never_overlap_and_stay_within_opening_hours(day, bounds, minutes, zone_name):
    tz = ZoneInfo(zone_name)
    opens, closes = bounds
    slots = day_slots(
        day, hours=every_day(opens, closes), plan=plan(opens, closes), tz=tz, slot_minutes=minutes
    )
    start = datetime.combine(day, opens, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day, closes, tzinfo=tz).astimezone(UTC)
    for a, b in zip(slots, slots[1:]):
        assert a.ends_at <= b.starts_at
    for slot in slots:
        assert start <= slot.starts_at and slot.ends_at <= end
        assert slot.ends_at - slot.starts_at == timedelta(minutes=minutes)
    assert len(slots) == int((end - start) / timedelta(minutes=minutes))
