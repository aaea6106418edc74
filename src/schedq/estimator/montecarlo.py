"""Forward Monte Carlo of the call policy from a site snapshot.

Draws and ranks are built here with numpy, as arrays of shape replications x
tickets; `policy_kernel.run_policy` (compiled) then plays the policy in each
replication: the station that frees up first acts; inside one of its planned
open periods it calls the best eligible ticket by the call policy, or idles
until the next ticket it could serve arrives. Times are minutes after `now`.

The policy order is `schedq.domain.policy.rank`, used directly: every ticket's
rank tuple (before and after its appointment falls due) is computed with
`rank` and turned into a float ordinal, so the simulation compares exactly the
keys the live `choose_next` compares. The only rank that depends on a random
draw, an upcoming appointment checked in beyond the grace minutes (walk-in
tier at its random check-in time, `is_late_check_in`), is placed between the
ordinal of a walk-in joining at `now` and the next ordinal, in arrival order.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from schedq.domain.policy import QueueEntry, rank

from ._normal import normal_above, norm_sf
from .model import FittedModel, ServiceTimeModel
from .policy_kernel import PolicyInputs, run_policy
from .result import SiteEstimate, WaitEstimate
from .snapshot import SiteSnapshot, StationState, WaitingTicket

DEFAULT_TRAVEL_MINUTES = 15.0
"""Assumed travel time of a remote ticket with no expected arrival."""

MIN_TRAVEL_SD_MINUTES = 3.0
TRAVEL_SD_FRACTION = 0.25
"""A remote patient's arrival is N(expected, sd) with sd = max(3, 0.25 x minutes to go), after now."""

_GHOST_ID = sys.maxsize
_INF = math.inf


def _minutes(t: datetime, now: datetime) -> float:
    return (t - now).total_seconds() / 60.0


@dataclass(frozen=True, slots=True)
class StationPlan:
    """Station slots (most skilled first, then added ones) and when each is open."""

    skills: tuple[frozenset[str], ...]
    open_intervals: tuple[tuple[tuple[float, float], ...], ...]
    current: tuple[StationState, ...]

    def can_ever_serve(self, service_code: str) -> bool:
        return any(
            service_code in skills and intervals
            for skills, intervals in zip(self.skills, self.open_intervals)
        )


def station_plan(snapshot: SiteSnapshot, known_services: Iterable[str]) -> StationPlan:
    """Turn open stations and the capacity plan into slots with open intervals (minutes after now)."""
    now = snapshot.now
    current = tuple(sorted(snapshot.stations, key=lambda s: (-len(s.skills), str(s.station_id))))
    m = len(current)
    blocks = sorted((b for b in snapshot.staffing if b.ends_at > now), key=lambda b: b.starts_at)
    # (start, end, open count, skills for added stations)
    segments: list[tuple[float, float, int, frozenset[str] | None]] = []
    if blocks and blocks[0].starts_at <= now and m == 0:
        # Nobody is open in planned hours (staff are signing in): the plan applies from now.
        first_end = 0.0
    elif blocks and blocks[0].starts_at <= now:
        first_end = _minutes(blocks[0].ends_at, now)
        blocks = blocks[1:]
    elif blocks:
        first_end = _minutes(blocks[0].starts_at, now)
    else:
        first_end = _INF
    segments.append((0.0, first_end, m, None))
    cursor = first_end
    for block in blocks:
        start, end = max(_minutes(block.starts_at, now), cursor), _minutes(block.ends_at, now)
        if start > cursor:
            segments.append((cursor, start, 0, None))  # a gap in the plan is a closure
        if end > start:
            segments.append((start, end, block.stations, block.added_station_skills))
            cursor = end
    start, _, count, added = segments[-1]
    segments[-1] = (start, _INF, count, added)  # the last shift serves the line out

    n_slots = max(count for _, _, count, _ in segments)
    default_added = frozenset().union(*(s.skills for s in current)) or frozenset(known_services)
    skills: list[frozenset[str]] = [s.skills for s in current]
    for j in range(m, n_slots):
        listed = next((a for _, _, c, a in segments if c > j and a is not None), None)
        skills.append(listed if listed is not None else default_added)
    intervals: list[tuple[tuple[float, float], ...]] = []
    for j in range(n_slots):
        merged: list[tuple[float, float]] = []
        for start, end, count, _ in segments:
            if count > j and end > start:
                if merged and merged[-1][1] >= start:
                    merged[-1] = (merged[-1][0], end)
                else:
                    merged.append((start, end))
        intervals.append(tuple(merged))
    return StationPlan(skills=tuple(skills), open_intervals=tuple(intervals), current=current)


