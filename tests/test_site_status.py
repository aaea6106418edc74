"""The one site status: open, midday break, opens at…, closed today, cut-off, closed by staff."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from schedq.domain import schedule
from schedq.domain.schedule import WeeklyInterval
from schedq.domain.site_status import SiteState, site_status

CHICAGO = ZoneInfo("America/Chicago")
WEEKDAYS_LUNCH = [
    WeeklyInterval(d, o, c) for d in range(5) for o, c in ((time(7), time(12)), (time(13), time(17)))
]
MONDAY = date(2026, 3, 2)


def at(day: date, hour: int, minute: int = 0):
    return schedule.local_instant(day, time(hour, minute), CHICAGO)


def status(
    now,
    *,
    hours=WEEKDAYS_LUNCH,
    closures=None,
    cutoff=30,
    staff_closed=False,
    during_closure=False,
    tz=CHICAGO,
):
    return site_status(
        hours=hours,
        closures=closures or {},
        walk_in_cutoff_minutes=cutoff,
        closed_by_staff=staff_closed,
        walk_ins_during_closure=during_closure,
        tz=tz,
        now=now,
    )


def test_open_inside_an_interval_says_until_when_walk_ins_join():
    found = status(at(MONDAY, 9))
    assert found.state is SiteState.OPEN and found.walk_ins_accepted and found.check_ins_accepted
    assert found.messages == {
        "en": "Open now; walk-ins join until 12:00.",
        "es": "Abierto ahora. Puede venir sin cita hasta las 12:00.",
    }


def test_lunch_closure_says_when_it_reopens_and_refuses_walk_ins_by_default():
    found = status(at(MONDAY, 12, 4))
    assert found.state is SiteState.MIDDAY_BREAK and not found.walk_ins_accepted
    assert found.reopens_at == found.next_opening_at == at(MONDAY, 13)
    assert found.messages["en"] == "Closed for a midday break until 13:00."
    assert found.messages["es"] == "Cerrado al mediodía hasta las 13:00."


def test_a_site_may_take_walk_ins_during_its_lunch_closure():
    found = status(at(MONDAY, 12, 4), during_closure=True)
    assert found.state is SiteState.MIDDAY_BREAK and found.walk_ins_accepted
    assert "the wait counts from 13:00" in found.messages["en"]
    assert "La espera cuenta desde las 13:00" in found.messages["es"]


def test_before_opening_says_opens_today_and_welcomes_only_early_appointments():
    found = status(at(MONDAY, 6, 10))
    assert found.state is SiteState.OPENS_TODAY and found.next_opening_at == at(MONDAY, 7)
    assert found.messages == {"en": "Opens today at 07:00.", "es": "Abre hoy a las 07:00."}
    assert not found.walk_ins_accepted
    assert found.accepts_check_in(at(MONDAY, 7, 30))


def test_in_a_lunch_closure_only_appointments_after_it_may_check_in():
    found = status(at(MONDAY, 12, 4))
    assert found.accepts_check_in(at(MONDAY, 13, 15))
    assert not found.accepts_check_in(at(MONDAY, 11, 50))


def test_after_closing_says_opens_tomorrow():
    found = status(at(MONDAY, 20, 23))
    assert found.state is SiteState.OPENS_TOMORROW and found.next_opening_at == at(
        MONDAY + timedelta(days=1), 7
    )
    assert found.messages == {"en": "Opens tomorrow at 07:00.", "es": "Abre mañana a las 07:00."}
    assert not found.walk_ins_accepted and not found.check_ins_accepted


def test_after_closing_on_friday_names_the_next_open_weekday():
    friday = MONDAY + timedelta(days=4)
    found = status(at(friday, 18))
    assert found.state is SiteState.OPENS_LATER and found.next_opening_at == at(MONDAY + timedelta(days=7), 7)
    assert found.messages == {"en": "Opens on Monday at 07:00.", "es": "Abre el lunes a las 07:00."}


def test_a_closed_date_says_closed_today_with_its_reason_and_the_next_opening():
    found = status(at(MONDAY, 9), closures={MONDAY: "holiday"})
    assert found.state is SiteState.CLOSED_TODAY and found.closure_reason == "holiday"
    assert found.messages["en"] == "Closed today (holiday). Opens tomorrow at 07:00."
    assert found.messages["es"] == "Cerrado hoy (holiday). Abre mañana a las 07:00."
    assert not found.walk_ins_accepted and not found.accepts_check_in(at(MONDAY, 10))


def test_past_the_cut_off_no_more_walk_ins_but_appointments_still_check_in():
    found = status(at(MONDAY, 16, 45))
    assert found.state is SiteState.NO_MORE_WALK_INS and not found.walk_ins_accepted
    assert found.accepts_check_in(at(MONDAY, 16, 45))
    assert (
        found.messages["en"]
        == "No more walk-ins today: the line closed to new patients at 16:30. Opens tomorrow at 07:00."
    )


def test_staff_closing_the_day_closes_it_until_the_next_opening():
    found = status(at(MONDAY, 15), staff_closed=True)
    assert (
        found.state is SiteState.CLOSED_BY_STAFF
        and not found.walk_ins_accepted
        and not found.check_ins_accepted
    )
    assert found.messages == {
        "en": "Closed for the day. Opens tomorrow at 07:00.",
        "es": "Cerrado por hoy. Abre mañana a las 07:00.",
    }


def test_a_site_without_hours_says_so():
    found = status(at(MONDAY, 9), hours=[])
    assert found.next_opening_at is None and not found.walk_ins_accepted
    assert found.messages["en"] == "No opening hours are set."


def test_dst_morning_opens_at_the_local_wall_time():
    spring = date(2026, 3, 8)  # Sunday: clocks go forward at 02:00 in Chicago
    hours = [WeeklyInterval(6, time(7), time(12))]
    found = status(at(spring, 1), hours=hours)
    assert found.next_opening_at == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 07:00 CDT
    assert found.messages["en"] == "Opens today at 07:00."


# Properties -----------------------------------------------------------------------------

ZONES = [ZoneInfo(name) for name in ("America/Chicago", "Europe/London", "Australia/Sydney", "UTC")]


@st.composite
def week_of_hours(draw):
    """Up to three non-overlapping intervals on each weekday (whole quarter hours)."""
    intervals = []
    for weekday in range(7):
        quarters = sorted(set(draw(st.lists(st.integers(0, 95), max_size=6))))
        pairs = list(zip(quarters[::2], quarters[1::2]))[:3]
        for opens, closes in pairs:
            if closes > opens:
                intervals.append(
                    WeeklyInterval(
                        weekday, time(opens // 4, 15 * (opens % 4)), time(closes // 4, 15 * (closes % 4))
                    )
                )
    return intervals


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(
    hours=week_of_hours(),
    now=instants,
    tz=st.sampled_from(ZONES),
    cutoff=st.integers(0, 240),
    staff_closed=st.booleans(),
    during_closure=st.booleans(),
    closed_today=st.booleans(),
)
def test_status_properties(hours, now, tz, cutoff, staff_closed, during_closure, closed_today):
    check_properties(hours, now, tz, cutoff, staff_closed, during_closure, closed_today)


# Days the clocks change: Chicago forward 8 March and back 1 November 2026; London 29 March and 25 October.
DST_DAYS = [
    (date(2026, 3, 8), CHICAGO),
    (date(2026, 11, 1), CHICAGO),
    (date(2026, 3, 29), ZONES[1]),
    (date(2026, 10, 25), ZONES[1]),
]


@given(
    hours=week_of_hours(),
    day_and_zone=st.sampled_from(DST_DAYS),
    minute=st.integers(-60, 26 * 60),
    cutoff=st.integers(0, 240),
    staff_closed=st.booleans(),
    during_closure=st.booleans(),
)
def test_status_properties_on_days_the_clocks_change(
    hours, day_and_zone, minute, cutoff, staff_closed, during_closure
):
    day, tz = day_and_zone
    now = schedule.local_instant(day, time(0), tz) + timedelta(minutes=minute)
    check_properties(hours, now, tz, cutoff, staff_closed, during_closure, closed_today=False)


def check_properties(hours, now, tz, cutoff, staff_closed, during_closure, closed_today):
    today = schedule.local_day(now, tz)
    closures = {today: "holiday"} if closed_today else {}
    found = status(
        now,
        hours=hours,
        closures=closures,
        cutoff=cutoff,
        staff_closed=staff_closed,
        during_closure=during_closure,
        tz=tz,
    )
    intervals = schedule.opening_intervals(today, hours, tz, frozenset(closures))
    inside = any(start <= now < end for start, end in intervals)
    closes = intervals[-1][1] if intervals else None
    before_cutoff = closes is not None and now < closes - timedelta(minutes=cutoff)
    in_break = not inside and bool(intervals) and intervals[0][0] < now < closes

    # Exactly one state, and it is OPEN only inside an opening interval.
    assert isinstance(found.state, SiteState)
    assert (found.state is SiteState.OPEN) == (
        inside and before_cutoff and not staff_closed and not closed_today
    )
    # Walk-ins join iff open before the cut-off, or in a midday closure with the setting on.
    expected = (
        not staff_closed and not closed_today and before_cutoff and (inside or (in_break and during_closure))
    )
    assert found.walk_ins_accepted == expected
    # Whenever closed, the next opening lies ahead and is the start of an opening interval.
    if found.state is not SiteState.OPEN:
        assert found.messages["en"] and found.messages["es"]
        if found.next_opening_at is not None:
            assert found.next_opening_at > now
            day = schedule.local_day(found.next_opening_at, tz)
            starts = [start for start, _ in schedule.opening_intervals(day, hours, tz, frozenset(closures))]
            assert found.next_opening_at in starts
        else:
            assert not any(
                schedule.opening_intervals(today + timedelta(days=n), hours, tz) for n in range(1, 8)
            )
    if found.reopens_at is not None:
        assert found.state is SiteState.MIDDAY_BREAK and found.reopens_at == found.next_opening_at
    for words in found.messages.values():
        assert "called" not in words and "llamar" not in words
