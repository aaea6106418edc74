"""Events no change causes: the reminder the day before an appointment, at the site's `reminder_hour`.

`schedq worker` runs `write_reminders` about once a minute. Each site is
handled under its lock (`UnitOfWork.lock_site`), so workers running it at
once write each reminder once; an appointment that already has a reminder
event is skipped, and one booked after the reminder time gets none (its
confirmation has just gone).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from schedq.db.engine import Database
from schedq.db.models import Appointment, NotifyEvent, Site
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import AppointmentStatus
from schedq.notify import outbox
from schedq.notify.events import EventKind


def write_reminders(database: Database, *, now: datetime) -> int:
    """Write the reminders due by `now` at every site; how many."""
    with UnitOfWork(database, write=False) as uow:
        sites = uow.session.execute(
            select(Site.id, Site.timezone, Site.reminder_hour).order_by(Site.id)
        ).all()
    written = 0
    for site_id, timezone, hour in sites:
        zone = ZoneInfo(timezone)
        local = now.astimezone(zone)
        if local.hour < hour:
            continue
        remind_at = datetime.combine(local.date(), time(hour), tzinfo=zone)
        tomorrow = local.date() + timedelta(days=1)
        starts = datetime.combine(tomorrow, time(0), tzinfo=zone)
        ends = datetime.combine(tomorrow + timedelta(days=1), time(0), tzinfo=zone)
        reminded = select(NotifyEvent.appointment_id).where(
            NotifyEvent.kind == EventKind.BOOKING_REMINDER.value, NotifyEvent.appointment_id.is_not(None)
        )
        with UnitOfWork(database) as uow:
            uow.lock_site(site_id)
            due = uow.session.scalars(
                select(Appointment)
                .where(
                    Appointment.site_id == site_id,
                    Appointment.status == AppointmentStatus.BOOKED,
                    Appointment.starts_at >= starts,
                    Appointment.starts_at < ends,
                    Appointment.created_at < remind_at,
                    Appointment.id.not_in(reminded),
                )
                .order_by(Appointment.id)
            ).all()
            for appointment in due:
                outbox.appointment_event(uow, EventKind.BOOKING_REMINDER, appointment, now=now)
            uow.commit()
            written += len(due)
    return written
