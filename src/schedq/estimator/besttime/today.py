"""Today from the live snapshot: its waiting tickets as columns, the stations open now and when each frees."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from schedq.domain.policy import QueueEntry, rank

from .._normal import normal_above
from ..model import FittedModel
from ..montecarlo import (
    DEFAULT_TRAVEL_MINUTES,
    MIN_TRAVEL_SD_MINUTES,
    TRAVEL_SD_FRACTION,
    remaining_service,
    station_plan,
)
from ..snapshot import SiteSnapshot
from .keys import TIE_MINUTES, minutes_after, policy_key
from .plan import DayPlan

_INF = math.inf


def live_state(
    snapshot: SiteSnapshot,
    day: DayPlan,
    model: FittedModel,
    codes: dict[str, int],
    r: int,
    rng: np.random.Generator,
    known: set[str],
) -> tuple[tuple[np.ndarray, ...], list[frozenset[str]], list[tuple[tuple[float, float], ...]], np.ndarray]:
    """Today's waiting tickets as columns, the station slots from the live stations, first free times."""
    now = snapshot.now
    waiting = [t for t in snapshot.waiting if t.ticket_id not in snapshot.called_ticket_ids]
    entries = [
        QueueEntry(
            ticket_id=t.ticket_id,
            service_code=t.service_code,
            joined_at=t.joined_at,
            priority=t.priority,
            appointment_at=t.appointment_at,
        )
        for t in waiting
    ]
    before = [rank(e, now) for e in entries]
    order = {k: i for i, k in enumerate(sorted(before))}  # ties on the instant break on the rank tuple
    n = len(waiting)
    arrival, kb, kd, due = (np.zeros((r, n)) for _ in range(4))
    code = np.empty((r, n), dtype=np.intp)
    for j, (t, e, k) in enumerate(zip(waiting, entries, before)):
        kb[:, j] = policy_key(k, now) + order[k] * TIE_MINUTES
        if t.appointment_at is not None and t.appointment_at > now:
            kd[:, j] = policy_key(rank(e, t.appointment_at), now)
            due[:, j] = minutes_after(t.appointment_at, now)
        else:
            kd[:, j] = kb[:, j]
            due[:, j] = _INF
        code[:, j] = codes[t.service_code]
        if not t.present:
            expected = (
                minutes_after(t.expected_arrival_at, now)
                if t.expected_arrival_at is not None
                else DEFAULT_TRAVEL_MINUTES
            )
            travel_sd = max(MIN_TRAVEL_SD_MINUTES, TRAVEL_SD_FRACTION * max(expected, 0.0))
            arrival[:, j] = normal_above(expected, travel_sd, 0.0, rng.random(r))
    staffed = replace(
        snapshot,
        staffing=tuple(day.staffing) or tuple(snapshot.staffing),
        opening_intervals=snapshot.opening_intervals
        if snapshot.opening_intervals is not None
        else tuple(day.opening_intervals),
    )
    plan = station_plan(staffed, known)
    free = np.zeros((r, len(plan.skills)))
    for j, station in enumerate(plan.current):
        u = rng.random(r)
        if station.busy_with is not None:
            elapsed = max(minutes_after(now, station.busy_with.started_at), 0.0)
            free[:, j] = remaining_service(model.service_model(station.busy_with.service_code), elapsed, u)
    return (arrival, kb, kd, due, code), list(plan.skills), list(plan.open_intervals), free
