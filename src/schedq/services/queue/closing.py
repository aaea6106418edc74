"""Closing the site's day: what is still in line is closed out, stations close, nobody joins again today."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from schedq.db.models import SiteDay
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import StationState, TicketStatus
from schedq.domain.errors import Conflict
from schedq.domain.tickets import APPOINTMENT_STATUS
from schedq.services.queue.line import active_tickets
from schedq.services.queue.no_shows import expire_overdue_calls
from schedq.services.queue.views import TicketView, ticket_view
from schedq.services.queue.visit_log import record_event
from schedq.services.sites import lock_site, service_day

CLOSE_OUT_STATUS = TicketStatus.CANCELLED


@dataclass(frozen=True, slots=True)
class CloseDayResult:
    site_id: int
    timezone: str
    service_day: date
    closed_at: datetime
    closed_by: str
    closed_out: list[TicketView] = field(default_factory=list)


def close_day(uow: UnitOfWork, *, site_id: int, reason: str, actor: str, now: datetime) -> CloseDayResult:
    """End the site's day: tickets still waiting or called are closed out as cancelled with
    `reason`, stations close, and no one may join again today. Refused while someone is
    in service (complete them first). Closing again closes out anything left and changes
    nothing else.
    """
    with uow:
        site = lock_site(uow, site_id)
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
            record_event(
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
                record_event(
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
            record_event(
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
            closed_out=[ticket_view(t, site) for t in closed_out],
        )
