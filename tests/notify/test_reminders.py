"""Scheduled events: the reminder the day before at the site's hour; leave now and near turn from the live estimate."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from schedq.db.models import Delivery, NotifyEvent, Site
from schedq.domain.contact import Contact
from schedq.notify import delivery
from schedq.notify.log_sink import LogChannel
from schedq.notify.message import ChannelName
from schedq.notify.scheduler import write_reminders, write_turn_events
from schedq.services import appointments, tickets
from schedq.services.queue import calling
from schedq.services.rate_limits import TableCounters
from tests.conftest import MONDAY_8AM
from tests.notify.helpers import PHONE, TUESDAY_9AM, book, rows

SIX_PM_MONDAY = MONDAY_8AM + timedelta(hours=10)  # 18:00 in Chicago


def test_a_reminder_goes_the_day_before_at_the_sites_hour_once(site, make_uow, database, clock, backend):
    booking = book(make_uow, site.site_id, sms=True, email=False)  # Tuesday 09:00
    book(make_uow, site.site_id, sms=True, email=False, at=booking.starts_at + timedelta(days=1), patient=2)
    assert write_reminders(database, now=SIX_PM_MONDAY - timedelta(minutes=1)) == 0
    assert write_reminders(database, now=SIX_PM_MONDAY) == 1
    assert write_reminders(database, now=SIX_PM_MONDAY + timedelta(minutes=1)) == 0
    reminders = [r for r in rows(make_uow) if r[0] == "appointment.reminder"]
    assert [(channel, status) for _, channel, _, status in reminders] == [
        ("email", "opted_out"),
        ("sms", "pending"),
    ]
    with make_uow(write=False) as uow:
        event = uow.session.scalars(
            select(NotifyEvent).where(NotifyEvent.kind == "appointment.reminder")
        ).one()
    assert event.appointment_id == booking.id
    clock.set(SIX_PM_MONDAY)
    channels = {ChannelName.LOG: LogChannel(database)}
    settings = delivery.Settings(public_url="https://x.example", secret_key="test-secret")
    while delivery.run_once(database, channels, settings, clock=clock, worker="w"):
        pass
    with make_uow(write=False) as uow:
        statuses = set(uow.session.scalars(select(Delivery.status).where(Delivery.channel == "sms")))
    assert statuses == {"sent"}


def test_the_reminder_hour_is_the_sites_and_quiet_hours_hold_it(site, make_uow, database):
    with make_uow() as uow:
        found = uow.session.get_one(Site, site.site_id)
        found.reminder_hour = 22
        uow.commit()
    book(make_uow, site.site_id, sms=True, email=False)
    assert write_reminders(database, now=SIX_PM_MONDAY) == 0
    with make_uow() as uow:
        found = uow.session.get_one(Site, site.site_id)
        found.reminder_hour = 18
        found.quiet_hours_start, found.quiet_hours_end = time(17), time(19)
        uow.commit()
    assert write_reminders(database, now=SIX_PM_MONDAY) == 1
    with make_uow(write=False) as uow:
        due = uow.session.scalars(
            select(Delivery.due_at)
            .join(NotifyEvent, Delivery.event_id == NotifyEvent.id)
            .where(NotifyEvent.kind == "appointment.reminder", Delivery.channel == "sms")
        ).one()
    assert due == SIX_PM_MONDAY + timedelta(hours=1)  # 19:00 in Chicago, when quiet hours end


def _remote_with_sms(make_uow, site_id, *, travel_minutes: int):
    return tickets.join_remote(
        make_uow(),
        site_id=site_id,
        service_code="DRAW",
        contact=Contact("Ana Diaz", PHONE, None),
        expected_arrival_at=MONDAY_8AM + timedelta(minutes=travel_minutes),
        client_address="192.0.2.1",
        counters=TableCounters(),
        now=MONDAY_8AM,
        secret_key="test-secret",
        opt_ins=appointments.OptIns(sms=True),
    )


def test_leave_now_and_near_turn_are_told_once_from_the_live_estimate(site, make_uow, database, backend):
    walk_ins = [
        tickets.join_walk_in(
            make_uow(),
            site_id=site.site_id,
            service_code="DRAW",
            actor="kiosk",
            now=MONDAY_8AM,
            secret_key="s",
        )
        for _ in range(5)
    ]
    remote = _remote_with_sms(make_uow, site.site_id, travel_minutes=120)  # sixth in line, two hours away
    assert write_turn_events(database, now=MONDAY_8AM) == 1
    assert write_turn_events(database, now=MONDAY_8AM) == 0
    [(kind, channel, to, status)] = [
        r for r in rows(make_uow) if r[0] in {"ticket.leave_now", "ticket.near_turn"}
    ]
    assert (kind, channel, to, status) == ("ticket.leave_now", "sms", PHONE, "pending")
    with make_uow(write=False) as uow:
        told = uow.session.scalars(select(NotifyEvent).where(NotifyEvent.kind == "ticket.leave_now")).one()
    assert told.ticket_id == remote.id
    assert told.facts["wait_low_minutes"] <= told.facts["wait_high_minutes"]
    station = site.station_ids["Station 1"]
    for ticket in walk_ins[:3]:
        calling.call_ticket(make_uow(), ticket_id=ticket.id, station_id=station, actor="s", now=MONDAY_8AM)
        calling.start(make_uow(), ticket_id=ticket.id, actor="s", now=MONDAY_8AM)
        calling.complete(make_uow(), ticket_id=ticket.id, actor="s", now=MONDAY_8AM)
    assert write_turn_events(database, now=MONDAY_8AM) == 1  # third in line now: the site's near-turn place
    assert write_turn_events(database, now=MONDAY_8AM) == 0
    kinds = [r[0] for r in rows(make_uow) if r[0] in {"ticket.leave_now", "ticket.near_turn"}]
    assert kinds == ["ticket.leave_now", "ticket.near_turn"]


def test_a_patient_close_by_is_not_told_to_leave_before_their_turn_nears(site, make_uow, database):
    for _ in range(5):
        tickets.join_walk_in(
            make_uow(),
            site_id=site.site_id,
            service_code="DRAW",
            actor="kiosk",
            now=MONDAY_8AM,
            secret_key="s",
        )
    _remote_with_sms(make_uow, site.site_id, travel_minutes=0)
    assert write_turn_events(database, now=MONDAY_8AM) == 0


def test_an_appointment_moved_to_another_day_is_reminded_again_the_day_before(
    site, make_uow, database, backend
):
    booking = book(make_uow, site.site_id, sms=True, email=False)  # Tuesday 09:00
    assert write_reminders(database, now=SIX_PM_MONDAY) == 1
    appointments.reschedule(
        make_uow(),
        reference=booking.reference,
        token=booking.manage_token,
        starts_at=booking.starts_at + timedelta(days=1),  # Wednesday 09:00
        now=SIX_PM_MONDAY + timedelta(hours=1),
        secret_key="test-secret",
    )

    assert write_reminders(database, now=SIX_PM_MONDAY + timedelta(hours=2)) == 0  # Monday: not tomorrow now
    assert write_reminders(database, now=SIX_PM_MONDAY + timedelta(days=1)) == 1  # Tuesday 18:00
    assert write_reminders(database, now=SIX_PM_MONDAY + timedelta(days=1, minutes=1)) == 0
    reminders = [r for r in rows(make_uow) if r[0] == "appointment.reminder" and r[1] == "sms"]
    assert len(reminders) == 2


def test_an_appointment_moved_after_the_reminder_hour_to_tomorrow_gets_no_reminder(
    site, make_uow, database, backend
):
    booking = book(make_uow, site.site_id, sms=True, email=False, at=TUESDAY_9AM + timedelta(days=1))
    appointments.reschedule(
        make_uow(),
        reference=booking.reference,
        token=booking.manage_token,
        starts_at=TUESDAY_9AM,
        now=SIX_PM_MONDAY + timedelta(hours=1),  # its rescheduling message has just gone
        secret_key="test-secret",
    )

    assert write_reminders(database, now=SIX_PM_MONDAY + timedelta(hours=2)) == 0
