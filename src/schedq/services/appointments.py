"""Slots and appointments: availability, booking, rescheduling, cancelling, the calendar file."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from schedq.db.models import Appointment, IdempotencyRecord, Site
from schedq.db.uow import UnitOfWork
from schedq.domain import calendar, schedule
from schedq.domain.codes import (
    new_nonce,
    new_reference,
    normalise_reference,
    patient_token,
    token_matches,
)
from schedq.domain.contact import Contact, normalised
from schedq.domain.enums import AppointmentStatus
from schedq.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from schedq.notify import outbox
from schedq.notify.events import EventKind
from schedq.services import rate_limits
from schedq.services.sites import (
    bookable_service,
    closures_of,
    hours_of,
    load_site,
    lock_site,
    plan_of,
)

MAX_SLOT_RANGE_DAYS = 31
TOKEN_KIND = "appointment"


@dataclass(frozen=True, slots=True)
class SlotView:
    starts_at: datetime
    ends_at: datetime
    seats: int
    remaining: int


@dataclass(frozen=True, slots=True)
class OptIns:
    """The messages the patient agreed to, and their language (README: "Notifications")."""

    sms: bool = False
    email: bool = False
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Booking:
    """A booked appointment, the patient's secret and whether this answer is a replay."""

    appointment: Appointment
    token: str
    replayed: bool = False

    @property
    def manage_token(self) -> str:
        return self.token

    def __getattr__(self, name: str):
        return getattr(self.appointment, name)


def list_slots(
    uow: UnitOfWork, *, site_id: int, service_code: str, first_day: date, last_day: date, now: datetime
) -> list[SlotView]:
    """Bookable slots with seats left, between two local dates inclusive."""
    with uow:
        site = load_site(uow, site_id)
        tz = schedule.zone(site.timezone)
        today = schedule.local_day(now, tz)
        if first_day < today:
            raise InvalidInput("from", "is in the past")
        if last_day < first_day:
            raise InvalidInput("to", "is before from")
        if (last_day - first_day).days >= MAX_SLOT_RANGE_DAYS:
            raise InvalidInput("to", f"the range is longer than {MAX_SLOT_RANGE_DAYS} days")
        bookable_service(uow, site, service_code)
        return [s for s in slots_with_seats(uow, site, tz, first_day, last_day, now) if s.remaining > 0]


def slots_with_seats(
    uow: UnitOfWork, site: Site, tz: ZoneInfo, first_day: date, last_day: date, now: datetime
) -> list[SlotView]:
    """Every open slot between two local dates with the seats its bookings leave (0 when full)."""
    slots = open_slots(site, tz, first_day, last_day, now)
    if not slots:
        return []
    booked = seats_taken(uow, site.id, slots[0].starts_at, slots[-1].starts_at)
    return [SlotView(s.starts_at, s.ends_at, s.seats, max(s.seats - booked[s.starts_at], 0)) for s in slots]


def open_slots(
    site: Site, tz: ZoneInfo, first_day: date, last_day: date, now: datetime
) -> list[schedule.Slot]:
    """The one slot derivation: slots inside the lead time and horizon, before bookings."""
    earliest = now + timedelta(minutes=site.min_lead_minutes)
    horizon = schedule.local_day(now, tz) + timedelta(days=site.booking_horizon_days)
    hours, plan, closures = hours_of(site), plan_of(site), closures_of(site)
    slots: list[schedule.Slot] = []
    day = first_day
    while day <= min(last_day, horizon):
        slots.extend(
            s
            for s in schedule.day_slots(
                day, hours=hours, plan=plan, tz=tz, slot_minutes=site.slot_minutes, closures=closures
            )
            if s.starts_at >= earliest
        )
        day += timedelta(days=1)
    return slots


def seats_taken(uow: UnitOfWork, site_id: int, first: datetime, last: datetime) -> Counter:
    """Seats booked (not cancelled) per slot start between two instants, both included."""
    rows = uow.session.execute(
        select(Appointment.starts_at, func.count())
        .where(
            Appointment.site_id == site_id,
            Appointment.starts_at >= first,
            Appointment.starts_at <= last,
            Appointment.status != AppointmentStatus.CANCELLED,
        )
        .group_by(Appointment.starts_at)
    )
    return Counter(dict(rows.all()))


