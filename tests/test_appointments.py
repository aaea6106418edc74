"""Booking use cases against SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from schedq.db.models import Appointment, IdempotencyRecord
from schedq.domain.enums import AppointmentStatus
from schedq.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from schedq.domain.schedule import PlanBlock
from schedq.services import appointments as use
from schedq.services import sites

pytestmark = pytest.mark.usefixtures("backend")

SECRET = "test-secret"
TUESDAY_9AM = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 09:00 CST
CONTACT = use.Contact("Ann Example", phone="+1 201 555 0100")


def book(make_uow, clock, site, starts_at=TUESDAY_9AM, key=None, contact=CONTACT, service="DRAW"):
    return use.book(
        make_uow(),
        site_id=site.site_id,
        service_code=service,
        starts_at=starts_at,
        contact=contact,
        now=clock(),
        secret_key=SECRET,
        idempotency_key=key,
    )


def count_appointments(make_uow) -> int:
    with make_uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Appointment))


def test_booking_takes_a_seat_from_the_slot(make_uow, clock, site):
    book(make_uow, clock, site)
    slots = use.list_slots(
        make_uow(),
        site_id=site.site_id,
        service_code="DRAW",
        first_day=date(2026, 3, 3),
        last_day=date(2026, 3, 3),
        now=clock(),
    )
    nine = next(s for s in slots if s.starts_at == TUESDAY_9AM)
    assert (nine.seats, nine.remaining) == (2, 1)


def test_full_slot_disappears_from_availability_and_refuses_more(make_uow, clock, site):
    book(make_uow, clock, site)
    book(make_uow, clock, site)
    slots = use.list_slots(
        make_uow(),
        site_id=site.site_id,
        service_code="DRAW",
        first_day=date(2026, 3, 3),
        last_day=date(2026, 3, 3),
        now=clock(),
    )
    assert TUESDAY_9AM not in {s.starts_at for s in slots}
    with pytest.raises(Unavailable):
        book(make_uow, clock, site)
    assert count_appointments(make_uow) == 2


def test_retry_with_same_idempotency_key_returns_first_booking(make_uow, clock, site):
    first = book(make_uow, clock, site, key="retry-1")
    again = book(make_uow, clock, site, key="retry-1")
    assert again.replayed and not first.replayed
    assert again.appointment.reference == first.appointment.reference
    assert again.token == first.token
    assert count_appointments(make_uow) == 1


def test_idempotency_key_reused_for_another_booking_is_refused(make_uow, clock, site):
    book(make_uow, clock, site, key="retry-2")
    with pytest.raises(Conflict):
        book(make_uow, clock, site, key="retry-2", contact=use.Contact("Someone Else", email="x@example.org"))


def test_cancel_frees_the_seat_and_is_idempotent(make_uow, clock, site):
    first = book(make_uow, clock, site)
    book(make_uow, clock, site)
    cancelled = use.cancel(
        make_uow(), reference=first.appointment.reference, token=first.token, now=clock(), secret_key=SECRET
    )
    assert cancelled.status is AppointmentStatus.CANCELLED
    again = use.cancel(
        make_uow(), reference=first.appointment.reference, token=first.token, now=clock(), secret_key=SECRET
    )
    assert again.status is AppointmentStatus.CANCELLED
    book(make_uow, clock, site)  # the freed seat is bookable again


def test_reschedule_moves_to_a_free_slot_and_never_into_a_full_one(make_uow, clock, site):
    mine = book(make_uow, clock, site)
    ten = TUESDAY_9AM.replace(hour=16)
    moved = use.reschedule(
        make_uow(),
        reference=mine.appointment.reference,
        token=mine.token,
        starts_at=ten,
        now=clock(),
        secret_key=SECRET,
    )
    assert moved.starts_at == ten
    book(make_uow, clock, site)
    book(make_uow, clock, site)
    with pytest.raises(Unavailable):
        use.reschedule(
            make_uow(),
            reference=mine.appointment.reference,
            token=mine.token,
            starts_at=TUESDAY_9AM,
            now=clock(),
            secret_key=SECRET,
        )


def test_wrong_manage_token_reveals_nothing(make_uow, clock, site):
    mine = book(make_uow, clock, site)
    with pytest.raises(NotFound):
        use.get_own_appointment(
            make_uow(), reference=mine.appointment.reference, token="guess", secret_key=SECRET
        )


def test_reference_is_accepted_without_dash_or_case(make_uow, clock, site):
    mine = book(make_uow, clock, site)
    loose = mine.appointment.reference.replace("-", "").lower()
    found = use.get_own_appointment(make_uow(), reference=loose, token=mine.token, secret_key=SECRET)
    assert found.id == mine.appointment.id


@pytest.mark.parametrize(
    "starts_at, field",
    [
        (datetime(2026, 3, 3, 15, 5, tzinfo=UTC), "starts_at"),  # off the 15-minute grid
        (datetime(2026, 3, 3, 18, 30, tzinfo=UTC), "starts_at"),  # lunch closure
        (datetime(2026, 3, 1, 15, 0, tzinfo=UTC), "starts_at"),  # the past
        (datetime(2026, 3, 2, 14, 15, tzinfo=UTC), "starts_at"),  # inside the 30-minute lead
        (datetime(2026, 6, 2, 14, 0, tzinfo=UTC), "starts_at"),  # past the 30-day horizon
    ],
)
def test_booking_outside_the_slot_grid_names_starts_at(make_uow, clock, site, starts_at, field):
    with pytest.raises(InvalidInput) as raised:
        book(make_uow, clock, site, starts_at=starts_at)
    assert raised.value.field == field
    assert count_appointments(make_uow) == 0


def test_service_not_bookable_or_not_offered_is_refused(make_uow, clock, site):
    with pytest.raises(InvalidInput) as raised:
        book(make_uow, clock, site, service="PED")  # walk-in only
    assert raised.value.field == "service"
    with pytest.raises(InvalidInput):
        book(make_uow, clock, site, service="NOPE")


def test_slots_honour_lead_time_and_skip_the_past(make_uow, clock, site):
    slots = use.list_slots(
        make_uow(),
        site_id=site.site_id,
        service_code="DRAW",
        first_day=date(2026, 3, 2),
        last_day=date(2026, 3, 2),
        now=clock(),
    )
    assert slots[0].starts_at == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 08:00 now + 30 min lead


def test_closure_removes_the_day(make_uow, clock, site):
    sites.add_closure(
        make_uow(),
        site_id=site.site_id,
        day=date(2026, 3, 3),
        reason="staff training",
        today=date(2026, 3, 2),
    )
    assert (
        use.list_slots(
            make_uow(),
            site_id=site.site_id,
            service_code="DRAW",
            first_day=date(2026, 3, 3),
            last_day=date(2026, 3, 3),
            now=clock(),
        )
        == []
    )


def test_concurrent_bookings_for_the_last_seat_book_exactly_one(make_uow, clock, site):
    """20 patients press 'book' on the last seat at once, each on its own connection."""
    sites.set_capacity_plan(
        make_uow(), site_id=site.site_id, slot_minutes=15, blocks=[PlanBlock(1, time(7), time(17), 3, 1)]
    )
    contenders = 20
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            book(make_uow, clock, site, contact=use.Contact(f"Patient {n}", phone=f"+1 201 555 01{n:02d}"))
            result = "booked"
        except Unavailable:
            result = "full"
        except Exception as error:
            result = repr(error)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["full"] * (contenders - 1)
    assert count_appointments(make_uow) == 1


def test_concurrent_retries_with_one_key_book_once(make_uow, clock, site):
    barrier = threading.Barrier(6)
    references: list[str] = []

    def attempt() -> None:
        barrier.wait()
        references.append(book(make_uow, clock, site, key="same-key").appointment.reference)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(references) == 6 and len(set(references)) == 1
    assert count_appointments(make_uow) == 1
    with make_uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_concurrent_retries_taking_the_last_seat_all_get_the_booking(make_uow, clock, site):
    """50 retries of one keyed booking race for a slot's last seat: every one gets that booking."""
    book(make_uow, clock, site, contact=use.Contact("First Patient", phone="+1 201 555 0199"))
    retries = 50
    barrier = threading.Barrier(retries)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            result = book(make_uow, clock, site, key="last-seat").appointment.reference
        except Exception as error:
            result = repr(error)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(retries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == retries and len(set(outcomes)) == 1, set(outcomes)
    assert count_appointments(make_uow) == 2


def test_the_same_booking_key_from_another_caller_is_a_booking_of_its_own(make_uow, clock, site):
    first = use.book(
        make_uow(),
        site_id=site.site_id,
        service_code="DRAW",
        starts_at=TUESDAY_9AM,
        contact=CONTACT,
        now=clock(),
        secret_key=SECRET,
        idempotency_key="k",
        caller="address:10.0.0.1",
    )
    other = use.book(
        make_uow(),
        site_id=site.site_id,
        service_code="DRAW",
        starts_at=TUESDAY_9AM,
        contact=CONTACT,
        now=clock(),
        secret_key=SECRET,
        idempotency_key="k",
        caller="address:10.0.0.2",
    )
    assert other.reference != first.reference and other.token != first.token and not other.replayed
