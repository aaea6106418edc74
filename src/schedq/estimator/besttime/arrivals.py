"""Who arrives on a day, drawn per replication: Poisson walk-ins and booked appointments."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from .._normal import norm_sf, normal_above
from ..model import FittedModel
from .grid import HalfHour
from .keys import appointment_keys, minutes_after, walk_in_key
from .plan import DayPlan

_INF = math.inf


def draw_walk_ins(
    halves: list[HalfHour],
    model: FittedModel,
    weekday: int,
    codes: dict[str, int],
    r: int,
    count_rng: np.random.Generator,
    mix_rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson walk-in arrivals per half hour (uniform inside it) and their services; (R, N) padded with inf."""
    open_halves = [h for h in halves if h.walk_in_start is not None]
    rates = np.array([model.walk_in_rate_at(weekday, h.local_half_hour) for h in open_halves])
    spans = np.array(
        [
            h.walk_in_end - h.walk_in_start
            for h in open_halves
            if h.walk_in_start is not None and h.walk_in_end is not None
        ]
    )
    lam = rates * spans / 60.0  # uniform within the half hour: only the part still open counts
    for h, expected in zip(open_halves, lam):
        h.expected = float(expected)
    if not open_halves:
        return np.full((r, 0), _INF), np.zeros((r, 0), dtype=np.intp)
    counts = count_rng.poisson(np.maximum(lam, 0.0), size=(r, len(open_halves)))
    n = int(counts.sum(axis=1).max())
    # (R, N) half hour of each row's k-th arrival; len(open_halves) past the row's last arrival.
    which = np.full((r, n), len(open_halves))
    per_row = counts.sum(axis=1)
    row_of = np.repeat(np.arange(r), per_row)
    column_of = np.arange(row_of.size) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    which[row_of, column_of] = np.repeat(np.tile(np.arange(len(open_halves)), r), counts.ravel())
    real = which < len(open_halves)
    which = np.minimum(which, len(open_halves) - 1)
    starts = np.array([h.walk_in_start for h in open_halves])
    arrival = np.where(real, starts[which] + count_rng.random((r, n)) * spans[which], _INF)
    mix = {c: w for c, w in model.walk_in_service_mix.items() if w > 0} or dict.fromkeys(model.services, 1.0)
    mix_codes = sorted(mix)
    if mix_codes:
        p = np.array([mix[c] for c in mix_codes])
        draws = mix_rng.choice(len(mix_codes), size=(r, n), p=p / p.sum())
        code = np.array([codes[c] for c in mix_codes])[draws]
    else:
        code = np.zeros((r, n), dtype=np.intp)
    return arrival, code


def draw_appointments(
    day: DayPlan,
    model: FittedModel,
    origin: datetime,
    codes: dict[str, int],
    r: int,
    rng: np.random.Generator,
    after: datetime | None,
) -> tuple[np.ndarray, ...]:
    """Columns of booked appointments: arrival (inf for no-shows), keys, due time, service.

    With `after` (today's now), an appointment not checked in yet has its
    no-show chance and lateness conditioned on not having come by then.
    """
    booked = sorted(day.appointments, key=lambda a: (a.appointment_at, a.service_code))
    n = len(booked)
    arrival, kb, kd, due = (np.empty((r, n)) for _ in range(4))
    code = np.empty((r, n), dtype=np.intp)
    late = model.lateness
    sd = max(late.sd_minutes, 1e-9)
    walk_in_base = walk_in_key()
    for j, a in enumerate(booked):
        at = minutes_after(a.appointment_at, origin)
        lower = -_INF if after is None else minutes_after(after, origin) - at
        still = (1.0 - model.no_show_rate) * (
            norm_sf((lower - late.mean_minutes) / sd) if math.isfinite(lower) else 1.0
        )
        p_no_show = model.no_show_rate / (model.no_show_rate + still) if still > 0 else 1.0
        u_show, u_when = rng.random(r), rng.random(r)
        offset = normal_above(late.mean_minutes, late.sd_minutes, lower, u_when)
        arrival[:, j] = np.where(u_show < p_no_show, _INF, at + offset)
        before, when_due = appointment_keys(a.appointment_at, origin)
        # Beyond the grace minutes it joins the walk-in line at its check-in time
        # (policy.is_late_check_in, applied to every replication's offset at once).
        is_late = offset > day.grace_minutes
        walk_in = walk_in_base + arrival[:, j]
        kb[:, j] = np.where(is_late, walk_in, before)
        kd[:, j] = np.where(is_late, walk_in, when_due)
        due[:, j] = np.where(is_late, _INF, at)
        code[:, j] = codes[a.service_code]
    return arrival, kb, kd, due, code
