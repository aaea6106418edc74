"""The walk-in queue, staff side: stations, calling, serving, history and closing the day.

Every write use case locks the site row first (`uow.lock_site`): on PostgreSQL
that serialises queue decisions per site, so two stations calling at once
never get the same ticket and none is skipped; SQLite's write transaction
(BEGIN IMMEDIATE) gives the same guarantee. Every state change appends a
`VisitEvent`; nothing is deleted.

Overdue calls (called, not started within the site's `no_show_after_minutes`
of the last call) become no-shows lazily: every queue use case settles them
first, so nothing depends on a background process (`schedq queue sweep` does
the same for all sites).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from schedq.db.models import Site, SiteDay, Station, Ticket, VisitEvent
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import StationState, TicketStatus
from schedq.domain.errors import Conflict, InvalidInput, NotFound
from schedq.domain.policy import QueueEntry, call_order, choose_next
from schedq.domain.site_status import SiteStatus
from schedq.domain.tickets import (
    ACTIVE,
    APPOINTMENT_STATUS,
    Action,
    allowed_actions,
    next_status,
)
from schedq.services import estimates
from schedq.services.sites import load_site, status_of

SYSTEM = "system"
CLOSE_OUT_STATUS = TicketStatus.CANCELLED


# Views -------------------------------------------------------------------------------


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
    promised: dict[str, float] | None
    actual_wait_minutes: float | None
    appointment_reference: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    token: str | None = None
    site_status: SiteStatus | None = None
    # True: the estimate is the previous state's, served while another worker computes this one.
    stale: bool = False


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    timezone: str
    at: datetime
    action: str
    ticket_id: int | None
    ticket_code: str | None
    from_status: str | None
    to_status: str | None
    station: str | None
    station_id: int | None
    actor: str
    detail: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class StationView:
    id: int
    name: str
    state: str
    services: list[str]
    ticket_code: str | None = None
    ticket_status: str | None = None


@dataclass(frozen=True, slots=True)
class QueueView:
    site_id: int
    timezone: str
    waiting: int
    tickets: list[TicketView]
    stations: list[StationView]
    estimate: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CloseDayResult:
    site_id: int
    timezone: str
    service_day: date
    closed_at: datetime
    closed_by: str
    closed_out: list[TicketView] = field(default_factory=list)


# Shared helpers ----------------------------------------------------------------------


def tz_of(site: Site):
    return schedule.zone(site.timezone)


def service_day(site: Site, now: datetime) -> date:
    return schedule.local_day(now, tz_of(site))


def lock(uow: UnitOfWork, site_id: int) -> Site:
    site = uow.lock_site(site_id)
    if site is None:
        raise NotFound(f"no site {site_id}")
    return site


def lock_free_site(uow: UnitOfWork, site_id: int) -> Site:
    """The site for reading (NotFound when absent)."""
    site = load_site(uow, site_id)
    return site


def ticket_site_id(uow: UnitOfWork, ticket_id: int) -> int:
    """The site of a ticket, read without loading it (NotFound when absent)."""
    site_id = uow.session.scalar(select(Ticket.site_id).where(Ticket.id == ticket_id))
    if site_id is None:
        raise NotFound(f"no ticket {ticket_id}")
    return site_id


def station_site_id(uow: UnitOfWork, station_id: int) -> int:
    site_id = uow.session.scalar(select(Station.site_id).where(Station.id == station_id))
    if site_id is None:
        raise NotFound(f"no station {station_id}")
    return site_id


def site_of_ticket(uow: UnitOfWork, *, ticket_id: int) -> int:
    """Which site a ticket belongs to, for authorisation."""
    with uow:
        return ticket_site_id(uow, ticket_id)


def site_of_station(uow: UnitOfWork, *, station_id: int) -> int:
    with uow:
        return station_site_id(uow, station_id)


def fresh_ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
    """The ticket as committed now (call after the site lock is held)."""
    ticket = uow.session.scalars(
        select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
    ).one_or_none()
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    return ticket


def locked_ticket(uow: UnitOfWork, ticket_id: int, now: datetime) -> tuple[Site, Ticket]:
    site = lock(uow, ticket_site_id(uow, ticket_id))
    expire_overdue_calls(uow, site, now)
    return site, fresh_ticket(uow, ticket_id)


def record(
    uow: UnitOfWork,
    *,
    site_id: int,
    at: datetime,
    action: str,
    actor: str,
    ticket: Ticket | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    station_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> VisitEvent:
    """Append one visit event (never updated, never deleted)."""
    event = VisitEvent(
        site_id=site_id,
        ticket_id=ticket.id if ticket is not None else None,
        appointment_id=ticket.appointment_id if ticket is not None else None,
        station_id=station_id,
        at=at,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        detail=detail,
    )
    uow.session.add(event)
    return event


def apply(
    uow: UnitOfWork,
    ticket: Ticket,
    action: Action,
    *,
    actor: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> TicketStatus:
    """Move `ticket` by `action` (Conflict naming allowed actions otherwise), sync its appointment, record it."""
    before = ticket.status
    after = next_status(before, action)
    ticket.status = after
    if ticket.appointment is not None:
        ticket.appointment.status = APPOINTMENT_STATUS[after]
        ticket.appointment.updated_at = at
    record(
        uow,
        site_id=ticket.site_id,
        at=at,
        action=action.value,
        actor=actor,
        ticket=ticket,
        from_status=before.value,
        to_status=after.value,
        station_id=ticket.station_id,
        detail=detail,
    )
    return after


def expire_overdue_calls(uow: UnitOfWork, site: Site, now: datetime) -> int:
    """Called tickets not started within the site's no-show minutes become no-shows.

    The event is dated when the time ran out, not when this noticed it.
    """
    limit = timedelta(minutes=site.no_show_after_minutes)
    overdue = list(
        uow.session.scalars(
            select(Ticket)
            .where(
                Ticket.site_id == site.id,
                Ticket.status == TicketStatus.CALLED,
                Ticket.called_at <= now - limit,
            )
            .order_by(Ticket.id)
            .execution_options(populate_existing=True)
        )
    )
    for ticket in overdue:
        deadline = ticket.called_at + limit
        apply(
            uow, ticket, Action.NO_SHOW, actor=SYSTEM, at=deadline, detail={"reason": "not started in time"}
        )
        ticket.ended_at = deadline
        ticket.end_reason = f"not started within {site.no_show_after_minutes} minutes of the call"
    if overdue:
        uow.session.flush()
    return len(overdue)


def settle(uow: UnitOfWork, site_id: int, now: datetime) -> None:
    """Before a read: apply overdue no-shows in a short write transaction of their own, if any."""
    with UnitOfWork(uow.database, write=False) as probe:
        # One statement, nothing loaded: most reads find nothing due.
        oldest_call = (
            select(func.min(Ticket.called_at))
            .where(Ticket.site_id == Site.id, Ticket.status == TicketStatus.CALLED)
            .scalar_subquery()
        )
        row = probe.session.execute(
            select(Site.no_show_after_minutes, oldest_call).where(Site.id == site_id)
        ).one_or_none()
    if row is None:
        raise NotFound(f"no site {site_id}")
    no_show_after_minutes, oldest_call_at = row
    if oldest_call_at is None or oldest_call_at > now - timedelta(minutes=no_show_after_minutes):
        return
    with UnitOfWork(uow.database, write=True) as writer:
        expire_overdue_calls(writer, lock(writer, site_id), now)
        writer.commit()


def sweep_all(uow: UnitOfWork, *, now: datetime) -> dict[int, int]:
    """Apply overdue no-shows at every site (the CLI's `queue sweep`): site id -> how many."""
    with uow:
        site_ids = list(uow.session.scalars(select(Site.id).order_by(Site.id)))
    swept = {}
    for site_id in site_ids:
        with UnitOfWork(uow.database, write=True) as writer:
            swept[site_id] = expire_overdue_calls(writer, lock(writer, site_id), now)
            writer.commit()
    return swept


def active_tickets(uow: UnitOfWork, site_id: int) -> list[Ticket]:
    return list(
        uow.session.scalars(
            select(Ticket)
            .where(Ticket.site_id == site_id, Ticket.status.in_([s.value for s in ACTIVE]))
            .order_by(Ticket.id)
            .execution_options(populate_existing=True)
        )
    )


def entry(ticket: Ticket) -> QueueEntry:
    return QueueEntry(
        ticket_id=ticket.id,
        service_code=ticket.service.code,
        joined_at=ticket.joined_at,
        present=ticket.present,
        priority=ticket.priority,
        appointment_at=ticket.policy_appointment_at,
    )


def positions(tickets: list[Ticket], now: datetime) -> dict[int, int]:
    """1-based place of each waiting ticket in the policy's order at `now` (absent remote tickets keep theirs)."""
    waiting = [entry(t) for t in tickets if t.status is TicketStatus.WAITING]
    return {e.ticket_id: index for index, e in enumerate(call_order(waiting, now), start=1)}


def wait_start(ticket: Ticket) -> datetime:
    """When the wait that counts began: joining, or the appointment time when checked in early.

    An appointment checked in on time or early waits from its appointment time
    (being called before it is no wait at all); late beyond the grace minutes,
    it waits from check-in like a walk-in.
    """
    if ticket.policy_appointment_at is not None:
        return max(ticket.joined_at, ticket.policy_appointment_at)
    return ticket.joined_at


def promise(uow: UnitOfWork, ticket: Ticket, now: datetime) -> tuple[dict[str, Any] | None, bool]:
    """The wait range `ticket` can be promised now (waiting tickets only), from the live state; and whether stale.

    The previous state's answer will do while another worker computes this one,
    unless it was made before the ticket joined.
    """
    if ticket.status is not TicketStatus.WAITING:
        return None, False
    uow.session.flush()
    site = uow.session.get(Site, ticket.site_id)
    live = estimates.site_estimates(uow, site, now)
    if live.stale and ticket.id not in live.tickets:
        live = estimates.site_estimates(uow, site, now, stale_ok=False)
    return live.tickets.get(ticket.id), live.stale


@dataclass(frozen=True, slots=True)
class SitePart:
    """What every ticket's view takes from its site at one instant: places in line, estimates and status."""

    site_id: int
    timezone: str
    positions: dict[int, int]
    estimates: dict[int, dict[str, Any]]
    status: SiteStatus
    stale: bool  # the estimates are the previous state's (see `estimates.Estimates`)


def site_part(uow: UnitOfWork, site: Site, now: datetime) -> SitePart:
    uow.session.flush()
    live = estimates.site_estimates(uow, site, now)
    return SitePart(
        site_id=site.id,
        timezone=site.timezone,
        positions=positions(active_tickets(uow, site.id), now),
        estimates=live.tickets,
        status=status_of(uow, site, now),
        stale=live.stale,
    )


def view_with(ticket: Ticket, part: SitePart, *, token: str | None = None) -> TicketView:
    """The ticket's view with its site's part (`site_part`) at the same instant."""
    waiting = ticket.status is TicketStatus.WAITING
    return view(
        ticket,
        part,
        position=part.positions.get(ticket.id) if waiting else None,
        estimate=part.estimates.get(ticket.id) if waiting else None,
        token=token,
        site_status=part.status,
        stale=part.stale,
    )


def view(
    ticket: Ticket,
    site: Site | SitePart,
    *,
    position: int | None = None,
    estimate: dict[str, Any] | None = None,
    token: str | None = None,
    site_status: SiteStatus | None = None,
    stale: bool = False,
) -> TicketView:
    promised = None
    if ticket.promised_p50_minutes is not None:
        promised = {
            "p10_minutes": ticket.promised_p10_minutes,
            "p50_minutes": ticket.promised_p50_minutes,
            "p90_minutes": ticket.promised_p90_minutes,
            "mean_minutes": ticket.promised_mean_minutes,
        }
    return TicketView(
        id=ticket.id,
        site_id=ticket.site_id,
        timezone=site.timezone,
        code=ticket.code,
        kind=ticket.kind.value,
        service=ticket.service.code,
        service_name=ticket.service.name,
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
        station=ticket.station.name if ticket.station is not None else None,
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
) -> TicketView:
    """The ticket's view with its current place in line, the site's status (and its estimate, unless already made).

    `with_estimate=False`: no estimate (one made later, outside the site's lock, completes it).
    """
    uow.session.flush()
    place = (
        positions(active_tickets(uow, site.id), now).get(ticket.id)
        if ticket.status is TicketStatus.WAITING
        else None
    )
    stale = False
    if estimate is None and with_estimate:
        estimate, stale = promise(uow, ticket, now)
    status = status_of(uow, site, now)
    return view(ticket, site, position=place, estimate=estimate, token=token, site_status=status, stale=stale)


def view_committed(uow: UnitOfWork, ticket_id: int, now: datetime, *, token: str | None = None) -> TicketView:
    """The ticket's view after a write committed, read afresh: its estimate is made (or found) outside the lock, shared."""
    with UnitOfWork(uow.database, write=False) as reader:
        ticket = fresh_ticket(reader, ticket_id)
        return view_now(reader, ticket, reader.session.get(Site, ticket.site_id), now, token=token)


# Stations ----------------------------------------------------------------------------

_STATION_ACTIONS = {
    StationState.OPEN: "station_open",
    StationState.PAUSED: "station_pause",
    StationState.CLOSED: "station_close",
}


def set_station_state(
    uow: UnitOfWork, *, station_id: int, state: StationState, actor: str, now: datetime
) -> StationView:
    """Open, pause or close a station. Paused and closed stations are offered no tickets.

    Pausing keeps the patient already called or in service (the station finishes
    them); closing is refused while the station still has one.
    """
    with uow:
        site = lock(uow, station_site_id(uow, station_id))
        expire_overdue_calls(uow, site, now)
        station = uow.session.get(Station, station_id)
        current = _station_ticket(uow, station.id)
        if state is StationState.CLOSED and current is not None:
            raise Conflict(
                f"{station.name} still has {current.code} ({current.status.value}); "
                "complete, mark no-show or requeue it first"
            )
        if station.state is not state:
            record(
                uow,
                site_id=site.id,
                at=now,
                action=_STATION_ACTIONS[state],
                actor=actor,
                from_status=station.state.value,
                to_status=state.value,
                station_id=station.id,
            )
            station.state = state
            station.state_changed_at = now
        uow.commit()
        return _station_view(station, current)


def _station_ticket(uow: UnitOfWork, station_id: int) -> Ticket | None:
    return uow.session.scalars(
        select(Ticket)
        .where(
            Ticket.station_id == station_id,
            Ticket.status.in_([TicketStatus.CALLED.value, TicketStatus.IN_SERVICE.value]),
        )
        .order_by(Ticket.id)
    ).first()


def _station_view(station: Station, ticket: Ticket | None) -> StationView:
    return StationView(
        id=station.id,
        name=station.name,
        state=station.state.value,
        services=sorted(station.skills),
        ticket_code=ticket.code if ticket is not None else None,
        ticket_status=ticket.status.value if ticket is not None else None,
    )


# Calling and serving ------------------------------------------------------------------


def call_next(uow: UnitOfWork, *, station_id: int, actor: str, now: datetime) -> TicketView:
    """The station calls the next ticket by the call policy (NotFound when nobody fits).

    Only tickets that joined by `now` are candidates: a caller whose clock runs a
    little behind another's (the live demo beside the console) never calls a
    patient before they joined.
    """
    with uow:
        site = lock(uow, station_site_id(uow, station_id))
        expire_overdue_calls(uow, site, now)
        station = uow.session.get(Station, station_id)
        _ready_to_call(uow, station)
        tickets = active_tickets(uow, site.id)
        waiting = [entry(t) for t in tickets if t.status is TicketStatus.WAITING and t.joined_at <= now]
        chosen = choose_next(waiting, skills=station.skills, now=now)
        if chosen is None:
            raise NotFound(f"nobody waiting is here for a service {station.name} can do")
        ticket = next(t for t in tickets if t.id == chosen.ticket_id)
        _call(uow, ticket, station, actor=actor, now=now)
        uow.commit()
        return view(ticket, site)


def call_ticket(uow: UnitOfWork, *, ticket_id: int, station_id: int, actor: str, now: datetime) -> TicketView:
    """The station calls a given ticket, out of policy order (staff's choice)."""
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        station = uow.session.get(Station, station_id)
        if station is None or station.site_id != site.id:
            raise InvalidInput("station_id", "no such station at this ticket's site")
        next_status(ticket.status, Action.CALL)
        _ready_to_call(uow, station)
        if ticket.service.code not in station.skills:
            raise Conflict(f"{station.name} cannot do {ticket.service.code}")
        if not ticket.present:
            raise Conflict(
                f"{ticket.code} has not arrived yet; mark it present first",
                allowed=allowed_actions(ticket.status),
            )
        _call(uow, ticket, station, actor=actor, now=now)
        uow.commit()
        return view(ticket, site)


def _ready_to_call(uow: UnitOfWork, station: Station) -> None:
    if station.state is not StationState.OPEN:
        raise Conflict(f"{station.name} is {station.state.value}; open it to call patients")
    current = _station_ticket(uow, station.id)
    if current is not None:
        raise Conflict(
            f"{station.name} still has {current.code} ({current.status.value}); "
            "complete, mark no-show or requeue it first"
        )


def _call(uow: UnitOfWork, ticket: Ticket, station: Station, *, actor: str, now: datetime) -> None:
    ticket.station_id = station.id
    ticket.station = station
    ticket.called_at = now
    ticket.call_count += 1
    if ticket.actual_wait_minutes is None:
        # The wait that came true is the first call's; a requeue does not restart it.
        ticket.actual_wait_minutes = max(0.0, (now - wait_start(ticket)).total_seconds() / 60)
    apply(uow, ticket, Action.CALL, actor=actor, at=now)


def recall(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    """Announce a called ticket again; the no-show clock restarts from now."""
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply(uow, ticket, Action.RECALL, actor=actor, at=now)
        ticket.called_at = now
        ticket.call_count += 1
        uow.commit()
        return view(ticket, site)


def start(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply(uow, ticket, Action.START, actor=actor, at=now)
        ticket.started_at = now
        uow.commit()
        return view(ticket, site)


def complete(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply(uow, ticket, Action.COMPLETE, actor=actor, at=now)
        ticket.completed_at = now
        ticket.ended_at = now
        ticket.end_reason = "served"
        uow.commit()
        return view(ticket, site)


def mark_no_show(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply(uow, ticket, Action.NO_SHOW, actor=actor, at=now)
        ticket.ended_at = now
        ticket.end_reason = "did not come when called"
        uow.commit()
        return view(ticket, site)


def requeue(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    """A called or no-show ticket goes back to waiting, keeping its original place (joined_at)."""
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply(uow, ticket, Action.REQUEUE, actor=actor, at=now, detail={"station_id": ticket.station_id})
        ticket.station_id = None
        ticket.station = None
        ticket.ended_at = None
        ticket.end_reason = None
        ticket.present = True
        uow.commit()
    return view_committed(uow, ticket_id, now)


def cancel(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime, reason: str = "") -> TicketView:
    """Staff take a waiting ticket out of the line, with a reason."""
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply(uow, ticket, Action.CANCEL, actor=actor, at=now, detail={"reason": reason} if reason else None)
        ticket.ended_at = now
        ticket.end_reason = reason or "cancelled by staff"
        uow.commit()
        return view(ticket, site)


def set_priority(uow: UnitOfWork, *, ticket_id: int, priority: bool, actor: str, now: datetime) -> TicketView:
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        apply(uow, ticket, Action.SET_PRIORITY, actor=actor, at=now, detail={"priority": priority})
        ticket.priority = priority
        uow.commit()
    return view_committed(uow, ticket_id, now)


def mark_present(uow: UnitOfWork, *, ticket_id: int, actor: str, now: datetime) -> TicketView:
    """The patient is here: a remote ticket becomes callable, in the place it kept (again: no change)."""
    with uow:
        site, ticket = locked_ticket(uow, ticket_id, now)
        next_status(ticket.status, Action.MARK_PRESENT)
        if not ticket.present:
            apply(uow, ticket, Action.MARK_PRESENT, actor=actor, at=now)
            ticket.present = True
        uow.commit()
    return view_committed(uow, ticket_id, now)


# Closing the day ------------------------------------------------------------------------


def close_day(uow: UnitOfWork, *, site_id: int, reason: str, actor: str, now: datetime) -> CloseDayResult:
    """End the site's day: tickets still waiting or called are closed out as cancelled with
    `reason`, stations close, and no one may join again today. Refused while someone is
    in service (complete them first). Closing again closes out anything left and changes
    nothing else.
    """
    with uow:
        site = lock(uow, site_id)
        expire_overdue_calls(uow, site, now)
        tickets = active_tickets(uow, site_id)
        serving = [t.code for t in tickets if t.status is TicketStatus.IN_SERVICE]
        if serving:
            raise Conflict(f"still in service: {', '.join(serving)}; complete them first")
        closed_out = []
        for ticket in tickets:
            before = ticket.status
            ticket.status = CLOSE_OUT_STATUS
            ticket.ended_at = now
            ticket.end_reason = reason
            if ticket.appointment is not None:
                ticket.appointment.status = APPOINTMENT_STATUS[CLOSE_OUT_STATUS]
                ticket.appointment.updated_at = now
            record(
                uow,
                site_id=site_id,
                at=now,
                action="close_out",
                actor=actor,
                ticket=ticket,
                from_status=before.value,
                to_status=CLOSE_OUT_STATUS.value,
                station_id=ticket.station_id,
                detail={"reason": reason},
            )
            closed_out.append(ticket)
        for station in site.stations:
            if station.state is not StationState.CLOSED:
                record(
                    uow,
                    site_id=site_id,
                    at=now,
                    action="station_close",
                    actor=actor,
                    from_status=station.state.value,
                    to_status=StationState.CLOSED.value,
                    station_id=station.id,
                )
                station.state = StationState.CLOSED
                station.state_changed_at = now
        day = service_day(site, now)
        site_day = uow.session.get(SiteDay, (site_id, day))
        if site_day is None:
            site_day = SiteDay(site_id=site_id, service_day=day, closed_at=now, closed_by=actor)
            uow.session.add(site_day)
            record(
                uow,
                site_id=site_id,
                at=now,
                action="close_day",
                actor=actor,
                detail={"reason": reason, "closed_out": len(closed_out)},
            )
        uow.commit()
        return CloseDayResult(
            site_id=site_id,
            timezone=site.timezone,
            service_day=day,
            closed_at=site_day.closed_at,
            closed_by=site_day.closed_by,
            closed_out=[view(t, site) for t in closed_out],
        )


# Reading -----------------------------------------------------------------------------


def list_queue(uow: UnitOfWork, *, site_id: int, now: datetime) -> QueueView:
    """The site's live queue for staff: active tickets in policy order with positions, and stations."""
    settle(uow, site_id, now)
    with uow:
        site = uow.session.get(Site, site_id)
        tickets = active_tickets(uow, site_id)
        places = positions(tickets, now)
        ordered = sorted(tickets, key=lambda t: (places.get(t.id, 0), t.called_at or t.joined_at, t.id))
        by_station = {
            t.station_id: t
            for t in tickets
            if t.station_id is not None and t.status is not TicketStatus.WAITING
        }
        live = estimates.site_estimates(uow, site, now)
        return QueueView(
            site_id=site_id,
            timezone=site.timezone,
            waiting=len(places),
            tickets=[
                view(t, site, position=places.get(t.id), estimate=live.tickets.get(t.id)) for t in ordered
            ],
            stations=[_station_view(s, by_station.get(s.id)) for s in site.stations],
            estimate=estimates.headline(live, site),
        )


def ticket_events(uow: UnitOfWork, *, ticket_id: int, now: datetime) -> list[EventView]:
    with uow:
        site_id = ticket_site_id(uow, ticket_id)
    settle(uow, site_id, now)
    with uow:
        site = uow.session.get(Site, site_id)
        return _events(uow, site, VisitEvent.ticket_id == ticket_id)


def day_events(uow: UnitOfWork, *, site_id: int, day: date | None, now: datetime) -> list[EventView]:
    """Every event at the site on a local day (default today), in order."""
    settle(uow, site_id, now)
    with uow:
        site = uow.session.get(Site, site_id)
        tz = tz_of(site)
        day = day or schedule.local_day(now, tz)
        start = schedule.local_instant(day, time(0), tz)
        end = schedule.local_instant(day + timedelta(days=1), time(0), tz)
        return _events(uow, site, VisitEvent.site_id == site_id, VisitEvent.at >= start, VisitEvent.at < end)


def _events(uow: UnitOfWork, site: Site, *conditions) -> list[EventView]:
    rows = uow.session.execute(
        select(VisitEvent, Ticket.code, Station.name)
        .outerjoin(Ticket, Ticket.id == VisitEvent.ticket_id)
        .outerjoin(Station, Station.id == VisitEvent.station_id)
        .where(*conditions)
        .order_by(VisitEvent.at, VisitEvent.id)
    )
    return [
        EventView(
            id=event.id,
            timezone=site.timezone,
            at=event.at,
            action=event.action,
            ticket_id=event.ticket_id,
            ticket_code=code,
            from_status=event.from_status,
            to_status=event.to_status,
            station=station_name,
            station_id=event.station_id,
            actor=event.actor,
            detail=event.detail,
        )
        for event, code, station_name in rows
    ]
