"""Joining the queue and the patient's own ticket: kiosk walk-ins, "save my spot",
appointment check-in, status, "I'm here" and leaving the line.

Joins lock the site row, so the per-day display number (`TicketCounter`) is
handed out one at a time and codes stay unique under concurrent joins.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import replace
from datetime import datetime, timedelta

from cachetools import LRUCache
from sqlalchemy import select, update

from schedq.db.engine import Database
from schedq.db.models import Feedback, Service, Site, Ticket, TicketCounter
from schedq.db.uow import UnitOfWork, in_shared_transaction
from schedq.domain import schedule
from schedq.domain.codes import display_code, new_nonce, patient_token, token_matches
from schedq.domain.contact import Contact, normalised
from schedq.domain.enums import AppointmentStatus, TicketKind, TicketStatus
from schedq.domain.errors import Conflict, InvalidInput, NotFound, SiteClosed
from schedq.domain.policy import is_late_check_in
from schedq.domain.tickets import APPOINTMENT_STATUS, Action
from schedq.services import public, rate_limits, sites
from schedq.services.appointments import TOKEN_KIND as APPOINTMENT_TOKEN_KIND
from schedq.services.appointments import OptIns, find_appointment
from schedq.services.queue import corrections, line, locking, no_shows, views, visit_log
from schedq.services.sites import status_of, walk_in_service

TOKEN_KIND = "ticket"
PROMISED = ("p10_minutes", "p50_minutes", "p90_minutes", "mean_minutes")
EARLIEST_ARRIVAL_SLACK = timedelta(minutes=5)
RATED = "/rated"
"""Added to the name of a rated ticket's state (`ticket_state`): the answer differs, the site's part does not."""


# Joining ------------------------------------------------------------------------------


def join_walk_in(
    uow: UnitOfWork, *, site_id: int, service_code: str, actor: str, now: datetime, secret_key: str
) -> views.TicketView:
    """A patient takes a ticket at the kiosk (or the front desk): present, in line from now."""
    with uow:
        site = sites.lock_site(uow, site_id)
        no_shows.expire_overdue_calls(uow, site, now)
        _check_joinable(uow, site, now)
        service = walk_in_service(uow, site, service_code)
        ticket = _new_ticket(uow, site, service, TicketKind.WALK_IN, now=now, present=True)
        visit_log.record_event(
            uow,
            site_id=site.id,
            at=now,
            action="join",
            actor=actor,
            ticket=ticket,
            to_status=ticket.status.value,
        )
        return _commit_new(uow, site, ticket, now, secret_key)


def join_remote(
    uow: UnitOfWork,
    *,
    site_id: int,
    service_code: str,
    contact: Contact,
    expected_arrival_at: datetime,
    client_address: str | None,
    counters: rate_limits.Counters,
    now: datetime,
    secret_key: str,
    opt_ins: OptIns | None = None,
) -> views.TicketView:
    """ "Save my spot": the patient joins from afar and keeps their place while travelling.

    The ticket is not present until the patient (or staff) says they are here;
    until then the call policy passes over it without moving it back. The
    site's limits hold (README: limits); the contact is kept in its one form
    (`domain.contact`).
    """
    with uow:
        site = sites.lock_site(uow, site_id)
        no_shows.expire_overdue_calls(uow, site, now)
        closes = _check_joinable(uow, site, now)
        service = walk_in_service(uow, site, service_code)
        if expected_arrival_at < now - EARLIEST_ARRIVAL_SLACK:
            raise InvalidInput("expected_arrival_at", "is in the past")
        if expected_arrival_at > closes:
            raise InvalidInput("expected_arrival_at", "is after the site closes today")
        contact = normalised(contact, country=site.country)
        _check_remote_limits(uow, site, contact, client_address=client_address, counters=counters, now=now)
        ticket = _new_ticket(uow, site, service, TicketKind.REMOTE, now=now, present=False)
        ticket.expected_arrival_at = expected_arrival_at
        ticket.contact_name = contact.name
        ticket.contact_phone = contact.phone
        ticket.contact_email = contact.email
        opt_ins = opt_ins or OptIns()
        ticket.notify_sms = opt_ins.sms
        ticket.notify_email = opt_ins.email
        ticket.language = opt_ins.language
        visit_log.record_event(
            uow,
            site_id=site.id,
            at=now,
            action="join",
            actor="patient",
            ticket=ticket,
            to_status=ticket.status.value,
        )
        return _commit_new(uow, site, ticket, now, secret_key)


def check_in(
    uow: UnitOfWork,
    *,
    reference: str,
    now: datetime,
    secret_key: str,
    actor: str,
    site_id: int | None = None,
    manage_token: str | None = None,
) -> views.TicketView:
    """Check an appointment in on its day: it joins the queue as a ticket of kind appointment.

    At the kiosk (`site_id` given) the reference must be for that site; the
    patient checking in themselves gives the manage token instead. Checked in
    more than the grace minutes late, it queues as a walk-in from now. A second
    check-in answers with the same ticket.
    """
    with uow:
        appointment = find_appointment(uow, reference)
        if site_id is not None and appointment.site_id != site_id:
            raise NotFound("no appointment with that reference at this site")
        if manage_token is not None and not token_matches(
            secret_key, APPOINTMENT_TOKEN_KIND, appointment.id, appointment.token_nonce, manage_token
        ):
            raise NotFound("no appointment with that reference")
        site = sites.lock_site(uow, appointment.site_id)
        no_shows.expire_overdue_calls(uow, site, now)
        existing = uow.session.scalars(
            select(Ticket)
            .where(Ticket.appointment_id == appointment.id)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if existing is not None:
            uow.commit()  # overdue calls expired above; the view is made once the lock is released
            return views.view_committed(uow, existing.id, now, token=_token(secret_key, existing))
        uow.session.refresh(appointment)
        if appointment.status is not AppointmentStatus.BOOKED:
            raise Conflict(f"a {appointment.status.value} appointment cannot be checked in", allowed=[])
        tz = sites.tz_of(site)
        if schedule.local_day(appointment.starts_at, tz) != schedule.local_day(now, tz):
            raise Conflict("check-in opens on the day of the appointment", allowed=[])
        status = status_of(uow, site, now)
        if not status.accepts_check_in(appointment.starts_at):
            raise SiteClosed(status)
        late = is_late_check_in(
            appointment_at=appointment.starts_at, checked_in_at=now, grace_minutes=site.grace_minutes
        )
        ticket = _new_ticket(uow, site, appointment.service, TicketKind.APPOINTMENT, now=now, present=True)
        ticket.appointment_id = appointment.id
        ticket.appointment = appointment
        ticket.policy_appointment_at = None if late else appointment.starts_at
        appointment.status = APPOINTMENT_STATUS[TicketStatus.WAITING]
        appointment.updated_at = now
        visit_log.record_event(
            uow,
            site_id=site.id,
            at=now,
            action="check_in",
            actor=actor,
            ticket=ticket,
            to_status=ticket.status.value,
            detail={"late": late},
        )
        return _commit_new(uow, site, ticket, now, secret_key)


def _check_joinable(uow: UnitOfWork, site: Site, now: datetime) -> datetime:
    """Refuse a walk-in the site's status does not accept (README: joining when closed); today's closing time."""
    status = status_of(uow, site, now)
    if not status.walk_ins_accepted or status.closes_at is None:
        raise SiteClosed(status)
    return status.closes_at


def _check_remote_limits(
    uow: UnitOfWork,
    site: Site,
    contact: Contact,
    *,
    client_address: str | None,
    counters: rate_limits.Counters,
    now: datetime,
) -> None:
    """The site's limits on remote joins: per contact (at any site) a day, per client address (here) an hour."""
    joined = uow.session.scalars(
        select(Ticket.joined_at).where(
            Ticket.kind == TicketKind.REMOTE,
            Ticket.joined_at > now - rate_limits.CONTACT_WINDOW,
            rate_limits.same_contact(Ticket.contact_phone, Ticket.contact_email, contact),
        )
    ).all()
    rate_limits.refuse_contact_over_limit(
        list(joined), per_day=site.remote_joins_per_contact_per_day, what="remote joins", now=now
    )
    rate_limits.take_address_hit(
        counters,
        uow,
        kind="remote-join",
        site_id=site.id,
        address=client_address,
        per_hour=site.remote_joins_per_address_per_hour,
        what="remote joins",
        now=now,
    )


