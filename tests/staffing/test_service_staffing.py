"""What the staffing service reads: the weekday's next date, plan, past bookings and past walk-ins."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from schedq.domain.contact import Contact
from schedq.domain.schedule import WeeklyInterval
from schedq.services import appointments, sites, tickets
from schedq.services.sites import load_site
from schedq.services.staffing import same_hours_weekdays, staffing_day


def book(make_uow, site_id: int, starts_at: datetime, n: int) -> None:
    appointments.book(
        make_uow(),
        site_id=site_id,
        service_code="DRAW",
        starts_at=starts_at,
        contact=Contact(f"Pat Example {n}", f"+1 201 555 01{n:02d}"),
        now=starts_at - timedelta(days=2),
        secret_key="test-secret",
    )


def test_each_past_weekday_gives_the_simulated_days_its_own_bookings(make_uow, fitted_site, clock):
    # Tuesdays 17 and 24 February 2026, America/Chicago (UTC-6): one booking at 10:00, then two at 09:00.
    book(make_uow, fitted_site.site_id, datetime(2026, 2, 17, 16, 0, tzinfo=UTC), 1)
    book(make_uow, fitted_site.site_id, datetime(2026, 2, 24, 15, 0, tzinfo=UTC), 2)
    book(make_uow, fitted_site.site_id, datetime(2026, 2, 24, 15, 0, tzinfo=UTC), 3)
    book(make_uow, fitted_site.site_id, datetime(2026, 2, 25, 15, 0, tzinfo=UTC), 4)  # a Wednesday
    with make_uow(write=False) as uow:
        day = staffing_day(uow, site_id=fitted_site.site_id, weekday=1, now=clock())
    assert day.local_date.isoformat() == "2026-03-03"  # the next Tuesday after Monday 2 March
    moved = [[(a.appointment_at, a.service_code) for a in listed] for listed in day.bookings]
    assert moved == [
        [(datetime(2026, 3, 3, 16, 0, tzinfo=UTC), "DRAW")],
        [(datetime(2026, 3, 3, 15, 0, tzinfo=UTC), "DRAW")] * 2,
    ]


def test_a_site_without_history_has_no_bookings_to_simulate(make_uow, fitted_site, clock):
    with make_uow(write=False) as uow:
        day = staffing_day(uow, site_id=fitted_site.site_id, weekday=1, now=clock())
    assert day.bookings == ()
    assert [b.stations for b in day.plan.staffing] == [3, 3]  # morning and afternoon, lunch between


def test_the_walk_ins_of_each_past_weekday_are_counted_for_the_rate_s_spread(make_uow, fitted_site, clock):
    # Tuesday 17 February: two walk-ins; Tuesday 24 February: one; Wednesday 25: one, not a Tuesday.
    for n, at in enumerate(
        [
            datetime(2026, 2, 17, 15, 0, tzinfo=UTC),
            datetime(2026, 2, 17, 15, 10, tzinfo=UTC),
            datetime(2026, 2, 24, 16, 0, tzinfo=UTC),
            datetime(2026, 2, 25, 16, 0, tzinfo=UTC),
        ]
    ):
        tickets.join_walk_in(
            make_uow(),
            site_id=fitted_site.site_id,
            service_code="DRAW",
            actor="kiosk",
            now=at,
            secret_key=f"k{n}",
        )
    with make_uow(write=False) as uow:
        day = staffing_day(uow, site_id=fitted_site.site_id, weekday=1, now=clock())
    assert day.walk_ins_per_day == (2, 1)  # the open Tuesdays since the first ticket, oldest first
    # Per local half hour, for the shape: Tuesday first, then the weekdays with the same hours (Monday
    # to Friday), each with its past open days since the first ticket (one Monday, 23 February).
    nine, ten = 18, 20  # 09:00 and 10:00 Chicago
    expected = {1: (2, {nine: 2, ten: 1}), 0: (1, {}), 2: (2, {ten: 1}), 3: (2, {}), 4: (2, {})}
    assert [(days, {k: n for k, n in enumerate(counts) if n}) for days, counts in day.walk_in_half_hours] == [
        expected[d] for d in (1, 0, 2, 3, 4)
    ]


def test_the_walk_in_shape_is_pooled_only_across_weekdays_with_the_same_hours(make_uow, fitted_site):
    # Monday to Thursday 07:00-12:00 and 13:00-17:00; Friday mornings only; Saturday 08:00-12:00.
    sites.set_hours(
        make_uow(),
        site_id=fitted_site.site_id,
        intervals=[
            *(
                WeeklyInterval(d, o, c)
                for d in range(4)
                for o, c in ((time(7), time(12)), (time(13), time(17)))
            ),
            WeeklyInterval(4, time(7), time(12)),
            WeeklyInterval(5, time(8), time(12)),
        ],
    )
    with make_uow(write=False) as uow:
        site = load_site(uow, fitted_site.site_id)
        assert same_hours_weekdays(site, 1) == [1, 0, 2, 3]
        assert same_hours_weekdays(site, 4) == [4]
        assert same_hours_weekdays(site, 6) == [6]  # closed: nothing to pool with
