"""A ticket as the API shows it: its state, its place in line, the wait it can be promised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schedq.db.models import Site, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain.arrival import arrive_by
from schedq.domain.enums import TicketKind, TicketStatus
from schedq.domain.site_status import SiteStatus
from schedq.domain.tickets import allowed_actions
from schedq.services.estimates.live import Estimates, site_estimates
from schedq.services.queue.line import places, waiting_line
from schedq.services.queue.locking import fresh_ticket
from schedq.services.sites import load_site, site_to_read, status_of


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket as the API shows it; times shown in `timezone`."""

    id: int
    site_id: int
    timezone: str
    code: str
    kind: str
    service: str
    service_name: str
    status: str
    present: bool
    priority: bool
    joined_at: datetime
    expected_arrival_at: datetime | None
    appointment_at: datetime | None
    called_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    station: str | None
    station_id: int | None
    call_count: int
    position: int | None
    ahead: int | None
    allowed_actions: list[str]
    estimate: dict[str, Any] | None
    promised: dict[str, float | None] | None
    actual_wait_minutes: float | None
    appointment_reference: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    token: str | None = None
    site_status: SiteStatus | None = None
    # True: the estimate is the previous state's, served while another worker computes this one.
    stale: bool = False
    estimate_as_of: datetime | None = None  # the instant the estimate was made for (None: no estimate)
    estimate_age_seconds: float = 0.0  # `estimates.live.Estimates.served_age_seconds`
    # The server's instant this answer was made at (the patient's page tells time by it, not the phone's clock);
    # None on answers to staff actions.
    as_of: datetime | None = None
    # A remote ticket not yet here: when to be at the site (`domain.arrival.arrive_by`); else None.
    arrive_by: datetime | None = None
    # A done visit: whether its patient has rated it (set by the patient's status read; else False).
    feedback_given: bool = False


@dataclass(frozen=True, slots=True)
class SitePart:
    """What every ticket's view takes from its site at one instant: places in line, estimates and status."""

    site_id: int
    timezone: str
    positions: dict[int, int]
    estimates: dict[int, dict[str, Any]]
    status: SiteStatus
    stale: bool  # the estimates are the previous state's (see `estimates.live.Estimates`)
    estimates_at: datetime  # the instant the estimates were made for
    age_seconds: float  # `estimates.live.Estimates.served_age_seconds`


def site_part(uow: UnitOfWork, site: Site, now: datetime) -> SitePart:
    uow.session.flush()
    live = site_estimates(uow, site, now)
    return SitePart(
        site_id=site.id,
        timezone=site.timezone,
        positions=places(waiting_line(uow, site.id), now),
        estimates=live.tickets,
        status=status_of(uow, site, now),
        stale=live.stale,
        estimates_at=live.at,
        age_seconds=live.served_age_seconds,
    )


def view_with(
    ticket: Ticket, part: SitePart, now: datetime, *, token: str | None = None, language: str = "en"
) -> TicketView:
    """The ticket's view at `now` with its site's part (`site_part`), made for `now`'s state; names in `language`."""
    waiting = ticket.status is TicketStatus.WAITING
    estimate = part.estimates.get(ticket.id) if waiting else None
    return ticket_view(
        ticket,
        part,
        position=part.positions.get(ticket.id) if waiting else None,
        estimate=estimate,
        token=token,
        site_status=part.status,
        stale=part.stale,
        estimate_as_of=part.estimates_at if estimate is not None else None,
        estimate_age_seconds=part.age_seconds if estimate is not None else 0.0,
        as_of=now,
        language=language,
    )


def promise(uow: UnitOfWork, ticket: Ticket, now: datetime) -> tuple[dict[str, Any] | None, Estimates | None]:
    """The wait range `ticket` can be promised now (waiting tickets only), from the live state; and the estimates it came from.

    The previous state's answer will do while another worker computes this one,
    unless it was made before the ticket joined.
    """
    if ticket.status is not TicketStatus.WAITING:
        return None, None
    uow.session.flush()
    site = load_site(uow, ticket.site_id)
    live = site_estimates(uow, site, now)
    if live.stale and ticket.id not in live.tickets:
        live = site_estimates(uow, site, now, stale_ok=False)
    return live.tickets.get(ticket.id), live