def _new_ticket(
    uow: UnitOfWork, site: Site, service: Service, kind: TicketKind, *, now: datetime, present: bool
) -> Ticket:
    """A waiting ticket with the next display code of the site's day (the site lock is held)."""
    day = sites.service_day(site, now)
    counter = uow.session.get(TicketCounter, (site.id, day, kind.prefix), populate_existing=True)
    if counter is None:
        counter = TicketCounter(site_id=site.id, service_day=day, prefix=kind.prefix, last_number=0)
        uow.session.add(counter)
    counter.last_number += 1
    ticket = Ticket(
        site_id=site.id,
        service_id=service.id,
        service=service,
        service_day=day,
        code=display_code(kind.prefix, counter.last_number),
        token_nonce=new_nonce(),
        kind=kind,
        status=TicketStatus.WAITING,
        priority=False,
        present=present,
        joined_at=now,
        call_count=0,
    )
    uow.session.add(ticket)
    uow.session.flush()
    return ticket


def _commit_new(
    uow: UnitOfWork, site: Site, ticket: Ticket, now: datetime, secret_key: str
) -> views.TicketView:
    """Commit the join, then make and keep its promise: no estimate is made while the site is locked.

    Inside a keyed request's one transaction (`db.uow.shared_transaction`) the
    site stays locked until the request's answer is stored with the work: the
    answer then comes without its estimate, and the API completes it with
    `promise_after_join` once that transaction has committed.
    """
    uow.commit()
    if in_shared_transaction(uow.database):
        return views.view_now(uow, ticket, site, now, token=_token(secret_key, ticket), with_estimate=False)
    return promise_after_join(uow.database, ticket_id=ticket.id, now=now, secret_key=secret_key)


