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
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from schedq.domain.policy import QueueEntry, rank

from ._normal import norm_ppf, norm_sf, normal_above
from .model import (
    PRIOR_LATE_OPENING_SHARE,
    PRIOR_LONGEST_OPENING_DELAY_MINUTES,
    FittedModel,
    ServiceTimeModel,
    half_hour_of,
)
from .policy_kernel import PolicyInputs, PreparedPolicy, run_policy
from .quantiles import column_quantiles, merge_sorted, quantiles_stable, sorted_columns
from .result import SiteEstimate, WaitEstimate
from .snapshot import SiteSnapshot, StationState, WaitingTicket

SIGN_IN_GRACE_MINUTES = 15.0
"""Minutes after a block starts before a shortfall against its plan counts as today's staffing."""

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


def _open_count_at(snapshot: SiteSnapshot, at: datetime) -> int | None:
    """How many stations were open at `at` by `open_station_counts`, None when not recorded."""
    found = None
    for since, count in snapshot.open_station_counts:
        if since > at:
            break
        found = count
    return found


def staffing_deviation(snapshot: SiteSnapshot) -> int:
    """Stations open beyond (+) or short of (-) the plan, as learned from today; docs/estimator.md.

    Inside a block past its sign-in grace: the stations open now minus the
    block's plan. In a block's grace: what the block just before it showed
    (when no closure lies between), read from `open_station_counts` at the
    later of its grace end and `grace` before its end (so stations paused a
    little early do not count). Before opening and inside a closure: 0, since
    the deviation lasts only until the next closure (a sick call, a late
    opener or an extra hand rarely outlasts the shift), and so does any
    deviation the caller carries forward.
    """
    now = snapshot.now
    grace = timedelta(minutes=SIGN_IN_GRACE_MINUTES)
    blocks = sorted(snapshot.staffing, key=lambda b: b.starts_at)
    current = next((b for b in blocks if b.starts_at <= now < b.ends_at), None)
    if current is not None and now >= current.starts_at + grace:
        if not snapshot.stations:
            return 0  # nobody at all: the site opens late (staff still to come), not a whole-site sick call
        return len(snapshot.stations) - current.stations
    if current is None:
        return 0  # before opening, inside a closure or after closing: the next shift starts from the plan
    # In the block's sign-in grace: what the block just before it showed, when no closure lies between.
    last = next((b for b in blocks if b.ends_at == current.starts_at), None)
    if last is None:
        return 0
    if last.ends_at - last.starts_at <= grace:
        return 0
    seen_at = max(last.starts_at + grace, last.ends_at - grace)
    seen = _open_count_at(snapshot, seen_at)
    return 0 if seen is None else seen - last.stations


def _adjusted(planned: int, deviation: int) -> int:
    """A block's count with today's deviation; a block planning anyone keeps at least one station."""
    return max(planned + deviation, min(planned, 1))


def _staffing_segments(
    snapshot: SiteSnapshot,
) -> list[tuple[float, float, int, frozenset[str] | None]]:
    """(start, end, open count, skills for added stations), minutes after now, up to infinity."""
    now = snapshot.now
    m = len(snapshot.stations)
    blocks = sorted((b for b in snapshot.staffing if b.ends_at > now), key=lambda b: b.starts_at)
    segments: list[tuple[float, float, int, frozenset[str] | None]] = []
    if not blocks:
        segments.append((0.0, _INF, m, None))  # no plan ahead: today's stations stay
        deviation = 0
    elif snapshot.staffing_is_actual:
        deviation = 0
        if blocks[0].starts_at > now:
            segments.append((0.0, _minutes(blocks[0].starts_at, now), 0, None))
    else:
        deviation = staffing_deviation(snapshot)
        if blocks[0].starts_at <= now:
            block, blocks = blocks[0], blocks[1:]
            end = _minutes(block.ends_at, now)
            grace_end = min(_minutes(block.starts_at, now) + SIGN_IN_GRACE_MINUTES, end)
            if grace_end > 0.0:
                # Signing in: late openers are expected by the grace's end.
                segments.append((0.0, grace_end, m, None))
                segments.append(
                    (grace_end, end, max(m, _adjusted(block.stations, deviation)), block.added_station_skills)
                )
            else:
                segments.append(
                    (0.0, end, max(m, _adjusted(block.stations, deviation)), block.added_station_skills)
                )
        else:
            # Before opening or inside a closure: the next shift starts from the plan.
            deviation = 0
            segments.append((0.0, _minutes(blocks[0].starts_at, now), m, None))
    cursor = segments[-1][1] if segments else 0.0
    for block in blocks:
        start, end = max(_minutes(block.starts_at, now), cursor), _minutes(block.ends_at, now)
        if start > cursor:
            segments.append((cursor, start, 0, None))  # a gap in the plan is a closure
            deviation = 0  # today's deviation lasts until the next closure: after it, the plan again
        if end > start:
            count = block.stations if snapshot.staffing_is_actual else _adjusted(block.stations, deviation)
            segments.append((start, end, count, block.added_station_skills))
            cursor = end
    start, _, count, added = segments[-1]
    segments[-1] = (start, _INF, count, added)  # the last shift serves the line out
    return segments


