"""The lobby display feed: who is called to which station, recent calls, how many wait.

Codes and station names only: no names, phones, emails or references; and the
display's own settings (its languages, and whether it chimes and speaks on a
call), so a screen follows a change of them by itself. Built from the database and the shared estimate, so every worker and host shows the
same thing; the API names what it would show first (`services.public`), so an
unchanged screen is answered 304, or from the worker's copy, before anything
is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import select

from schedq.db.models import DISPLAY_LANGUAGES, Site, Station, Ticket, VisitEvent
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import DisplayAnnounce, StationState, TicketStatus
from schedq.domain.site_status import SiteStatus
from schedq.domain.tickets import ACTIVE, Action
from schedq.services.estimates.live import site_estimates
from schedq.services.estimates.views import headline
from schedq.services.queue import no_shows
from schedq.services.sites import site_to_read

RECENT_CALLS = 10


@dataclass(frozen=True, slots=True)
class CalledView:
    code: str
    station: str
    status: str
    called_at: datetime
    timezone: str
    station_names: dict[str, str] = field(default_factory=dict)  # by display language, for the announcement


@dataclass(frozen=True, slots=True)
class RecentCallView:
    code: str
    station: str
    action: str
    at: datetime
    timezone: str


@dataclass(frozen=True, slots=True)
class DisplayFeed:
    site_id: int
    site_name: str
    timezone: str
    now_called: list[CalledView]
    in_service: list[CalledView]
    recent_calls: list[RecentCallView]
    waiting: int
    waiting_here: int
    stations_open: list[str]
    status: SiteStatus | None = None
    estimate: dict[str, Any] | None = None
    stale: bool = False  # the estimate is the previous state's (see `estimates.live.Estimates`)
    estimate_as_of: datetime | None = None  # the instant the estimate was made for
    estimate_age_seconds: float = 0.0  # `estimates.live.Estimates.served_age_seconds`
    display_languages: list[str] = field(default_factory=lambda: list(DISPLAY_LANGUAGES))
    display_announce: str = DisplayAnnounce.OFF.value


def _start_of_day(site: Site, now: datetime) -> datetime:
    tz = schedule.zone(site.timezone)
    return schedule.local_instant(schedule.local_day(now, tz), time(0), tz)


def display_feed(
    uow: UnitOfWork, *, site_id: int, now: datetime, settled: bool = False, language: str = "en"
) -> DisplayFeed:
    """The feed at `now`, stations named in `language`. `settled`: overdue calls were just seen to."""
    if not settled:
        no_shows.settle(uow, site_id, now)
    with uow:
        site = site_to_read(uow, site_id)
        # Columns, not tickets: the feed shows codes, stations and counts.
        tickets = uow.session.execute(
            select(Ticket.id, Ticket.code, Ticket.status, Ticket.station_id, Ticket.called_at, Ticket.present)
            .where(Ticket.site_id == site_id, Ticket.status.in_([s.value for s in ACTIVE]))
            .order_by(Ticket.id)
        ).all()
        stations = {s.id: s.name_in(language) for s in site.stations}
        spoken = {s.id: {lang: s.name_in(lang) for lang in site.display_languages} for s in site.stations}

        def called(status: TicketStatus) -> list[CalledView]:
            rows = sorted(
                (t for t in tickets if t.status is status), key=lambda t: (t.called_at, t.id), reverse=True
            )
            shown = []
            for t in rows:
                # A called or in-service ticket always has its station and its call time.
                assert t.station_id is not None and t.called_at is not None
                shown.append(
                    CalledView(
                        t.code,
                        stations[t.station_id],
                        t.status.value,
                        t.called_at,
                        site.timezone,
                        spoken[t.station_id],
                    )
                )
            return shown

        recent = uow.session.execute(
            select(VisitEvent.action, VisitEvent.at, Ticket.code, Station.id)
            .join(Ticket, Ticket.id == VisitEvent.ticket_id)
            .join(Station, Station.id == VisitEvent.station_id)
            .where(
                VisitEvent.site_id == site_id,
                VisitEvent.action.in_([Action.CALL.value, Action.RECALL.value]),
                VisitEvent.at >= _start_of_day(site, now),
            )
            .order_by(VisitEvent.at.desc(), VisitEvent.id.desc())
            .limit(RECENT_CALLS)
        )
        waiting = [t for t in tickets if t.status is TicketStatus.WAITING]
        live = site_estimates(uow, site, now)
        return DisplayFeed(
            site_id=site.id,
            site_name=site.name,
            timezone=site.timezone,
            now_called=called(TicketStatus.CALLED),
            in_service=called(TicketStatus.IN_SERVICE),
            recent_calls=[
                RecentCallView(code, stations[station_id], action, at, site.timezone)
                for action, at, code, station_id in recent
            ],
            waiting=len(waiting),
            waiting_here=sum(1 for t in waiting if t.present),
            stations_open=[stations[s.id] for s in site.stations if s.state is StationState.OPEN],
            status=live.status,
            estimate=headline(live, site),
            stale=live.stale,
            estimate_as_of=live.at,
            estimate_age_seconds=live.served_age_seconds,
            display_languages=list(site.display_languages),
            display_announce=DisplayAnnounce(site.display_announce).value,
        )