def promise_after_join(
    database: Database, *, ticket_id: int, now: datetime, secret_key: str
) -> views.TicketView:
    """The new ticket's view with its estimate, the estimate kept as its promise (unless one is kept already).

    The estimate is made (once, shared) for the state the join left, so the
    patient's first look at the ticket finds it made; a second short write keeps
    it as the promise. The answer shows the promise kept.
    """
    with UnitOfWork(database, write=False) as reader:
        joined = locking.fresh_ticket(reader, ticket_id)
        result = views.view_now(
            reader, joined, sites.site_to_read(reader, joined.site_id), now, token=_token(secret_key, joined)
        )
    if result.estimate is None:
        return result
    # Waits are measured from `wait_start` (an early appointment waits from its
    # time, not from check-in); the promise is kept on the same footing.
    head_start = max((line.wait_start(joined) - now).total_seconds() / 60, 0.0)
    promise = {}
    for name in PROMISED:
        minutes = result.estimate[name]
        promise[name] = None if minutes is None else max(minutes - head_start, 0.0)
    columns = [getattr(Ticket, f"promised_{name}") for name in PROMISED]
    with UnitOfWork(database) as writer:
        # A Core UPDATE: the promise is no part of the site's state, so its version stays.
        writer.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.promised_p50_minutes.is_(None))
            .values({f"promised_{name}": value for name, value in promise.items()})
            .execution_options(synchronize_session=False)
        )
        kept = writer.session.execute(select(*columns).where(Ticket.id == ticket_id)).one()
        writer.commit()
    return replace(
        result, promised=None if kept.promised_p50_minutes is None else dict(zip(PROMISED, kept, strict=True))
    )


def _token(secret_key: str, ticket: Ticket) -> str:
    return patient_token(secret_key, TOKEN_KIND, ticket.id, ticket.token_nonce)


def ticket_token(uow: UnitOfWork, *, ticket_id: int, secret_key: str) -> str | None:
    """The ticket's patient token, derived again (a replayed join hands it back; it is never stored)."""
    with uow:
        nonce = uow.session.scalar(select(Ticket.token_nonce).where(Ticket.id == ticket_id))
        return None if nonce is None else patient_token(secret_key, TOKEN_KIND, ticket_id, nonce)


# The patient's own ticket ---------------------------------------------------------------


def _check_owner(uow: UnitOfWork, ticket_id: int, token: str | None, secret_key: str) -> None:
    """NotFound unless `token` is the ticket's (None: the caller is staff, checked by the API)."""
    if token is None:
        return
    nonce = uow.session.scalar(select(Ticket.token_nonce).where(Ticket.id == ticket_id))
    if nonce is None or not token_matches(secret_key, TOKEN_KIND, ticket_id, nonce, token):
        raise NotFound(f"no ticket {ticket_id}")


