"""Events no change causes: the reminder the day before an appointment, at the site's `reminder_hour`;
near turn and leave now, from the live estimate.

`schedq worker` runs `write_reminders` and `write_turn_events` about once a minute. Each site is
handled under its lock (`UnitOfWork.lock_site`), so workers running it at
once write each reminder once. A reminder is for the appointment's time as
it was last booked or rescheduled: an appointment reminded since then is
skipped, one booked or rescheduled after the reminder time gets none (its
confirmation has just gone), and one rescheduled to another day after its
reminder is reminded again the day before its new time.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from schedq.db.engine import Database
from schedq.db.models import Appointment, NotifyEvent, Site, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import AppointmentStatus, TicketKind, TicketStatus
from schedq.notify import outbox
from schedq.notify.events import EventKind
from schedq.services.queue import views
from schedq.services.sites import load_site


def write_reminders(database: Database, *, now: datetime) -> int:
    """Write the reminders due by `now` at every site; how many."""
    with UnitOfWork(database, write=False) as uow:
        sites = uow.session.execute(
            select(Site.id, Site.timezone, Site.reminder_hour).order_by(Site.id)
        ).all()
    booked_at = _last_booked_at()
    reminded_since = (
        select(NotifyEvent.id)
        .where(
            NotifyEvent.appointment_id == Appointment.id,
            NotifyEvent.kind == EventKind.BOOKING_REMINDER.value,
            NotifyEvent.created_at >= booked_at,
        )
        .exists()
    )
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
        with UnitOfWork(database) as uow:
            uow.lock_site(site_id)
            due = uow.session.scalars(
                select(Appointment)
                .where(
                    Appointment.site_id == site_id,
                    Appointment.status == AppointmentStatus.BOOKED,
                    Appointment.starts_at >= starts,
                    Appointment.starts_at < ends,
                    booked_at < remind_at,
                    ~reminded_since,
                )
                .order_by(Appointment.id)
            ).all()
            for appointment in due:
                outbox.appointment_event(uow, EventKind.BOOKING_REMINDER, appointment, now=now)
            uow.commit()
            written += len(due)
    return written


def _last_booked_at():
    """When the appointment got its current time: its last booking or rescheduling event, else its creation."""
    last_event = (
        select(func.max(NotifyEvent.created_at))
        .where(
            NotifyEvent.appointment_id == Appointment.id,
            NotifyEvent.kind.in_([EventKind.BOOKING_CONFIRMED.value, EventKind.BOOKING_RESCHEDULED.value]),
        )
        .correlate(Appointment)
        .scalar_subquery()
    )
    return func.coalesce(last_event, Appointment.created_at)


def write_turn_events(database: Database, *, now: datetime) -> int:
    """Tell waiting patients who can be reached that their turn nears; how many events were written.

    Near turn: once the ticket's place in line is the site's `near_turn_position`
    or nearer. Leave now: a remote ticket not here yet whose turn, by the low end
    of its estimate, comes within its travel time (from joining to the arrival
    the patient gave), told with the range. Each once per ticket: the estimate
    is made first, then the events are written under the site's lock.
    """
    with UnitOfWork(database, write=False) as uow:
        site_ids = list(
            uow.session.scalars(
                select(Ticket.site_id)
                .where(Ticket.status == TicketStatus.WAITING, _reachable())
                .distinct()
                .order_by(Ticket.site_id)
            )
        )
    written = 0
    for site_id in site_ids:
        with UnitOfWork(database, write=False) as uow:
            part = views.site_part(uow, load_site(uow, site_id), now)
            near_at = uow.session.get_one(Site, site_id).near_turn_position
            waiting = uow.session.scalars(
                select(Ticket).where(
                    Ticket.site_id == site_id, Ticket.status == TicketStatus.WAITING, _reachable()
                )
            ).all()
            told = _told(uow, [t.id for t in waiting])
            due: list[tuple[int, EventKind, dict[str, Any]]] = []
            for ticket in waiting:
                estimate = part.estimates.get(ticket.id) or {}
                more = _range(estimate)
                position = part.positions.get(ticket.id)
                if (
                    position is not None
                    and position <= near_at
                    and (ticket.id, EventKind.NEAR_TURN.value) not in told
                ):
                    due.append((ticket.id, EventKind.NEAR_TURN, more))
                if _leave_now(ticket, estimate) and (ticket.id, EventKind.LEAVE_NOW.value) not in told:
                    due.append((ticket.id, EventKind.LEAVE_NOW, more))
        if not due:
            continue
        with UnitOfWork(database) as uow:
            uow.lock_site(site_id)
            told_now = _told(uow, [ticket_id for ticket_id, _, _ in due])
            for ticket_id, kind, more in due:
                ticket = uow.session.get_one(Ticket, ticket_id)
                if (ticket_id, kind.value) in told_now or ticket.status is not TicketStatus.WAITING:
                    continue
                if outbox.ticket_event(uow, ticket, kind, now=now, **more) is not None:
                    written += 1
            uow.commit()
    return written


def _reachable():
    """Tickets with a contact of their own (remote) or an appointment's."""
    return or_(
        Ticket.contact_phone.is_not(None),
        Ticket.contact_email.is_not(None),
        Ticket.appointment_id.is_not(None),
    )


def _told(uow: UnitOfWork, ticket_ids: list[int]) -> set[tuple[int | None, str]]:
    """(ticket, kind) of the leave-now and near-turn events these tickets already have."""
    kinds = (EventKind.NEAR_TURN.value, EventKind.LEAVE_NOW.value)
    return {
        (ticket_id, kind)
        for ticket_id, kind in uow.session.execute(
            select(NotifyEvent.ticket_id, NotifyEvent.kind).where(
                NotifyEvent.kind.in_(kinds), NotifyEvent.ticket_id.in_(ticket_ids)
            )
        )
    }


def _range(estimate: dict[str, Any]) -> dict[str, Any]:
    low, high = estimate.get("p10_minutes"), estimate.get("p90_minutes")
    if low is None or high is None:
        return {}
    return {"wait_low_minutes": round(low), "wait_high_minutes": round(high)}


def _leave_now(ticket: Ticket, estimate: dict[str, Any]) -> bool:
    if ticket.kind is not TicketKind.REMOTE or ticket.present or ticket.expected_arrival_at is None:
        return False
    low = estimate.get("p10_minutes")
    if low is None:
        return False
    travel = (ticket.expected_arrival_at - ticket.joined_at).total_seconds() / 60
    return low <= travel