def closed_periods(snapshot: SiteSnapshot) -> list[tuple[float, float]]:
    """When no station may call (minutes after now): before opening and between opening intervals.

    After the last interval the line is served out, so that is not closed;
    no intervals at all (a closed day) is closed throughout; None: no constraint.
    """
    if snapshot.opening_intervals is None:
        return []
    intervals = sorted(
        (_minutes(a, snapshot.now), _minutes(b, snapshot.now)) for a, b in snapshot.opening_intervals
    )
    if not intervals:
        return [(-_INF, _INF)]
    closed, cursor = [], -_INF
    for start, end in intervals:
        if start > cursor:
            closed.append((cursor, start))
        cursor = max(cursor, end)
    return [(a, b) for a, b in closed if b > 0.0]


def _without(
    intervals: list[tuple[float, float]], closed: list[tuple[float, float]]
) -> tuple[tuple[float, float], ...]:
    """`intervals` minus the `closed` periods (both sorted, disjoint)."""
    out = []
    for start, end in intervals:
        for c_start, c_end in closed:
            if c_end <= start or c_start >= end:
                continue
            if c_start > start:
                out.append((start, c_start))
            start = max(start, c_end)
            if start >= end:
                break
        if start < end:
            out.append((start, end))
    return tuple(out)


def station_plan(snapshot: SiteSnapshot, known_services: Iterable[str]) -> StationPlan:
    """Turn open stations, the capacity plan and the closures into slots with open intervals (minutes after now)."""
    current = tuple(sorted(snapshot.stations, key=lambda s: (-len(s.skills), str(s.station_id))))
    m = len(current)
    segments = _staffing_segments(snapshot)
    closed = closed_periods(snapshot)

    n_slots = max(m, max(count for _, _, count, _ in segments))
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
        intervals.append(_without(merged, closed))
    return StationPlan(skills=tuple(skills), open_intervals=tuple(intervals), current=current)


def remaining_service(
    model: ServiceTimeModel, elapsed_minutes: float, u: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
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
    """Independent streams: waiting services, upcoming services, waiting arrivals, upcoming arrivals,
    stations, future walk-ins, closure overruns, opening delays (the last three spawned last, so the
    others do not depend on whether they are used)."""
    if isinstance(seed, np.random.Generator):
        return seed.spawn(8)
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]


def behind_line_key(ghost_key: float, arrival_minutes: np.ndarray) -> np.ndarray:
    """The policy ordinal of someone joining the walk-in tier `arrival_minutes` after now (a late
    check-in, a walk-in still to come): behind the newcomer and everyone in line, in arrival order."""
    return ghost_key + 0.25 + 0.5 * arrival_minutes / (arrival_minutes + 1000.0)