def remaining_service(
    model: ServiceTimeModel, elapsed_minutes: float, u: np.ndarray
) -> np.ndarray:
    """Remaining minutes of a service already `elapsed_minutes` long, from uniforms `u`.

    Lognormal: the total duration conditioned on exceeding the elapsed time
    (inverse CDF on the truncated tail), minus the elapsed time. Exponential:
    memoryless.
    """
    if model.kind == "exponential":
        return -math.exp(model.mu) * np.log1p(-u)
    if elapsed_minutes <= 0.0:
        lower = -_INF
    else:
        lower = math.log(elapsed_minutes)
    log_total = normal_above(model.mu, model.sigma, lower, u)
    return np.maximum(np.exp(log_total) - max(elapsed_minutes, 0.0), 0.0)


def _arrival_after_now(mean: float, sd: float, u: np.ndarray) -> np.ndarray:
    """Arrival time (minutes after now) around `mean`, given the patient has not arrived yet."""
    return normal_above(mean, sd, 0.0, u)


@dataclass(slots=True)
class _Queue:
    """Column-wise description of every ticket that may be called (existing, then upcoming)."""

    service: list[str]
    arrival: np.ndarray  # (R, N) minutes after now; inf for no-shows
    key_before: np.ndarray  # (R, N) ordinal before the appointment falls due
    key_due: np.ndarray  # (R, N) ordinal once due (late check-ins differ per replication)
    due_at: np.ndarray  # (N,) minutes after now when the appointment falls due (inf: never changes)
    service_minutes: np.ndarray  # (R, N)
    ghost_key: float


def _rng_streams(seed: int | np.random.Generator) -> list[np.random.Generator]:
    """Independent streams: waiting services, upcoming services, waiting arrivals, upcoming arrivals, stations."""
    if isinstance(seed, np.random.Generator):
        return seed.spawn(5)
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]


def _build_queue(
    snapshot: SiteSnapshot,
    model: FittedModel,
    replications: int,
    waiting: Sequence[WaitingTicket],
    rngs: Sequence[np.random.Generator],
) -> _Queue:
    now = snapshot.now
    upcoming = sorted(snapshot.upcoming_appointments, key=lambda a: (a.appointment_at, str(a.appointment_id)))
    next_id = max([t.ticket_id for t in waiting] + [0]) + 1
    ghost_rank = rank(QueueEntry(ticket_id=_GHOST_ID, service_code="", joined_at=now), now)

    before: list[tuple] = []
    due: list[tuple] = []
    due_at: list[float] = []
    for t in waiting:
        entry = QueueEntry(ticket_id=t.ticket_id, service_code=t.service_code, joined_at=t.joined_at,
                           priority=t.priority, appointment_at=t.appointment_at)
        before.append(rank(entry, now))
        if t.appointment_at is not None and t.appointment_at > now:
            due.append(rank(entry, t.appointment_at))
            due_at.append(_minutes(t.appointment_at, now))
        else:
            due.append(before[-1])
            due_at.append(_INF)
    for i, a in enumerate(upcoming):
        entry = QueueEntry(ticket_id=next_id + i, service_code=a.service_code, joined_at=a.appointment_at,
                           appointment_at=a.appointment_at)
        before.append(rank(entry, now))
        due.append(rank(entry, a.appointment_at))
        due_at.append(_minutes(a.appointment_at, now))
    ordinal = {key: float(i) for i, key in enumerate(sorted(set(before) | set(due) | {ghost_rank}))}
    ghost_ord = ordinal[ghost_rank]

    n_wait, n = len(waiting), len(waiting) + len(upcoming)
    waiting_service_rng, upcoming_service_rng, waiting_arrival_rng, upcoming_arrival_rng = rngs
    r = replications
    key_before = np.empty((r, n))
    key_before[:] = np.array([ordinal[k] for k in before]) if n else 0.0
    key_due = np.array([ordinal[k] for k in due], dtype=float)
    due_at_arr = np.array(due_at, dtype=float)
    arrival = np.zeros((r, n))

    for j, t in enumerate(waiting):
        if t.present:
            continue
        expected = (_minutes(t.expected_arrival_at, now) if t.expected_arrival_at is not None
                    else DEFAULT_TRAVEL_MINUTES)
        sd = max(MIN_TRAVEL_SD_MINUTES, TRAVEL_SD_FRACTION * max(expected, 0.0))
        arrival[:, j] = _arrival_after_now(expected, sd, waiting_arrival_rng.random(r))

    late = model.lateness
    key_due_rn = np.broadcast_to(key_due, (r, n)).copy()
    for i, a in enumerate(upcoming):
        j = n_wait + i
        appt = _minutes(a.appointment_at, now)
        # Not checked in by now: condition both the no-show chance and the arrival on that.
        lower = -appt  # the offset that would have them arrive exactly now
        sd = max(late.sd_minutes, 1e-9)
        still_coming = (1.0 - model.no_show_rate) * norm_sf((lower - late.mean_minutes) / sd)
        p_no_show = model.no_show_rate / (model.no_show_rate + still_coming) if still_coming > 0 else 1.0
        u_show, u_when = upcoming_arrival_rng.random(r), upcoming_arrival_rng.random(r)
        offset = normal_above(late.mean_minutes, late.sd_minutes, lower, u_when)
        arrival[:, j] = np.where(u_show < p_no_show, _INF, appt + offset)
        # Beyond the grace minutes (is_late_check_in) it joins the walk-in tier at its
        # check-in time: after everyone in line now and any newcomer, in arrival order.
        is_late = (offset > snapshot.grace_minutes) & np.isfinite(arrival[:, j])
        x = arrival[is_late, j]
        key_before[is_late, j] = key_due_rn[is_late, j] = ghost_ord + 0.25 + 0.5 * x / (x + 1000.0)

    service_minutes = np.empty((n, r))
    for j, code in enumerate([t.service_code for t in waiting] + [a.service_code for a in upcoming]):
        service_minutes[j] = model.service_model(code).sample(
            waiting_service_rng if j < n_wait else upcoming_service_rng, r)
    return _Queue(
        service=[t.service_code for t in waiting] + [a.service_code for a in upcoming],
        arrival=arrival,
        key_before=key_before,
        key_due=key_due_rn,
        due_at=due_at_arr,
        service_minutes=np.ascontiguousarray(service_minutes.T),
        ghost_key=ghost_ord,
    )