def ticket_view(
    ticket: Ticket,
    site: Site | SitePart,
    *,
    position: int | None = None,
    estimate: dict[str, Any] | None = None,
    token: str | None = None,
    site_status: SiteStatus | None = None,
    stale: bool = False,
    estimate_as_of: datetime | None = None,
    estimate_age_seconds: float = 0.0,
    as_of: datetime | None = None,
    language: str = "en",
) -> TicketView:
    """The ticket as the API shows it; the service and station named in `language` (English if not set)."""
    promised = None
    if ticket.promised_p50_minutes is not None:
        promised = {
            "p10_minutes": ticket.promised_p10_minutes,
            "p50_minutes": ticket.promised_p50_minutes,
            "p90_minutes": ticket.promised_p90_minutes,
            "mean_minutes": ticket.promised_mean_minutes,
        }
    on_the_way = (
        ticket.kind is TicketKind.REMOTE
        and ticket.status is TicketStatus.WAITING
        and not ticket.present
        and ticket.expected_arrival_at is not None
    )
    return TicketView(
        id=ticket.id,
        site_id=ticket.site_id,
        timezone=site.timezone,
        code=ticket.code,
        kind=ticket.kind.value,
        service=ticket.service.code,
        service_name=ticket.service.name_in(language),
        status=ticket.status.value,
        present=ticket.present,
        priority=ticket.priority,
        joined_at=ticket.joined_at,
        expected_arrival_at=ticket.expected_arrival_at,
        appointment_at=ticket.appointment.starts_at if ticket.appointment is not None else None,
        called_at=ticket.called_at,
        started_at=ticket.started_at,
        ended_at=ticket.ended_at,
        end_reason=ticket.end_reason,
        station=ticket.station.name_in(language) if ticket.station is not None else None,
        station_id=ticket.station_id,
        call_count=ticket.call_count,
        position=position,
        ahead=position - 1 if position is not None else None,
        allowed_actions=allowed_actions(ticket.status),
        estimate=estimate,
        promised=promised,
        actual_wait_minutes=ticket.actual_wait_minutes,
        appointment_reference=ticket.appointment.reference if ticket.appointment is not None else None,
        contact_name=ticket.contact_name or (ticket.appointment.contact_name if ticket.appointment else None),
        contact_phone=ticket.contact_phone
        or (ticket.appointment.contact_phone if ticket.appointment else None),
        contact_email=ticket.contact_email
        or (ticket.appointment.contact_email if ticket.appointment else None),
        token=token,
        site_status=site_status,
        stale=stale,
        estimate_as_of=estimate_as_of,
        estimate_age_seconds=estimate_age_seconds,
        as_of=as_of,
        arrive_by=arrive_by(
            ticket.expected_arrival_at,
            estimate_at=estimate_as_of if estimate is not None else None,
            p10_minutes=estimate.get("p10_minutes") if estimate is not None else None,
        )
        if on_the_way and ticket.expected_arrival_at is not None
        else None,
    )


def view_now(
    uow: UnitOfWork,
    ticket: Ticket,
    site: Site,
    now: datetime,
    *,
    token: str | None = None,
    estimate: dict[str, Any] | None = None,
    with_estimate: bool = True,
    language: str = "en",
) -> TicketView:
    """The ticket's view with its current place in line, the site's status (and its estimate, unless already made).

    `with_estimate=False`: no estimate (one made later, outside the site's lock, completes it).
    """
    uow.session.flush()
    place = (
        places(waiting_line(uow, site.id), now).get(ticket.id)
        if ticket.status is TicketStatus.WAITING
        else None
    )
    live = None
    if estimate is None and with_estimate:
        estimate, live = promise(uow, ticket, now)
    status = status_of(uow, site, now)
    estimated_at, age = (
        (live.at, live.served_age_seconds) if live is not None and estimate is not None else (None, 0.0)
    )
    return ticket_view(
        ticket,
        site,
        position=place,
        estimate=estimate,
        token=token,
        site_status=status,
        stale=live is not None and live.stale,
        estimate_as_of=estimated_at,
        estimate_age_seconds=age,
        as_of=now,
        language=language,
    )


def view_committed(uow: UnitOfWork, ticket_id: int, now: datetime, *, token: str | None = None) -> TicketView:
    """The ticket's view after a write committed, read afresh: its estimate is made (or found) outside the lock, shared."""
    with UnitOfWork(uow.database, write=False) as reader:
        ticket = fresh_ticket(reader, ticket_id)
        return view_now(reader, ticket, site_to_read(reader, ticket.site_id), now, token=token)
