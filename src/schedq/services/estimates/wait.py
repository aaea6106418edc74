"""The public wait of a site: what a patient deciding whether to come now needs (no personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from schedq.db.models import Service
from schedq.db.uow import UnitOfWork
from schedq.domain.site_status import SiteStatus
from schedq.services.estimates.live import site_estimates
from schedq.services.estimates.views import for_newcomers
from schedq.services.sites import site_to_read


@dataclass(frozen=True, slots=True)
class WaitSummary:
    """What a patient deciding whether to come now needs: the public wait of a site."""

    site_id: int
    site_name: str
    timezone: str
    at: datetime
    status: SiteStatus
    walk_ins_open: bool
    walk_ins_message: dict[str, str] | None
    people_waiting: int
    stations_open: int
    services: list[dict[str, Any]]
    stale: bool = False  # built from the previous state's estimate (see `Estimates`)
    estimate_as_of: datetime | None = None  # the instant the estimates were made for
    estimate_age_seconds: float = 0.0  # `Estimates.served_age_seconds`


def wait_summary(uow: UnitOfWork, *, site_id: int, now: datetime, language: str = "en") -> WaitSummary:
    """The newcomer range per walk-in service (named in `language`), people waiting and stations open."""
    with uow:
        site = site_to_read(uow, site_id)
        estimates = site_estimates(uow, site, now)
        status = estimates.status
        names = {service.code: service.name_in(language) for service in uow.session.scalars(select(Service))}
        return WaitSummary(
            site_id=site.id,
            site_name=site.name,
            timezone=site.timezone,
            at=estimates.at,
            status=status,
            walk_ins_open=status.walk_ins_accepted,
            walk_ins_message=None if status.walk_ins_accepted else dict(status.messages),
            people_waiting=estimates.people_waiting,
            stations_open=estimates.stations_open,
            services=[
                {
                    "service": code,
                    "service_name": names.get(code, code),
                    "estimate": for_newcomers(view, status),
                }
                for code, view in sorted(estimates.newcomer.items())
            ],
            stale=estimates.stale,
            estimate_as_of=estimates.at,
            estimate_age_seconds=estimates.served_age_seconds,
        )