def _station_free_at(
    plan: StationPlan, snapshot: SiteSnapshot, model: FittedModel, replications: int,
    station_rng: np.random.Generator,
) -> np.ndarray:
    """When each station slot is first free (replications x slots): busy ones finish their patient first."""
    free = np.zeros((replications, len(plan.skills)))
    for j, station in enumerate(plan.current):
        u = station_rng.random(replications)  # drawn for every station so the streams stay aligned
        if station.busy_with is not None:
            elapsed = max(_minutes(snapshot.now, station.busy_with.started_at), 0.0)
            free[:, j] = remaining_service(model.service_model(station.busy_with.service_code), elapsed, u)
    return free


def _open_periods(plan: StationPlan, replications: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of each slot's open periods (replications x slots x periods), padded with inf."""
    k_max = max(len(iv) for iv in plan.open_intervals) + 1
    starts = np.full((len(plan.skills), k_max), _INF)
    ends = np.full((len(plan.skills), k_max), _INF)
    for j, iv in enumerate(plan.open_intervals):
        for k, (a, b) in enumerate(iv):
            starts[j, k], ends[j, k] = a, b
    shape = (replications, *starts.shape)
    return np.broadcast_to(starts, shape), np.broadcast_to(ends, shape)


def _can_serve(station_skills: Sequence[frozenset[str]], services: Sequence[str]) -> np.ndarray:
    """(stations, services) bool: which station can do which service."""
    return np.array([[code in skills for code in services] for skills in station_skills],
                    dtype=bool).reshape(len(station_skills), len(services))


@dataclass(frozen=True, slots=True)
class SimulationSetup:
    """What `simulate_call_times` plays: the kernel's inputs, the station plan and the tickets simulated."""

    inputs: PolicyInputs | None  # None when no station is open or planned today
    plan: StationPlan
    waiting: list[WaitingTicket]
    newcomer_services: list[str]


def simulation_setup(
    snapshot: SiteSnapshot,
    model: FittedModel,
    *,
    replications: int = 1000,
    seed: int | np.random.Generator = 0,
    newcomer_services: Sequence[str] = (),
) -> SimulationSetup:
    """Draw everything random and turn the snapshot into the kernel's arrays (columns: waiting, then upcoming)."""
    waiting = [t for t in snapshot.waiting if t.ticket_id not in snapshot.called_ticket_ids]
    known = {t.service_code for t in waiting} | set(model.services) | set(newcomer_services)
    known |= {a.service_code for a in snapshot.upcoming_appointments}
    plan = station_plan(snapshot, known)
    *queue_rngs, station_rng = _rng_streams(seed)
    queue = _build_queue(snapshot, model, replications, waiting, queue_rngs)
    if not plan.skills:
        return SimulationSetup(None, plan, waiting, list(newcomer_services))
    free_at = _station_free_at(plan, snapshot, model, replications, station_rng)
    open_starts, open_ends = _open_periods(plan, replications)
    inputs = PolicyInputs(
        arrival=queue.arrival,
        key_before=queue.key_before,
        key_due=queue.key_due,
        due_at=queue.due_at,
        service_minutes=queue.service_minutes,
        station_free_at=free_at,
        open_starts=open_starts,
        open_ends=open_ends,
        can_serve=_can_serve(plan.skills, queue.service),
        ghost_can_serve=_can_serve(plan.skills, newcomer_services),
        ghost_key=queue.ghost_key,
        # Upcoming appointments only take stations; nobody asks when they are called.
        reported=np.arange(len(queue.service)) < len(waiting),
    )
    return SimulationSetup(inputs, plan, waiting, list(newcomer_services))


def simulate_call_times(
    snapshot: SiteSnapshot,
    model: FittedModel,
    *,
    replications: int = 1000,
    seed: int | np.random.Generator = 0,
    newcomer_services: Sequence[str] = (),
) -> tuple[np.ndarray, np.ndarray, StationPlan, list[WaitingTicket]]:
    """Call times (minutes after now), shape (replications, tickets) and (replications, newcomers).

    Returns (ticket call times in the order of the returned waiting list,
    newcomer call times in `newcomer_services` order, the station plan, the
    waiting tickets simulated). `inf` means never called.
    """
    setup = simulation_setup(snapshot, model, replications=replications, seed=seed,
                             newcomer_services=newcomer_services)
    n_wait = len(setup.waiting)
    if setup.inputs is None:
        never = np.full((replications, n_wait), _INF), np.full((replications, len(newcomer_services)), _INF)
        return *never, setup.plan, setup.waiting
    calls = run_policy(setup.inputs)
    return calls.tickets[:, :n_wait], calls.ghosts, setup.plan, setup.waiting


def _summarise(
    minutes: np.ndarray, *, closes_in: float | None, can_serve: Sequence[bool]
) -> list[WaitEstimate]:
    """One estimate per column of `minutes` (replications x patients)."""
    if minutes.shape[1] == 0:
        return []
    finite = np.isfinite(minutes)
    # Quantiles of columns holding "never called" (inf): inf stands in as a huge finite value.
    capped = np.where(finite, minutes, 1e15)
    quantiles = np.quantile(capped, [0.1, 0.5, 0.9], axis=0)
    quantiles[quantiles >= 1e14] = _INF
    means = np.where(finite.all(axis=0), capped.mean(axis=0), _INF)
    out = []
    for i in range(minutes.shape[1]):
        p10, p50, p90 = (float(x) for x in quantiles[:, i])
        out.append(WaitEstimate(
            p10=p10, p50=p50, p90=p90, mean=float(means[i]),
            runs_past_close=closes_in is not None and p90 > closes_in,
            no_station_can_serve=not can_serve[i],
        ))
    return out


def estimate(
    snapshot: SiteSnapshot,
    model: FittedModel,
    *,
    replications: int = 1000,
    seed: int | np.random.Generator = 0,
    newcomer_services: Iterable[str] | None = None,
) -> SiteEstimate:
    """Wait until called for every waiting ticket and for a present walk-in joining now.

    `newcomer_services` defaults to every service the model or an open or
    planned station knows. Newcomers are "ghosts": each is called when a
    station that can do its service would reach it, last in the walk-in tier;
    they take no station, so they do not affect one another or the line.
    Same snapshot, model and integer seed give identical results.
    """
    if newcomer_services is None:
        found = set(model.services)
        found.update(*(s.skills for s in snapshot.stations))
        found.update(*(b.added_station_skills or () for b in snapshot.staffing))
        newcomer_services = sorted(found)
    newcomer_services = list(newcomer_services)
    call, ghost_call, plan, waiting = simulate_call_times(
        snapshot, model, replications=replications, seed=seed, newcomer_services=newcomer_services
    )
    closes_in = _minutes(snapshot.closes_at, snapshot.now) if snapshot.closes_at is not None else None
    ticket_waits = _summarise(call, closes_in=closes_in,
                              can_serve=[plan.can_ever_serve(t.service_code) for t in waiting])
    tickets = {ticket.ticket_id: wait for ticket, wait in zip(waiting, ticket_waits)}
    for ticket in snapshot.waiting:
        if ticket.ticket_id in snapshot.called_ticket_ids:
            tickets[ticket.ticket_id] = WaitEstimate(0.0, 0.0, 0.0, 0.0)
    newcomer_waits = _summarise(ghost_call, closes_in=closes_in,
                                can_serve=[plan.can_ever_serve(code) for code in newcomer_services])
    newcomer = dict(zip(newcomer_services, newcomer_waits))
    return SiteEstimate(
        tickets=tickets,
        newcomer=newcomer,
        people_waiting=len(waiting),
        stations_open=len(snapshot.stations),
    )
