"""The reminder the day before, at the site's hour: once per appointment, however many workers look."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from schedq.db.models import Delivery, NotifyEvent, Site
from schedq.notify import delivery
from schedq.notify.log_sink import LogChannel
from schedq.notify.message import ChannelName
from schedq.notify.scheduler import write_reminders
from tests.conftest import MONDAY_8AM
from tests.notify.helpers import book, rows

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