def _build_queue(
    snapshot: SiteSnapshot,
    model: FittedModel,
    replications: int,
    waiting: Sequence[WaitingTicket],
    rngs: Sequence[np.random.Generator],
    future: _FutureWalkIns | None = None,
) -> _Queue:
    """The queue's columns: waiting tickets, upcoming appointments, then `future` walk-ins if given.

    Arrays are allocated once at their full width and filled by column
    groups; draws are taken in the same order and amounts as one call per
    ticket would take them (a generator's `random((k, r))` is k successive
    `random(r)`), so the numbers do not depend on the batching.
    """
    now = snapshot.now
    upcoming = sorted(snapshot.upcoming_appointments, key=lambda a: (a.appointment_at, str(a.appointment_id)))
    next_id = max([t.ticket_id for t in waiting] + [0]) + 1
    # The newcomer, the walk-ins still to come and late check-ins join behind everyone in line: at
    # `now`, or at the latest join when that is later (a snapshot's `now` may be rounded down).
    behind_line = max([now, *(t.joined_at for t in waiting)])
    ghost_rank = rank(QueueEntry(ticket_id=_GHOST_ID, service_code="", joined_at=behind_line), now)

    before: list[tuple[int, datetime, int]] = []
    due: list[tuple[int, datetime, int]] = []
    due_at: list[float] = []
    for t in waiting:
        entry = QueueEntry(
            ticket_id=t.ticket_id,
            service_code=t.service_code,
            joined_at=t.joined_at,
            priority=t.priority,
            appointment_at=t.appointment_at,
        )
        before.append(rank(entry, now))
        if t.appointment_at is not None and t.appointment_at > now:
            due.append(rank(entry, t.appointment_at))
            due_at.append(_minutes(t.appointment_at, now))
        else:
            due.append(before[-1])
            due_at.append(_INF)
    for i, a in enumerate(upcoming):
        entry = QueueEntry(
            ticket_id=next_id + i,
            service_code=a.service_code,
            joined_at=a.appointment_at,
            appointment_at=a.appointment_at,
        )
        before.append(rank(entry, now))
        due.append(rank(entry, a.appointment_at))
        due_at.append(_minutes(a.appointment_at, now))
    ordinal = {key: float(i) for i, key in enumerate(sorted(set(before) | set(due) | {ghost_rank}))}
    ghost_ord = ordinal[ghost_rank]

    n_wait, n = len(waiting), len(waiting) + len(upcoming)
    width = n + (future.arrival.shape[1] if future is not None else 0)
    waiting_service_rng, upcoming_service_rng, waiting_arrival_rng, upcoming_arrival_rng = rngs
    r = replications
    services = [t.service_code for t in waiting] + [a.service_code for a in upcoming]
    key_before = np.empty((r, width))
    key_before[:, :n] = np.array([ordinal[k] for k in before]) if n else 0.0
    key_due = np.empty((r, width))
    key_due[:, :n] = np.array([ordinal[k] for k in due]) if n else 0.0
    due_at_arr = np.full(width, _INF)
    due_at_arr[:n] = due_at
    arrival = np.zeros((r, width))

    absent = [j for j, t in enumerate(waiting) if not t.present]
    if absent:
        expected_at = [waiting[j].expected_arrival_at for j in absent]
        expected = np.array(
            [DEFAULT_TRAVEL_MINUTES if at is None else _minutes(at, now) for at in expected_at]
        )
        sd = np.maximum(MIN_TRAVEL_SD_MINUTES, TRAVEL_SD_FRACTION * np.maximum(expected, 0.0))
        u = waiting_arrival_rng.random((len(absent), r))
        arrival[:, absent] = _normal_above_rows(expected, sd, np.zeros(len(absent)), u).T

    late = model.lateness
    if upcoming:
        appt = np.array([_minutes(a.appointment_at, now) for a in upcoming])
        # Not checked in by now: condition both the no-show chance and the arrival on that.
        lower = -appt  # the offsets that would have them arrive exactly now
        sd = max(late.sd_minutes, 1e-9)
        p_no_show = np.ones(len(upcoming))
        for i, low in enumerate(lower.tolist()):
            still_coming = (1.0 - model.no_show_rate) * norm_sf((low - late.mean_minutes) / sd)
            if still_coming > 0:
                p_no_show[i] = model.no_show_rate / (model.no_show_rate + still_coming)
        u = upcoming_arrival_rng.random((len(upcoming), 2, r))  # per appointment: show, then when
        if late.sd_minutes > 0.0:
            offset = _normal_above_rows(
                np.full(len(upcoming), late.mean_minutes),
                np.full(len(upcoming), late.sd_minutes),
                lower,
                u[:, 1],
            )
        else:
            offset = np.stack(
                [normal_above(late.mean_minutes, late.sd_minutes, b, w) for b, w in zip(lower, u[:, 1])]
            )
        came = np.where(u[:, 0] < p_no_show[:, None], _INF, appt[:, None] + offset)  # (upcoming, r)
        arrival[:, n_wait:n] = came.T
        # Beyond the grace minutes (is_late_check_in) it joins the walk-in tier at its
        # check-in time: after everyone in line now and any newcomer, in arrival order.
        is_late = ((offset > snapshot.grace_minutes) & np.isfinite(came)).T
        for block in (key_before[:, n_wait:n], key_due[:, n_wait:n]):
            block[is_late] = behind_line_key(ghost_ord, came.T[is_late])

    service_minutes = np.empty((width, r))
    service_minutes[:n_wait] = _service_draws(model, services[:n_wait], waiting_service_rng, r)
    service_minutes[n_wait:n] = _service_draws(model, services[n_wait:], upcoming_service_rng, r)
    if future is not None:
        # Walk-ins still to come: walk-in tier at their joining, behind the newcomer.
        x = future.arrival
        finite = np.isfinite(x)
        key = np.where(finite, behind_line_key(ghost_ord, np.where(finite, x, 0.0)), _INF)
        arrival[:, n:] = x
        key_before[:, n:] = key
        key_due[:, n:] = key
        service_minutes[n:] = future.service_minutes.T
        services = services + future.service
    return _Queue(
        service=services,
        arrival=arrival,
        key_before=key_before,
        key_due=key_due,
        due_at=due_at_arr,
        service_minutes=np.ascontiguousarray(service_minutes.T),
        ghost_key=ghost_ord,
    )


