"""Each open day's columns for every replication: arrivals, keys, services, stations, probes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from ..model import FittedModel
from ..snapshot import SiteSnapshot
from .arrivals import draw_appointments, draw_walk_ins
from .grid import HalfHour, half_hours
from .keys import walk_in_key
from .plan import BookedAppointment, DayPlan
from .stations import future_plan
from .today import live_state

_INF = math.inf


@dataclass(slots=True)
class Day:
    """One day's columns for every replication, before merging into the batch."""

    arrival: np.ndarray  # (R, N) minutes after origin, inf for no-shows and padding
    key_before: np.ndarray  # (R, N) policy key before the appointment falls due
    key_due: np.ndarray  # (R, N) policy key once due
    due_at: np.ndarray  # (R, N) minutes after origin; inf when the key never changes
    code: np.ndarray  # (R, N) service index
    service_minutes: np.ndarray  # (R, N)
    is_walk_in: np.ndarray  # (R, N) bool: a walk-in (else a booked appointment or a live ticket)
    slot_skills: list[frozenset[str]]
    open_intervals: list[tuple[tuple[float, float], ...]]
    free: np.ndarray  # (R, S) when each station slot first acts
    probe_at: np.ndarray  # (R, H) probe arrival minutes; inf for closed half hours
    halves: list[HalfHour]


def _streams(seed: int | np.random.Generator, days: int) -> list[list[np.random.Generator]]:
    """Per day: walk-in counts/times, walk-in services, appointments, service times, snapshot, probes."""
    if isinstance(seed, np.random.Generator):
        return [child.spawn(6) for child in seed.spawn(days)]
    return [
        [np.random.default_rng(s) for s in child.spawn(6)]
        for child in np.random.SeedSequence(seed).spawn(days)
    ]


def _build_day(
    day: DayPlan,
    model: FittedModel,
    *,
    tz: ZoneInfo,
    origin: datetime,
    codes: dict[str, int],
    known: set[str],
    r: int,
    rngs: list[np.random.Generator],
    snapshot: SiteSnapshot | None,
) -> Day:
    count_rng, mix_rng, appt_rng, service_rng, live_rng, probe_rng = rngs
    now = snapshot.now if snapshot is not None else None
    halves = half_hours(day, tz, origin, now)
    arrival, code = draw_walk_ins(halves, model, day.weekday, codes, r, count_rng, mix_rng)
    walk_key = walk_in_key() + arrival
    columns: list[tuple[np.ndarray, ...]] = [
        (arrival, walk_key, walk_key, np.full(arrival.shape, _INF), code)
    ]
    if snapshot is not None:
        upcoming = replace(
            day,
            appointments=tuple(
                BookedAppointment(a.appointment_at, a.service_code) for a in snapshot.upcoming_appointments
            ),
            grace_minutes=snapshot.grace_minutes,
        )
        columns.append(draw_appointments(upcoming, model, origin, codes, r, appt_rng, now))
        live, skills, intervals, free = live_state(snapshot, day, model, codes, r, live_rng, known)
        columns.append(live)
    else:
        columns.append(draw_appointments(day, model, origin, codes, r, appt_rng, None))
        skills, intervals = future_plan(day, origin, known)
        first = [iv[0][0] if iv else _INF for iv in intervals]
        free = np.broadcast_to(np.array(first, dtype=float), (r, len(skills))).copy()
    walk_ins = arrival.shape[1]
    arrival, kb, kd, due, code = (np.concatenate(parts, axis=1) for parts in zip(*columns))
    is_walk_in = np.zeros(arrival.shape, dtype=bool)
    is_walk_in[:, :walk_ins] = True
    service = np.empty(arrival.shape)
    for c, index in sorted(codes.items(), key=lambda p: p[1]):  # fixed order: draws stay aligned
        mask = code == index
        service[mask] = model.service_model(c).sample(service_rng, int(mask.sum()))
    order = np.argsort(arrival, axis=1, kind="stable")
    arrival, kb, kd, due, code, service, is_walk_in = (
        np.take_along_axis(x, order, axis=1) for x in (arrival, kb, kd, due, code, service, is_walk_in)
    )
    probe_at = np.full((r, len(halves)), _INF)
    for i, h in enumerate(halves):
        u = probe_rng.random(r)
        if h.walk_in_start is not None and h.walk_in_end is not None:
            probe_at[:, i] = h.walk_in_start + u * (h.walk_in_end - h.walk_in_start)
    return Day(
        arrival=arrival,
        key_before=kb,
        key_due=kd,
        due_at=due,
        code=code,
        service_minutes=service,
        is_walk_in=is_walk_in,
        slot_skills=skills,
        open_intervals=intervals,
        free=free,
        probe_at=probe_at,
        halves=halves,
    )


def build_days(
    days: Sequence[DayPlan],
    model: FittedModel,
    service_code: str,
    zone: ZoneInfo,
    replications: int,
    seed: int | np.random.Generator,
    today_snapshot: SiteSnapshot | None,
) -> tuple[list[tuple[DayPlan, Day]], dict[str, int], datetime | None]:
    """Draw each open day's columns (see `best_times`); also the service codes' indexes and the origin."""
    plans = [d for d in days if d.opening_intervals]
    if not plans:
        return [], {}, None
    today = today_snapshot.now.astimezone(zone).date() if today_snapshot is not None else None
    origin = (
        today_snapshot.now
        if today_snapshot is not None
        else min(a for d in plans for a, _ in d.opening_intervals)
    )
    known = set(model.services) | set(model.walk_in_service_mix) | {service_code}
    for d in plans:
        known.update(a.service_code for a in d.appointments)
        known.update(*d.station_skills)
        known.update(*(b.added_station_skills or () for b in d.staffing))
    if today_snapshot is not None:
        known.update(t.service_code for t in today_snapshot.waiting)
        known.update(a.service_code for a in today_snapshot.upcoming_appointments)
        known.update(*(s.skills for s in today_snapshot.stations))
        known.update(s.busy_with.service_code for s in today_snapshot.stations if s.busy_with)
    codes = {c: i for i, c in enumerate(sorted(known))}

    streams = _streams(seed, len(days))
    built: list[tuple[DayPlan, Day]] = []
    for d, rngs in zip(days, streams):
        if not d.opening_intervals or (today is not None and d.local_date < today):
            continue
        snapshot = today_snapshot if d.local_date == today else None
        built.append(
            (
                d,
                _build_day(
                    d,
                    model,
                    tz=zone,
                    origin=origin,
                    codes=codes,
                    known=known,
                    r=replications,
                    rngs=rngs,
                    snapshot=snapshot,
                ),
            )
        )
    return [(d, b) for d, b in built if b.halves], codes, origin