def _check_slot(
    uow: UnitOfWork, site: Site, starts_at: datetime, now: datetime, *, ignore: int | None = None
) -> None:
    """Raise unless `starts_at` is a slot of this site with a seat left."""
    tz = schedule.zone(site.timezone)
    if starts_at <= now:
        raise InvalidInput("starts_at", "is in the past")
    day = schedule.local_day(starts_at, tz)
    slot = next(
        (
            s
            for s in schedule.day_slots(
                day,
                hours=hours_of(site),
                plan=plan_of(site),
                tz=tz,
                slot_minutes=site.slot_minutes,
                closures=closures_of(site),
            )
            if s.starts_at == starts_at
        ),
        None,
    )
    if slot is None:
        raise InvalidInput("starts_at", "is not the start of a slot at this site")
    if starts_at < now + timedelta(minutes=site.min_lead_minutes):
        raise InvalidInput("starts_at", f"must be at least {site.min_lead_minutes} minutes ahead")
    if day > schedule.local_day(now, tz) + timedelta(days=site.booking_horizon_days):
        raise InvalidInput("starts_at", f"is beyond the {site.booking_horizon_days}-day booking horizon")
    query = select(func.count()).where(
        Appointment.site_id == site.id,
        Appointment.starts_at == starts_at,
        Appointment.status != AppointmentStatus.CANCELLED,
    )
    if ignore is not None:
        query = query.where(Appointment.id != ignore)
    if uow.session.execute(query).scalar_one() >= slot.seats:
        raise Unavailable("that slot is full; choose another")