def _normal_above_rows(mean: np.ndarray, sd: np.ndarray, lower: np.ndarray, u: np.ndarray) -> np.ndarray:
    """`normal_above` for several (mean, sd, lower), one per row of `u`: the same numbers, at once."""
    tail = np.array([norm_sf((b - m) / s) if math.isfinite(b) else 1.0 for m, s, b in zip(mean, sd, lower)])
    v = np.clip((1.0 - u) * tail[:, None], 1e-300, 1.0 - 2.0**-53)
    drawn: np.ndarray = np.maximum(mean[:, None] - sd[:, None] * norm_ppf(v), lower[:, None])
    return drawn


def _service_draws(
    model: FittedModel, services: Sequence[str], rng: np.random.Generator, r: int
) -> np.ndarray:
    """(len(services), r) fresh service minutes, the numbers `ServiceTimeModel.sample` gives one
    service after another: consecutive lognormal services share one normal draw, as do exponential ones."""
    out = np.empty((len(services), r))
    models = [model.service_model(code) for code in services]
    start = 0
    while start < len(models):
        kind = models[start].kind
        end = start
        while end < len(models) and models[end].kind == kind:
            end += 1
        if kind == "exponential":
            scale = np.array([math.exp(m.mu) for m in models[start:end]])
            out[start:end] = scale[:, None] * rng.standard_exponential((end - start, r))
        else:
            mu = np.array([m.mu for m in models[start:end]])
            sigma = np.array([m.sigma for m in models[start:end]])
            z = rng.standard_normal((end - start, r))
            z *= sigma[:, None]
            z += mu[:, None]
            np.exp(z, out=out[start:end])
        start = end
    return out


def can_be_passed(ticket: WaitingTicket, now: datetime) -> bool:
    """Whether a walk-in joining later may be called before `ticket` (an early appointment, an absent ticket)."""
    early = ticket.appointment_at is not None and ticket.appointment_at > now and not ticket.priority
    return early or not ticket.present


def walk_in_segments(snapshot: SiteSnapshot, model: FittedModel) -> list[tuple[float, float, float]]:
    """(start, end, expected walk-ins per minute) from now until walk-ins stop, inside opening hours.

    Each local half hour (the site's zone) has the model's rate
    `walk_in_rate_per_hour[weekday][half hour]`; empty when the end of walk-ins is unknown.
    """
    now = snapshot.now
    until = snapshot.walk_ins_until or snapshot.closes_at
    if until is None or until <= now:
        return []
    zone = ZoneInfo(snapshot.tz)
    opening = (
        [(now, until)]
        if snapshot.opening_intervals is None
        else [(max(a, now), min(b, until)) for a, b in snapshot.opening_intervals if b > now and a < until]
    )
    segments = []
    for open_from, open_to in opening:
        t = open_from
        while t < open_to:
            wall = t.astimezone(zone)
            into_half = timedelta(
                minutes=wall.minute % 30, seconds=wall.second, microseconds=wall.microsecond
            )
            half_end = min(t + timedelta(minutes=30) - into_half, open_to)
            rate = model.walk_in_rate_at(wall.weekday(), half_hour_of(wall))
            if rate > 0.0:
                segments.append((_minutes(t, now), _minutes(half_end, now), rate / 60.0))
            t = half_end
    return segments