def get_ticket(
    uow: UnitOfWork,
    *,
    ticket_id: int,
    token: str | None,
    secret_key: str,
    now: datetime,
    state: str | None = None,
    language: str = "en",
) -> views.TicketView:
    """Status, place in line and, once called, the station. `token=None` for staff; names in `language`.

    `state`: the name of the site's state just read (`public.site_read_state`,
    which has seen to overdue calls). The site's part of the view (places in
    line, estimates, status) is then the one this process made for that state,
    if any, so that every ticket of a site does not rebuild it: only the
    ticket's own row is read, and the token checked against it.
    """
    if state is None:
        with uow:
            _check_owner(uow, ticket_id, token, secret_key)
            site_id = locking.ticket_site_id(uow, ticket_id)
        no_shows.settle(uow, site_id, now)
    with uow:
        ticket = locking.fresh_ticket(uow, ticket_id)
        if token is not None and not token_matches(
            secret_key, TOKEN_KIND, ticket_id, ticket.token_nonce, token
        ):
            raise NotFound(f"no ticket {ticket_id}")
        site_id = ticket.site_id
        if state is not None:
            state = state.removesuffix(RATED)
        part = None if state is None else _site_parts.get(uow.database, site_id, state)
        if part is None:
            part = views.site_part(uow, sites.site_to_read(uow, site_id), now)
            if state is not None and not part.stale:
                _site_parts.put(uow.database, site_id, state, part)
        if part.stale and ticket.status is TicketStatus.WAITING and ticket.id not in part.estimates:
            # The previous state's estimates, made before this ticket joined: make this state's.
            view = views.view_now(uow, ticket, sites.site_to_read(uow, site_id), now, language=language)
        else:
            view = views.view_with(ticket, part, now, language=language)
        if ticket.status is TicketStatus.DONE:
            rated = uow.session.scalar(select(Feedback.id).where(Feedback.ticket_id == ticket_id))
            view = replace(view, feedback_given=rated is not None)
        return view


SITE_PARTS_KEPT = 4096
"""Site parts of ticket views one process keeps per database: a few states of every site of a chain."""


class _SiteParts:
    """The site parts of ticket views this process made, by database, site and state (least recently used dropped)."""

    def __init__(self, per_database: int = SITE_PARTS_KEPT) -> None:
        self.per_database = per_database
        self._kept: weakref.WeakKeyDictionary[Database, LRUCache] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, database: Database, site_id: int, state: str) -> views.SitePart | None:
        with self._lock:
            kept = self._kept.get(database)
            return None if kept is None else kept.get((site_id, state))

    def put(self, database: Database, site_id: int, state: str, part: views.SitePart) -> None:
        with self._lock:
            kept = self._kept.get(database)
            if kept is None:
                kept = self._kept[database] = LRUCache(self.per_database)
            kept[(site_id, state)] = part


_site_parts = _SiteParts()


def ticket_state(
    make_uow, *, ticket_id: int, token: str | None, secret_key: str, now: datetime, max_model_age_hours: int
) -> str:
    """The name of the state the ticket's view would show now (its owner only; `token=None` for staff).

    The ticket's own row is read for the token check and its site; the rest is
    the site's state (every change to a ticket moves its site's version).
    """
    with make_uow(write=False) as uow:
        seen = public.ticket_look(uow, ticket_id)
    if token is not None and not token_matches(secret_key, TOKEN_KIND, ticket_id, seen.token_nonce, token):
        raise NotFound(f"no ticket {ticket_id}")
    state = public.site_read_state(
        make_uow, site_id=seen.site_id, now=now, max_model_age_hours=max_model_age_hours, seen=seen.site
    )
    # A rating changes the ticket's answer (`feedback_given`) but not its site's state.
    return state + RATED if seen.rated else state


def leave(uow: UnitOfWork, *, ticket_id: int, token: str, secret_key: str, now: datetime) -> views.TicketView:
    """The patient leaves the line (again: no change)."""
    with uow:
        _check_owner(uow, ticket_id, token, secret_key)
        site, ticket = locking.locked_ticket(uow, ticket_id, now)
        if ticket.status is TicketStatus.LEFT:
            return views.ticket_view(ticket, site, as_of=now)
        visit_log.apply_action(uow, ticket, Action.LEAVE, actor="patient", at=now)
        ticket.ended_at = now
        ticket.end_reason = "left the line"
        uow.commit()
        return views.ticket_view(ticket, site, as_of=now)


def patient_present(
    uow: UnitOfWork, *, ticket_id: int, token: str, secret_key: str, now: datetime
) -> views.TicketView:
    """ "I'm here": the patient with a remote ticket has arrived."""
    with uow:
        _check_owner(uow, ticket_id, token, secret_key)
    return corrections.mark_present(uow, ticket_id=ticket_id, actor="patient", now=now)
