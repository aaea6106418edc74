"""The answer: `best_times`, one `HalfHourWait` a half hour summarised from the probes' waits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np

from ..model import FittedModel
from ..quantiles import column_quantiles
from ..snapshot import SiteSnapshot
from .days import build_days
from .keys import minutes_after
from .plan import DayPlan
from .play import simulate

_INF = math.inf


@dataclass(frozen=True, slots=True)
class HalfHourWait:
    """The wait until called (minutes) of a walk-in arriving in [starts_at, ends_at).

    A local half hour of the site (UTC instants). `open_for_walk_ins` is False
    for half hours inside the day's opening span where no walk-in can join
    (lunch, past the cut-off): their figures are None. For today's current
    half hour the arrival is between now and `ends_at`. Figures are `inf`
    when in some replications the patient is never called;
    `no_station_can_serve`: no station of the day's plan has the skill.
    `runs_past_close`: the 90th percentile of the call time falls after the
    day's closing. `expected_walk_ins`: walk-ins the arrival profile expects
    to join in the half hour (the part still to come, for the current one).
    `thin_history`/`history_days`: as in `WaitEstimate`.
    """

    local_date: date
    starts_at: datetime
    ends_at: datetime
    open_for_walk_ins: bool
    p10: float | None = None
    p50: float | None = None
    p90: float | None = None
    mean: float | None = None
    expected_walk_ins: float = 0.0
    runs_past_close: bool = False
    no_station_can_serve: bool = False
    thin_history: bool = False
    history_days: int | None = None


def _quantiles(minutes: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles per column; "never called" (inf) stands in as a huge value, then reads inf."""
    return column_quantiles(minutes, q)


def _summarise(wait: np.ndarray) -> tuple[np.ndarray, ...]:
    p10, p50, p90 = _quantiles(wait, [0.1, 0.5, 0.9])
    finite = np.isfinite(wait)
    mean = np.where(finite.all(axis=0), np.where(finite, wait, 0.0).mean(axis=0), _INF)
    return p10, p50, p90, mean


def best_times(
    days: Sequence[DayPlan],
    model: FittedModel,
    *,
    service_code: str,
    tz: str | ZoneInfo = "UTC",
    replications: int = 200,
    seed: int | np.random.Generator = 0,
    today_snapshot: SiteSnapshot | None = None,
) -> list[HalfHourWait]:
    """Expected wait of a `service_code` walk-in arriving in each half hour of `days`.

    `days` are local days of the site in zone `tz` (usually the rest of today
    and the next six). With `today_snapshot`, the day whose `local_date` is
    the snapshot's local date starts from that state at `snapshot.now`: its
    waiting tickets, stations open now (in service since when) and upcoming
    appointments replace the day plan's stations and bookings, the plan's
    `staffing` (else the snapshot's) applies from the end of the current
    block, and only half hours ending after now are reported. Other days start
    empty at their first opening. Same inputs and integer seed give identical
    results; each day has its own random streams, so changing one day's plan
    leaves the others' figures unchanged.
    """
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    built, codes, origin = build_days(days, model, service_code, zone, replications, seed, today_snapshot)
    if not built:
        return []
    waits = simulate([b for _, b in built], codes, service_code)

    out: list[HalfHourWait] = []
    for (d, b), wait in zip(built, waits):
        can_serve = any(service_code in skills and iv for skills, iv in zip(b.slot_skills, b.open_intervals))
        p10, p50, p90, mean = _summarise(wait)
        assert d.closes_at is not None and origin is not None  # a day with half hours has opening intervals
        closes_in = minutes_after(d.closes_at, origin)
        call_p90 = _quantiles(wait + b.probe_at, [0.9])[0]
        for i, h in enumerate(b.halves):
            if h.walk_in_start is None:
                out.append(
                    HalfHourWait(
                        d.local_date,
                        h.starts_at,
                        h.ends_at,
                        open_for_walk_ins=False,
                        thin_history=model.thin_history,
                        history_days=model.history_days,
                    )
                )
                continue
            late = bool(call_p90[i] > closes_in)
            out.append(
                HalfHourWait(
                    d.local_date,
                    h.starts_at,
                    h.ends_at,
                    open_for_walk_ins=True,
                    p10=float(p10[i]),
                    p50=float(p50[i]),
                    p90=float(p90[i]),
                    mean=float(mean[i]),
                    expected_walk_ins=h.expected,
                    runs_past_close=late,
                    no_station_can_serve=not can_serve,
                    thin_history=model.thin_history,
                    history_days=model.history_days,
                )
            )
    return out