@dataclass(slots=True)
class _FutureWalkIns:
    """Walk-ins who join after now, one column group per service (Poisson thinning by the mix)."""

    service: list[str]
    arrival: np.ndarray  # (R, F) minutes after now; inf pads rows with fewer arrivals
    service_minutes: np.ndarray  # (R, F)


def _future_walk_ins(
    snapshot: SiteSnapshot, model: FittedModel, replications: int, rng: np.random.Generator
) -> _FutureWalkIns:
    """Draw the walk-ins still to come: per service, Poisson counts per segment, uniform instants inside."""
    r = replications
    segments = walk_in_segments(snapshot, model)
    services: list[str] = []
    arrivals: list[np.ndarray] = []
    minutes: list[np.ndarray] = []
    if segments:
        starts = np.array([a for a, _, _ in segments])
        lengths = np.array([b - a for a, b, _ in segments])
        expected = np.array([(b - a) * rate for a, b, rate in segments])
        for code, share in sorted(model.walk_in_service_mix.items()):
            if share <= 0.0:
                continue
            counts = rng.poisson(expected * share, size=(r, len(segments)))
            per_row = counts.sum(axis=1)
            width = int(per_row.max(initial=0))
            if width == 0:
                continue
            segment_of = np.repeat(np.tile(np.arange(len(segments)), r), counts.ravel())
            row_of = np.repeat(np.arange(r), per_row)
            column_of = np.arange(row_of.size) - np.repeat(np.cumsum(per_row) - per_row, per_row)
            arrival = np.full((r, width), _INF)
            arrival[row_of, column_of] = starts[segment_of] + rng.random(row_of.size) * lengths[segment_of]
            services.extend([code] * width)
            arrivals.append(arrival)
            minutes.append(model.service_model(code).sample(rng, r * width).reshape(r, width))
    return _FutureWalkIns(
        service=services,
        arrival=np.hstack(arrivals) if arrivals else np.zeros((r, 0)),
        service_minutes=np.hstack(minutes) if minutes else np.zeros((r, 0)),
    )


def _station_free_at(
    plan: StationPlan,
    snapshot: SiteSnapshot,
    model: FittedModel,
    replications: int,
    station_rng: np.random.Generator,
) -> np.ndarray:
    """When each station slot is first free (replications x slots): busy ones finish their patient first."""
    free = np.zeros((replications, len(plan.skills)))
    # Drawn for every station so the streams stay aligned (one call: the same numbers).
    u = station_rng.random((len(plan.current), replications))
    together = []  # lognormal ones, all at once
    for j, station in enumerate(plan.current):
        if station.busy_with is not None:
            elapsed = max(_minutes(snapshot.now, station.busy_with.started_at), 0.0)
            service = model.service_model(station.busy_with.service_code)
            if service.kind == "lognormal" and service.sigma > 0.0:
                together.append((j, service, elapsed))
            else:
                free[:, j] = remaining_service(service, elapsed, u[j])
    if together:
        slots = [j for j, _, _ in together]
        elapsed_minutes = np.array([e for _, _, e in together])
        lower = np.array([math.log(e) if e > 0.0 else -_INF for _, _, e in together])
        mu = np.array([m.mu for _, m, _ in together])
        sigma = np.array([m.sigma for _, m, _ in together])
        log_total = _normal_above_rows(mu, sigma, lower, u[slots])
        free[:, slots] = np.maximum(np.exp(log_total) - elapsed_minutes[:, None], 0.0).T
    return free


@dataclass(frozen=True, slots=True)
class LateStart:
    """Open periods that begin at `planned` (minutes after now), for slots from `first_slot` on,
    begin at `starts` instead (one per replication): staff late to an opening."""

    planned: float
    starts: np.ndarray
    first_slot: int


