"""Public reads' state: what a wait, display feed, best times or ticket read shows, named in one statement.

Before a public read builds anything, the API names the state it would show
(README, "Shared estimates and caching"): the site's `state_version`, its
model's `fitted_at` and the instant. That name is the ETag, and the key under
which each worker keeps the answer it built (`api/caching.py`), so a read of an
unchanged state costs this one statement and no more. The same statement says
whether anything is due first: a model missing or older than the maximum age
(refitted once, by one worker) or a call past its no-show time (settled in a
short write of its own); only then is the state named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from schedq.db.models import EstimatorModelRecord, Feedback, Site, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import TicketStatus
from schedq.domain.errors import NotFound
from schedq.services.estimates.best_times import best_times_instant
from schedq.services.estimates.models import fresh_model
from schedq.services.estimates.states import resolution, state_name
from schedq.services.queue import no_shows

MakeUow = Callable[..., UnitOfWork]


@dataclass(frozen=True, slots=True)
class SiteLook:
    """What one statement tells of a site: its version, its model's age and its oldest open call."""

    version: int
    fitted_at: datetime | None
    no_show_after_minutes: int
    oldest_call_at: datetime | None

    def model_stale(self, now: datetime, max_age: timedelta) -> bool:
        return self.fitted_at is None or now - self.fitted_at > max_age

    def call_overdue(self, now: datetime) -> bool:
        return self.oldest_call_at is not None and self.oldest_call_at <= now - timedelta(
            minutes=self.no_show_after_minutes
        )


def _look_columns() -> tuple:
    oldest_call = (
        select(func.min(Ticket.called_at))
        .where(Ticket.site_id == Site.id, Ticket.status == TicketStatus.CALLED)
        .scalar_subquery()
    )
    return Site.state_version, EstimatorModelRecord.fitted_at, Site.no_show_after_minutes, oldest_call


# Built once: building a statement costs more than running this one.
_SITE_LOOK = (
    select(*_look_columns())
    .outerjoin(EstimatorModelRecord, EstimatorModelRecord.site_id == Site.id)
    .where(Site.id == bindparam("site_id"))
)
_TICKET = aliased(Ticket)
_RATED = select(Feedback.id).where(Feedback.ticket_id == _TICKET.id).exists()
_TICKET_LOOK = (
    select(_TICKET.token_nonce, _TICKET.site_id, *_look_columns(), _RATED)
    .select_from(_TICKET)
    .join(Site, Site.id == _TICKET.site_id)
    .outerjoin(EstimatorModelRecord, EstimatorModelRecord.site_id == Site.id)
    .where(_TICKET.id == bindparam("ticket_id"))
)


def look(uow: UnitOfWork, site_id: int) -> SiteLook:
    """The site's look, in one statement and without loading it (NotFound when absent)."""
    row = uow.session.execute(_SITE_LOOK, {"site_id": site_id}).one_or_none()
    if row is None:
        raise NotFound(f"no site {site_id}")
    return SiteLook(*row)


@dataclass(frozen=True, slots=True)
class TicketLook:
    """A ticket's token nonce and site, whether its patient rated the visit, and its site's look, from one statement."""

    token_nonce: str
    site_id: int
    rated: bool  # feedback was given (no part of the site's state, so the ticket's answer names it itself)
    site: SiteLook


def ticket_look(uow: UnitOfWork, ticket_id: int) -> TicketLook:
    """The ticket's look (NotFound when absent)."""
    row = uow.session.execute(_TICKET_LOOK, {"ticket_id": ticket_id}).one_or_none()
    if row is None:
        raise NotFound(f"no ticket {ticket_id}")
    return TicketLook(row[0], row[1], bool(row[-1]), SiteLook(*row[2:-1]))


def site_read_state(
    make_uow: MakeUow,
    *,
    site_id: int,
    now: datetime,
    max_model_age_hours: int,
    best_times: bool = False,
    seen: SiteLook | None = None,
) -> str:
    """The name of the state a public read of the site shows now, once the model and overdue calls are seen to.

    `best_times`: the name best times are made under (no version; the instant
    rounded to `best_times.BEST_TIME_RESOLUTION`). `seen`: the site's look, when
    the caller has just read it.
    """
    if seen is None:
        with make_uow(write=False) as uow:
            seen = look(uow, site_id)
    if seen.model_stale(now, timedelta(hours=max_model_age_hours)):
        fresh_model(make_uow, site_id=site_id, now=now, max_age_hours=max_model_age_hours)
        seen = None
    if seen is None or seen.call_overdue(now):
        no_shows.settle(make_uow(write=False), site_id, now)
        with make_uow(write=False) as uow:
            seen = look(uow, site_id)
    if best_times:
        return state_name(seen.version, seen.fitted_at, best_times_instant(now), False)
    return state_name(seen.version, seen.fitted_at, resolution(now))
