"""A site's live estimates: every waiting ticket and a newcomer of each walk-in service, once per state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from schedq import estimator
from schedq.db.models import Service, Site
from schedq.db.uow import UnitOfWork
from schedq.domain.site_status import SiteStatus
from schedq.services.estimates.models import current_model
from schedq.services.estimates.snapshot import build_snapshot
from schedq.services.estimates.states import resolution, shared, site_state
from schedq.services.estimates.views import estimate_view
from schedq.services.sites import status_of

REPLICATIONS = 1000


@dataclass(frozen=True, slots=True)
class Estimates:
    """A site's estimates at one instant, ready to show."""

    site_id: int
    at: datetime
    tickets: dict[int, dict[str, Any]]
    newcomer: dict[str, dict[str, Any]]
    people_waiting: int
    stations_open: int
    status: SiteStatus
    # True: the previous state's answer, `age_seconds` old, served while another worker computes this one.
    stale: bool = False
    age_seconds: float = 0.0

    @property
    def served_age_seconds(self) -> float:
        """The age the API states: 0 for this state's answer, else how long ago the previous state's was computed."""
        return round(self.age_seconds, 1) if self.stale else 0.0


def compute_site_estimates(
    uow: UnitOfWork, site: Site, at: datetime, *, replications: int = REPLICATIONS
) -> dict[str, Any]:
    """Run the estimator on the site's state at `at`: every waiting ticket and a newcomer of each walk-in service."""
    snapshot = build_snapshot(uow, site, at)
    model = current_model(uow, site)
    walk_in_codes = sorted(
        {code for station in site.stations for code in station.skills}
        & {s.code for s in uow.session.scalars(select(Service).where(Service.walk_in_allowed.is_(True)))}
    )
    result = estimator.estimate(
        snapshot, model, replications=replications, seed=site.id, newcomer_services=walk_in_codes
    )
    status = status_of(uow, site, at)
    return {
        "at": at,
        "tickets": {
            str(ticket_id): estimate_view(wait, status=status) for ticket_id, wait in result.tickets.items()
        },
        "newcomer": {
            code: estimate_view(wait, newcomer=True, status=status) for code, wait in result.newcomer.items()
        },
        "people_waiting": result.people_waiting,
        "stations_open": result.stations_open,
    }


def site_estimates(
    uow: UnitOfWork,
    site: Site,
    now: datetime,
    *,
    replications: int = REPLICATIONS,
    stale_ok: bool = True,
) -> Estimates:
    """Estimates for every waiting ticket and for a newcomer of each walk-in service, inside `uow`.

    Computed once per state (site version, model, 15-second instant) for every
    worker. `stale_ok`: while another worker computes a new state, the
    previous state's answer will do (its age is given).
    """
    at = resolution(now)
    stored = shared(
        uow,
        site_id=site.id,
        kind=f"site/{replications}",
        state=site_state(uow, site.id, at),
        compute=lambda: compute_site_estimates(uow, site, at, replications=replications),
        now=now,
        stale_ok=stale_ok,
    )
    payload = stored.payload
    return Estimates(
        site_id=site.id,
        at=payload["at"],
        tickets={int(ticket_id): view for ticket_id, view in payload["tickets"].items()},
        newcomer=payload["newcomer"],
        people_waiting=payload["people_waiting"],
        stations_open=payload["stations_open"],
        status=status_of(uow, site, at),
        stale=not stored.fresh,
        age_seconds=stored.age_seconds(now),
    )
