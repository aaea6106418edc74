"""Small builders for estimator tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schedq.estimator import (
    FittedModel,
    InService,
    ServiceTimeModel,
    SiteSnapshot,
    StationState,
    WaitingTicket,
)

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)
DRAW = frozenset({"DRAW"})


def minutes(m: float) -> timedelta:
    return timedelta(minutes=m)


def busy(
    station_id: str, elapsed_minutes: float = 0.0, skills: frozenset[str] = DRAW, service: str = "DRAW"
) -> StationState:
    return StationState(station_id, skills, InService(9000, service, NOW - minutes(elapsed_minutes)))


def idle(station_id: str, skills: frozenset[str] = DRAW) -> StationState:
    return StationState(station_id, skills, None)


def walk_in(ticket_id: int, joined_minutes_ago: float, service: str = "DRAW", **kw) -> WaitingTicket:
    return WaitingTicket(ticket_id, service, "walk_in", NOW - minutes(joined_minutes_ago), **kw)


def line(n: int, service: str = "DRAW") -> list[WaitingTicket]:
    """n walk-ins, ticket 1 first in line."""
    return [walk_in(i + 1, 60 - i, service) for i in range(n)]


def snapshot(stations, waiting, **kw) -> SiteSnapshot:
    return SiteSnapshot(now=NOW, stations=stations, waiting=waiting, **kw)


def exponential_model(mean_minutes: float, services=("DRAW",)) -> FittedModel:
    return FittedModel(services={s: ServiceTimeModel.exponential(mean_minutes) for s in services})


def lognormal_model(defaults: dict[str, float] | None = None, cv: float = 0.4) -> FittedModel:
    return FittedModel.from_defaults(defaults or {"DRAW": 8.0}, cv)
