"""What the staffing service reads: the weekday's next date, plan, past bookings and past walk-ins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schedq.domain.contact import Contact
from schedq.services import appointments, tickets
from schedq.services.staffing import staffing_day


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