def _open_periods(
    plan: StationPlan,
    replications: int,
    overruns: Sequence[tuple[float, np.ndarray]] = (),
    late_starts: Sequence[LateStart] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of each slot's open periods (replications x slots x periods), padded with inf.

    `overruns`: (closure start, minutes per replication) — an open period
    ending at that closure runs on that much longer in that replication;
    `late_starts`: open periods that begin later in some replications.
    """
    k_max = max(len(iv) for iv in plan.open_intervals) + 1
    starts = np.full((len(plan.skills), k_max), _INF)
    ends = np.full((len(plan.skills), k_max), _INF)
    for j, iv in enumerate(plan.open_intervals):
        for k, (a, b) in enumerate(iv):
            starts[j, k], ends[j, k] = a, b
    shape = (replications, *starts.shape)
    starts_r, ends_r = np.broadcast_to(starts, shape), np.broadcast_to(ends, shape)
    if overruns:
        ends_r = ends_r.copy()
        for closure_start, minutes in overruns:
            stations, periods = np.nonzero(np.abs(ends - closure_start) < 1e-9)
            ends_r[:, stations, periods] += minutes[:, None]
    if late_starts:
        starts_r = starts_r.copy()
        for late in late_starts:
            stations, periods = np.nonzero(np.abs(starts - late.planned) < 1e-9)
            keep = stations >= late.first_slot
            stations, periods = stations[keep], periods[keep]
            starts_r[:, stations, periods] = np.minimum(
                np.maximum(late.starts, 0.0)[:, None], ends_r[:, stations, periods]
            )
    return starts_r, ends_r


def opening_delay_draws(
    history: np.ndarray, prior_weight: float, elapsed: float, size: int, rng: np.random.Generator
) -> np.ndarray | None:
    """`size` opening delays (minutes after the opening) longer than `elapsed` (when > 0), None if none can be.

    The site's own delays (`history`, one per past opening) each count once,
    the prior as `prior_weight` openings: on time but for a share
    `PRIOR_LATE_OPENING_SHARE`, late by a delay spread evenly up to
    `PRIOR_LONGEST_OPENING_DELAY_MINUTES`. Once `elapsed` minutes have gone by
    unopened, only the delays longer than that remain of both, in proportion.
    """
    possible = history[history > elapsed] if elapsed > 0.0 else history
    longest = PRIOR_LONGEST_OPENING_DELAY_MINUTES
    if elapsed > 0.0:
        prior_mass = prior_weight * PRIOR_LATE_OPENING_SHARE * max(longest - elapsed, 0.0) / longest
    else:
        prior_mass = prior_weight
    if prior_mass <= 0.0:
        return possible[rng.integers(possible.size, size=size)] if possible.size else None
    own = possible[rng.integers(possible.size, size=size)] if possible.size else np.zeros(size)
    from_prior = rng.random(size) * (prior_mass + possible.size) < prior_mass
    lowest = max(elapsed, 0.0)
    prior = lowest + (longest - lowest) * rng.random(size)
    if elapsed <= 0.0:
        prior = np.where(rng.random(size) < PRIOR_LATE_OPENING_SHARE, prior, 0.0)
    return np.where(from_prior, prior, own)


def opening_delays(
    snapshot: SiteSnapshot, model: FittedModel, plan: StationPlan, replications: int, rng: np.random.Generator
) -> list[LateStart]:
    """For each opening or reopening ahead today, or begun within the sign-in grace: when staff really start.

    Drawn from the site's own past openings (`FittedModel.opening_delay_minutes`)
    and the prior (`opening_delay_draws`), conditioned on not having started
    yet; none without either. An
    opening ahead delays every station slot; one begun delays only the
    stations not open now, which the staffing rule expects by the grace's end.
    """
    history = np.asarray(model.opening_delay_minutes, dtype=float)
    if (history.size == 0 and model.opening_delay_prior_weight <= 0.0) or snapshot.opening_intervals is None:
        return []
    found = []
    for opens, closes in snapshot.opening_intervals:
        if closes <= snapshot.now:
            continue
        start = _minutes(opens, snapshot.now)
        elapsed = max(-start, 0.0)
        nobody_open = not snapshot.stations
        if elapsed >= SIGN_IN_GRACE_MINUTES and not nobody_open:
            continue
        delays = opening_delay_draws(history, model.opening_delay_prior_weight, elapsed, replications, rng)
        if delays is None:
            continue
        drawn = start + delays
        if start > 0.0:
            found.append(LateStart(start, drawn, 0))
        elif elapsed < SIGN_IN_GRACE_MINUTES:
            found.append(LateStart(start + SIGN_IN_GRACE_MINUTES, drawn, len(plan.current)))
        else:
            found.append(LateStart(0.0, drawn, 0))  # nobody open yet past the grace: the plan, once they come
    return found


def closure_overruns(
    snapshot: SiteSnapshot, model: FittedModel, replications: int, rng: np.random.Generator
) -> list[tuple[float, np.ndarray]]:
    """For each closure still ahead today: how long staff keep calling into it, per replication.

    Drawn from the site's own past closures (`FittedModel.closure_overrun_minutes`),
    never longer than the closure; none without that history. A closure that
    has begun gets none: no station calls while the site is closed.
    """
    history = np.asarray(model.closure_overrun_minutes, dtype=float)
    if history.size == 0:
        return []
    found = []
    for start, end in closed_periods(snapshot):
        if 0.0 < start < _INF:
            drawn = history[rng.integers(history.size, size=replications)]
            found.append((start, np.minimum(drawn, end - start)))
    return found


def _can_serve(station_skills: Sequence[frozenset[str]], services: Sequence[str]) -> np.ndarray:
    """(stations, services) bool: which station can do which service (a column per ticket, so per code first)."""
    codes = sorted(set(services))
    column = {code: i for i, code in enumerate(codes)}
    by_code = np.array([[code in skills for code in codes] for skills in station_skills], dtype=bool)
    return by_code.reshape(len(station_skills), len(codes))[:, [column[c] for c in services]]


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
    """Draw everything random and turn the snapshot into the kernel's arrays.

    Columns: the waiting tickets, the upcoming appointments, then the walk-ins
    still to come (only when someone in line can be passed by them).
    """
    waiting = [t for t in snapshot.waiting if t.ticket_id not in snapshot.called_ticket_ids]
    known = {t.service_code for t in waiting} | set(model.services) | set(newcomer_services)
    known |= {a.service_code for a in snapshot.upcoming_appointments}
    plan = station_plan(snapshot, known)
    if not plan.skills:
        return SimulationSetup(None, plan, waiting, list(newcomer_services))
    *queue_rngs, station_rng, future_rng, overrun_rng, opening_rng = _rng_streams(seed)
    future = None
    if any(can_be_passed(t, snapshot.now) for t in waiting):
        # Only then can a walk-in joining later change anyone's call time.
        future = _future_walk_ins(snapshot, model, replications, future_rng)
    queue = _build_queue(snapshot, model, replications, waiting, queue_rngs, future)
    free_at = _station_free_at(plan, snapshot, model, replications, station_rng)
    open_starts, open_ends = _open_periods(
        plan,
        replications,
        overruns=closure_overruns(snapshot, model, replications, overrun_rng),
        late_starts=opening_delays(snapshot, model, plan, replications, opening_rng),
    )
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
        # Upcoming appointments and walk-ins still to come only take stations; nobody asks when they are called.
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
    setup = simulation_setup(
        snapshot, model, replications=replications, seed=seed, newcomer_services=newcomer_services
    )
    n_wait = len(setup.waiting)
    if setup.inputs is None:
        never = np.full((replications, n_wait), _INF), np.full((replications, len(newcomer_services)), _INF)
        return *never, setup.plan, setup.waiting
    calls = run_policy(setup.inputs)
    return calls.tickets[:, :n_wait], calls.ghosts, setup.plan, setup.waiting


STABLE_FLOOR = 500
STABLE_FLOOR_SHARE = 0.5
"""The stopping rule plays at least max(500, half the replications asked for) (all, when 500 or fewer
are asked for) ..."""
STABLE_BLOCKS = 4
"""... then the rest in blocks of a quarter of those asked for, checking after each."""


def _play_until_stable(
    inputs: PolicyInputs, n_wait: int, stop_when_stable: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Call times of the waiting tickets and the newcomers, replications played until stable.

    The inputs are drawn for every replication asked for, so a run that
    goes to the end gives exactly what one without the rule gives; after
    the floor (`STABLE_FLOOR`, `STABLE_FLOOR_SHARE`) and after each block, the run stops when
    `quantiles_stable` holds for every waiting ticket and newcomer. Also
    returns the columns (tickets, then newcomers) sorted for the percentiles,
    None when every replication was played without the rule. See
    docs/estimator.md, "Speed".
    """
    r = inputs.arrival.shape[0]
    floor = max(STABLE_FLOOR, int(r * STABLE_FLOOR_SHARE))
    if not stop_when_stable or r <= floor:
        calls = run_policy(inputs)
        return calls.tickets[:, :n_wait], calls.ghosts, None
    stops = [floor]
    while stops[-1] < r:
        stops.append(min(stops[-1] + r // STABLE_BLOCKS, r))
    prepared = PreparedPolicy(inputs)
    tickets, ghosts, ordered, done = [], [], None, 0
    for stop in stops:
        calls = prepared.play(done, stop)
        tickets.append(calls.tickets[:, :n_wait])
        ghosts.append(calls.ghosts)
        block = np.hstack([tickets[-1], ghosts[-1]])
        ordered = sorted_columns(block) if ordered is None else merge_sorted(ordered, block)
        done = stop
        if stop < r and quantiles_stable(ordered, [0.1, 0.5, 0.9]):
            break
    return np.vstack(tickets), np.vstack(ghosts), ordered


def _summarise(
    minutes: np.ndarray,
    *,
    closes_in: float | None,
    can_serve: Sequence[bool],
    thin_history: bool = False,
    history_days: int | None = None,
    ordered: np.ndarray | None = None,
) -> list[WaitEstimate]:
    """One estimate per column of `minutes` (replications x patients); `ordered`: its sorted columns, if at hand."""
    if minutes.shape[1] == 0:
        return []
    # Quantiles of columns holding "never called" (inf): inf stands in as a huge finite value.
    quantiles = column_quantiles(minutes, [0.1, 0.5, 0.9], ordered=ordered)
    means = np.where(np.isfinite(minutes).all(axis=0), minutes.mean(axis=0), _INF)
    return [
        WaitEstimate(
            p10=p10,
            p50=p50,
            p90=p90,
            mean=mean,
            runs_past_close=closes_in is not None and p90 > closes_in,
            no_station_can_serve=not serves,
            thin_history=thin_history,
            history_days=history_days,
        )
        for (p10, p50, p90), mean, serves in zip(quantiles.T.tolist(), means.tolist(), can_serve)
    ]


def estimate(
    snapshot: SiteSnapshot,
    model: FittedModel,
    *,
    replications: int = 1000,
    seed: int | np.random.Generator = 0,
    newcomer_services: Iterable[str] | None = None,
    stop_when_stable: bool = True,
) -> SiteEstimate:
    """Wait until called for every waiting ticket and for a present walk-in joining now.

    `newcomer_services` defaults to every service the model or an open or
    planned station knows. Newcomers are "ghosts": each is called when a
    station that can do its service would reach it, last in the walk-in tier;
    they take no station, so they do not affect one another or the line.
    Same snapshot, model and integer seed give identical results.
    `stop_when_stable`: play the replications in blocks and stop once the
    percentiles are pinned down (`_play_until_stable`); False plays them all.
    """
    if newcomer_services is None:
        found = set(model.services)
        found.update(*(s.skills for s in snapshot.stations))
        found.update(*(b.added_station_skills or () for b in snapshot.staffing))
        newcomer_services = sorted(found)
    newcomer_services = list(newcomer_services)
    setup = simulation_setup(
        snapshot, model, replications=replications, seed=seed, newcomer_services=newcomer_services
    )
    plan, waiting = setup.plan, setup.waiting
    ordered = None
    if setup.inputs is None:
        call = np.full((replications, len(waiting)), _INF)
        ghost_call = np.full((replications, len(newcomer_services)), _INF)
    else:
        call, ghost_call, ordered = _play_until_stable(setup.inputs, len(waiting), stop_when_stable)
    closes_in = _minutes(snapshot.closes_at, snapshot.now) if snapshot.closes_at is not None else None
    history: dict[str, Any] = {"thin_history": model.thin_history, "history_days": model.history_days}
    serves = {code: plan.can_ever_serve(code) for code in {t.service_code for t in waiting}}
    ticket_waits = _summarise(
        call,
        closes_in=closes_in,
        can_serve=[serves[t.service_code] for t in waiting],
        ordered=None if ordered is None else ordered[: len(waiting)],
        **history,
    )
    tickets = {ticket.ticket_id: wait for ticket, wait in zip(waiting, ticket_waits)}
    for ticket in snapshot.waiting:
        if ticket.ticket_id in snapshot.called_ticket_ids:
            tickets[ticket.ticket_id] = WaitEstimate(0.0, 0.0, 0.0, 0.0, **history)
    newcomer_waits = _summarise(
        ghost_call,
        closes_in=closes_in,
        can_serve=[plan.can_ever_serve(code) for code in newcomer_services],
        ordered=None if ordered is None else ordered[len(waiting) :],
        **history,
    )
    newcomer = dict(zip(newcomer_services, newcomer_waits))
    return SiteEstimate(
        tickets=tickets,
        newcomer=newcomer,
        people_waiting=len(waiting),
        stations_open=len(snapshot.stations),
        replications=call.shape[0],
    )
