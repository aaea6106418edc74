"""The peer predictors schedq's estimate is benchmarked against.

Pure functions over the same snapshot and model (or over the history values
they need, passed in): what most queue systems and sites show today.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from schedq.domain.policy import QueueEntry, rank

from .model import FittedModel
from .snapshot import SiteSnapshot, WaitingTicket

_NEWCOMER_ID = 2**63 - 1


def _entry(ticket: WaitingTicket) -> QueueEntry:
    return QueueEntry(
        ticket_id=ticket.ticket_id,
        service_code=ticket.service_code,
        joined_at=ticket.joined_at,
        present=ticket.present,
        priority=ticket.priority,
        appointment_at=ticket.appointment_at,
    )


def people_ahead(
    snapshot: SiteSnapshot, *, ticket_id: int | None = None, newcomer_at: datetime | None = None
) -> int:
    """Waiting tickets the call policy ranks ahead of `ticket_id`, or of a walk-in joining at `newcomer_at`."""
    now = snapshot.now
    waiting = [t for t in snapshot.waiting if t.ticket_id not in snapshot.called_ticket_ids]
    if ticket_id is not None:
        target = next(t for t in waiting if t.ticket_id == ticket_id)
        mine = rank(_entry(target), now)
    else:
        mine = rank(QueueEntry(ticket_id=_NEWCOMER_ID, service_code="", joined_at=newcomer_at or now), now)
    return sum(1 for t in waiting if rank(_entry(t), now) < mine)


def position_times_mean(
    snapshot: SiteSnapshot,
    model: FittedModel,
    *,
    ticket_id: int | None = None,
    newcomer_service: str | None = None,
) -> float:
    """People ahead × site-average service time ÷ open stations (minutes); inf with no station open.

    Pass `ticket_id` for a waiting ticket or `newcomer_service` for a walk-in
    joining now (the service does not change the naive figure, which ignores
    skills). The average service time is the model's, weighted by walk-in mix.
    """
    if (ticket_id is None) == (newcomer_service is None):
        raise ValueError("pass exactly one of ticket_id and newcomer_service")
    stations = len(snapshot.stations)
    if stations == 0:
        return math.inf
    ahead = people_ahead(snapshot, ticket_id=ticket_id)
    return ahead * model.mean_service_minutes() / stations


def erlang_c_probability(offered_load: float, servers: int) -> float:
    """Probability an arrival has to wait in an M/M/c queue (Erlang C); 1 when unstable."""
    if servers <= 0 or offered_load >= servers:
        return 1.0
    if offered_load <= 0:
        return 0.0
    # Erlang B by its stable recursion, then C from B.
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    rho = offered_load / servers
    return b / (1.0 - rho + rho * b)


def erlang_c_mean(arrival_rate_per_min: float, mean_service_min: float, servers: int) -> float:
    """Steady-state mean wait in queue (minutes) of M/M/c; inf when arrivals outpace service."""
    if servers <= 0:
        return math.inf
    load = arrival_rate_per_min * mean_service_min
    if load >= servers:
        return math.inf
    service_rate = 1.0 / mean_service_min
    return erlang_c_probability(load, servers) / (servers * service_rate - arrival_rate_per_min)


def last_called_wait(last_called_wait_minutes: float | None) -> float | None:
    """The "current wait" boards show: the wait of the patient called last (None before any call)."""
    return last_called_wait_minutes


def past_waits_mean(past_waits_minutes: Sequence[float]) -> float | None:
    """The average of past waits (e.g. the same half hour on past days); None without history."""
    if not past_waits_minutes:
        return None
    return math.fsum(past_waits_minutes) / len(past_waits_minutes)