def book(
    uow: UnitOfWork,
    *,
    site_id: int,
    service_code: str,
    starts_at: datetime,
    contact: Contact,
    now: datetime,
    secret_key: str,
    opt_ins: OptIns = OptIns(),
    idempotency_key: str | None = None,
    caller: str = "",
    client_address: str | None = None,
    counters: rate_limits.Counters | None = None,
) -> Booking:
    """Book a seat; a retry with the same idempotency key from the same caller returns the first booking.

    The site's limits hold (README: limits): bookings per contact (at any site)
    a day and, when `counters` are given, per client address (here) an hour. The
    contact is kept in its one form (`domain.contact`).
    """
    scope = f"book:{site_id}:{hashlib.sha256(caller.encode()).hexdigest()[:32]}"
    fingerprint = _fingerprint(site_id, service_code, starts_at, contact, opt_ins)
    with uow:
        site = uow.lock_site(site_id)
        if site is None:
            raise NotFound(f"no site {site_id}")
        if idempotency_key:
            # Only under the site's lock: a retry that waited for the first attempt
            # to take the last seat must see its booking, not a full slot.
            replay = _replay(uow, scope, idempotency_key, fingerprint, secret_key)
            if replay is not None:
                return replay
        service = bookable_service(uow, site, service_code)
        _check_slot(uow, site, starts_at, now)
        contact = normalised(contact, country=site.country)
        _check_booking_limits(uow, site, contact, client_address=client_address, counters=counters, now=now)
        appointment = Appointment(
            site=site,
            service=service,
            reference=_unused_reference(uow),
            token_nonce=new_nonce(),
            starts_at=starts_at,
            status=AppointmentStatus.BOOKED,
            contact_name=contact.name,
            contact_phone=contact.phone,
            contact_email=contact.email,
            notify_sms=opt_ins.sms,
            notify_email=opt_ins.email,
            language=opt_ins.language,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(appointment)
        uow.session.flush()
        outbox.appointment_event(uow, EventKind.BOOKING_CONFIRMED, appointment, now=now)
        if idempotency_key:
            uow.session.add(
                IdempotencyRecord(
                    scope=scope,
                    key=idempotency_key,
                    fingerprint=fingerprint,
                    status_code=201,
                    response={"appointment_id": appointment.id},
                    created_at=now,
                )
            )
        try:
            uow.commit()
        except IntegrityError:
            # The same key committed first on another connection: answer with its booking.
            uow.rollback()
            replay = _replay(uow, scope, idempotency_key or "", fingerprint, secret_key)
            if replay is None:
                raise
            return replay
        return Booking(
            appointment, patient_token(secret_key, TOKEN_KIND, appointment.id, appointment.token_nonce)
        )


def _check_booking_limits(
    uow: UnitOfWork,
    site: Site,
    contact: Contact,
    *,
    client_address: str | None,
    counters: rate_limits.Counters | None,
    now: datetime,
) -> None:
    booked = uow.session.scalars(
        select(Appointment.created_at).where(
            Appointment.created_at > now - rate_limits.CONTACT_WINDOW,
            Appointment.status != AppointmentStatus.CANCELLED,
            rate_limits.same_contact(Appointment.contact_phone, Appointment.contact_email, contact),
        )
    ).all()
    rate_limits.refuse_contact_over_limit(
        list(booked), per_day=site.bookings_per_contact_per_day, what="bookings", now=now
    )
    if counters is not None:
        rate_limits.take_address_hit(
            counters,
            uow,
            kind="booking",
            site_id=site.id,
            address=client_address,
            per_hour=site.bookings_per_address_per_hour,
            what="bookings",
            now=now,
        )


def _fingerprint(
    site_id: int, service_code: str, starts_at: datetime, contact: Contact, opt_ins: OptIns
) -> str:
    """What a retry must repeat to be the same booking. Opt-ins count only when given, so a key
    stored before they existed still matches its retry."""
    payload = json.dumps(
        [site_id, service_code, starts_at.isoformat(), contact.name, contact.phone, contact.email]
        + ([opt_ins.sms, opt_ins.email] if (opt_ins.sms, opt_ins.email) != (False, False) else [])
        + ([opt_ins.language] if opt_ins.language != "en" else [])
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _replay(uow: UnitOfWork, scope: str, key: str, fingerprint: str, secret_key: str) -> Booking | None:
    record = uow.session.scalars(
        select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    ).one_or_none()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise Conflict("this Idempotency-Key was used for a different booking")
    appointment = uow.session.get_one(Appointment, record.response["appointment_id"])
    token = patient_token(secret_key, TOKEN_KIND, appointment.id, appointment.token_nonce)
    return Booking(appointment, token, replayed=True)


def _unused_reference(uow: UnitOfWork) -> str:
    while True:
        reference = new_reference()
        if (
            uow.session.scalars(select(Appointment.id).where(Appointment.reference == reference)).first()
            is None
        ):
            return reference


def find_appointment(uow: UnitOfWork, reference: str) -> Appointment:
    appointment = uow.session.scalars(
        select(Appointment).where(Appointment.reference == normalise_reference(reference))
    ).one_or_none()
    if appointment is None:
        raise NotFound("no appointment with that reference")
    return appointment


def _owned(uow: UnitOfWork, reference: str, token: str, secret_key: str) -> Appointment:
    """The appointment if `token` is its manage token; NotFound otherwise (no oracle)."""
    appointment = find_appointment(uow, reference)
    if not token_matches(secret_key, TOKEN_KIND, appointment.id, appointment.token_nonce, token):
        raise NotFound("no appointment with that reference")
    return appointment


def get_own_appointment(uow: UnitOfWork, *, reference: str, token: str, secret_key: str) -> Appointment:
    with uow:
        return _owned(uow, reference, token, secret_key)


def reschedule(
    uow: UnitOfWork, *, reference: str, token: str, starts_at: datetime, now: datetime, secret_key: str
) -> Appointment:
    with uow:
        appointment = _owned(uow, reference, token, secret_key)
        if appointment.status is not AppointmentStatus.BOOKED:
            raise Conflict(f"a {appointment.status.value} appointment cannot be rescheduled", allowed=[])
        site = lock_site(uow, appointment.site_id)
        if starts_at != appointment.starts_at:
            _check_slot(uow, site, starts_at, now, ignore=appointment.id)
            previous = appointment.starts_at
            appointment.starts_at = starts_at
            appointment.updated_at = now
            outbox.appointment_event(
                uow, EventKind.BOOKING_RESCHEDULED, appointment, now=now, previous_starts_at=previous
            )
        uow.commit()
        return appointment


def cancel(
    uow: UnitOfWork,
    *,
    reference: str,
    token: str,
    now: datetime,
    secret_key: str,
    reason: str | None = None,
) -> Appointment:
    """Cancel a booked appointment, keeping the patient's reason for staff when given.

    Cancelling again answers with the cancelled appointment and changes nothing,
    not even its reason.
    """
    with uow:
        appointment = _owned(uow, reference, token, secret_key)
        if appointment.status is AppointmentStatus.CANCELLED:
            return appointment
        if appointment.status is not AppointmentStatus.BOOKED:
            raise Conflict(f"a {appointment.status.value} appointment cannot be cancelled", allowed=[])
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancel_reason = reason
        appointment.updated_at = now
        outbox.appointment_event(uow, EventKind.BOOKING_CANCELLED, appointment, now=now)
        uow.commit()
        return appointment


def list_day(uow: UnitOfWork, *, site_id: int, day: date) -> list[Appointment]:
    """A site's appointments on one local day, in time order."""
    with uow:
        site = load_site(uow, site_id)
        tz = schedule.zone(site.timezone)
        start = schedule.local_instant(day, datetime.min.time(), tz)
        end = schedule.local_instant(day + timedelta(days=1), datetime.min.time(), tz)
        return list(
            uow.session.scalars(
                select(Appointment)
                .where(
                    Appointment.site_id == site_id,
                    Appointment.starts_at >= start,
                    Appointment.starts_at < end,
                )
                .order_by(Appointment.starts_at, Appointment.id)
            )
        )


def calendar_file(appointment: Appointment, *, now: datetime) -> bytes:
    """An RFC 5545 calendar with one event: when, where, and how to prepare."""
    site, service = appointment.site, appointment.service
    description = [f"Reference: {appointment.reference}"]
    if service.preparation:
        description.append(f"How to prepare: {service.preparation}")
    description.append(
        f"Please arrive a few minutes early. Late by more than {site.grace_minutes} minutes, you join the walk-in line."
    )
    entry = calendar.CalendarEntry(
        reference=appointment.reference,
        starts_at=appointment.starts_at,
        ends_at=appointment.starts_at + timedelta(minutes=max(site.slot_minutes, 5)),
        summary=f"{service.name} at {site.name}",
        location=", ".join(p for p in (site.name, site.address) if p),
        description="\n".join(description),
        cancelled=appointment.status is AppointmentStatus.CANCELLED,
    )
    return calendar.calendar_file(entry, now=now)
