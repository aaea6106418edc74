"""Walk-in-only days simulated by Ciw, a queueing library schedq did not write.

Ciw plays an M(t)/G/c day: Poisson arrivals with a rate per interval
(`ciw.dists.PoissonIntervals`), lognormal service (`ciw.dists.Lognormal`),
`servers` identical stations, first come first served, arrivals stop at
closing and the line is served out. At each arrival the estimator gets a
`SiteSnapshot` of Ciw's state at that instant — who is in service at which
server since when, who waits since when — built from Ciw's own records using
only what had happened by then; its prediction is compared with Ciw's
realised `waiting_time`.

Ciw seeds its own global random state (`ciw.seed`); that is the one global
seeded here, for Ciw's sake.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from schedq import estimator

SERVICE = "DRAW"


@dataclass(frozen=True, slots=True)
class CiwSite:
    """A walk-in-only site for Ciw: times are minutes after opening."""

    name: str
    servers: int
    open_minutes: float
    rate_endpoints: tuple[float, ...]  # end of each arrival interval, minutes after opening
    rates_per_hour: tuple[float, ...]
    mean_service_minutes: float
    service_cv: float
    default_minutes: float = 8.0

    @property
    def lognormal(self) -> tuple[float, float]:
        """(mu, sigma) of log service minutes."""
        sigma2 = math.log1p(self.service_cv**2)
        return math.log(self.mean_service_minutes) - sigma2 / 2, math.sqrt(sigma2)

    def true_model(self) -> estimator.FittedModel:
        mu, sigma = self.lognormal
        return estimator.FittedModel(
            services={SERVICE: estimator.ServiceTimeModel(mu, sigma)}, walk_in_service_mix={SERVICE: 1.0}
        )

    def rate_per_hour_at(self, minute: float) -> float:
        for end, rate in zip(self.rate_endpoints, self.rates_per_hour):
            if minute < end:
                return rate
        return 0.0


@dataclass(frozen=True, slots=True)
class CiwVisit:
    """One Ciw customer: arrival, service start and end (minutes after opening) and server."""

    customer_id: int
    arrival: float
    service_start: float
    service_end: float
    server_id: int
    waiting_time: float


def simulate_day(site: CiwSite, *, seed: int) -> list[CiwVisit]:
    """One day of `site` in Ciw, every customer served; visits in arrival order."""
    import ciw

    mu, sigma = site.lognormal
    ciw.seed(seed)  # before the network: PoissonIntervals draws its arrival dates when built
    network = ciw.create_network(
        arrival_distributions=[
            ciw.dists.PoissonIntervals(
                rates=[r / 60.0 for r in site.rates_per_hour],
                endpoints=list(site.rate_endpoints),
                max_sample_date=site.open_minutes,
            )
        ],
        service_distributions=[ciw.dists.Lognormal(mu, sigma)],
        number_of_servers=[site.servers],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(site.open_minutes + 24 * 60)
    records = simulation.get_all_records()
    visits = [
        CiwVisit(
            r.id_number, r.arrival_date, r.service_start_date, r.service_end_date, r.server_id, r.waiting_time
        )
        for r in records
    ]
    return sorted(visits, key=lambda v: (v.arrival, v.customer_id))


def _at(opens_at: datetime, minute: float) -> datetime:
    return opens_at + timedelta(minutes=minute)


def snapshot_at_arrival(
    site: CiwSite, visits: list[CiwVisit], index: int, *, opens_at: datetime
) -> estimator.SiteSnapshot:
    """The state Ciw was in when `visits[index]` arrived, as the estimator's snapshot.

    Uses only what had happened by then: arrivals up to that instant and
    services started by then (with their start times), never end times or
    later starts.
    """
    me = visits[index]
    t = me.arrival
    busy: dict[int, estimator.InService] = {}
    waiting = []
    for other in visits:
        if other.arrival > t or (other.arrival == t and other.customer_id > me.customer_id):
            continue
        if other is not me and other.service_start <= t < other.service_end:
            busy[other.server_id] = estimator.InService(
                other.customer_id, SERVICE, _at(opens_at, other.service_start)
            )
        elif other is me or other.service_start > t:
            waiting.append(
                estimator.WaitingTicket(other.customer_id, SERVICE, "walk_in", _at(opens_at, other.arrival))
            )
    stations = tuple(
        estimator.StationState(server, frozenset({SERVICE}), busy.get(server))
        for server in range(1, site.servers + 1)
    )
    closes_at = _at(opens_at, site.open_minutes)
    return estimator.SiteSnapshot(
        now=_at(opens_at, t),
        stations=stations,
        waiting=tuple(waiting),
        closes_at=closes_at,
        staffing=(estimator.StaffingBlock(opens_at, closes_at, site.servers),),
    )


def visit_records(visits: list[CiwVisit], *, opens_at: datetime) -> list[estimator.VisitRecord]:
    """Ciw's customers as the history `estimator.fit` learns from."""
    return [
        estimator.VisitRecord(
            service_code=SERVICE,
            kind="walk_in",
            joined_at=_at(opens_at, v.arrival),
            called_at=_at(opens_at, v.service_start),
            started_at=_at(opens_at, v.service_start),
            completed_at=_at(opens_at, v.service_end),
        )
        for v in visits
    ]
