"""A busy synthetic site and a timer for `estimate` (benchmarks print figures; tests do not time)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from .model import FittedModel
from .montecarlo import estimate
from .snapshot import (
    InService,
    SiteSnapshot,
    StaffingBlock,
    StationState,
    TicketKind,
    UpcomingAppointment,
    WaitingTicket,
)

SERVICE_DEFAULTS = {"DRAW": 8.0, "UDS": 12.0, "GTT": 15.0, "PED": 14.0}

DEMO_SIZE = (8, 60)
"""(stations, waiting) of the demo-sized site `busy_site()`."""

LINE_SIZES = ((3, 30), (10, 150), (20, 400), (40, 800))
"""(stations, waiting) of the synthetic lines that show how the cost grows with the line."""


def busy_site(waiting: int = 60, stations: int = 8) -> SiteSnapshot:
    """A site at 10:00 UTC: `stations` busy stations, `waiting` tickets, appointments and a plan."""
    now = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)
    codes = list(SERVICE_DEFAULTS)
    all_skills = frozenset(codes)
    station_states = [
        StationState(
            station_id=f"S{i}",
            skills=all_skills if i % 3 else frozenset({"DRAW", "UDS"}),
            busy_with=InService(1000 + i, codes[i % 2], now - timedelta(minutes=3 + i)),
        )
        for i in range(stations)
    ]
    tickets = []
    kinds: tuple[TicketKind, ...] = ("walk_in", "remote", "appointment")
    for i in range(waiting):
        kind = kinds[i % 3]
        tickets.append(
            WaitingTicket(
                ticket_id=i + 1,
                service_code=codes[i % len(codes)],
                kind=kind,
                joined_at=now - timedelta(minutes=waiting - i),
                priority=i % 17 == 0,
                present=not (kind == "remote" and i % 2),
                appointment_at=now + timedelta(minutes=i % 25 - 10) if kind == "appointment" else None,
                expected_arrival_at=now + timedelta(minutes=10) if kind == "remote" and i % 2 else None,
            )
        )
    upcoming = [
        UpcomingAppointment(f"A{i}", codes[i % 2], now + timedelta(minutes=10 * i + 5)) for i in range(12)
    ]
    staffing = [
        StaffingBlock(now - timedelta(hours=2), now + timedelta(hours=1), stations),
        StaffingBlock(now + timedelta(hours=1), now + timedelta(hours=2), stations // 2),
        StaffingBlock(now + timedelta(hours=2), now + timedelta(hours=6), stations),
    ]
    return SiteSnapshot(
        now=now,
        stations=station_states,
        waiting=tickets,
        closes_at=now + timedelta(hours=6),
        upcoming_appointments=upcoming,
        staffing=staffing,
    )


def time_estimate(
    replications: int = 1000, repeats: int = 7, *, waiting: int = 60, stations: int = 8
) -> float:
    """Median wall time in seconds of `estimate` on `busy_site(waiting, stations)`."""
    snapshot = busy_site(waiting, stations)
    model = FittedModel.from_defaults(SERVICE_DEFAULTS)
    estimate(snapshot, model, replications=replications)  # warm up
    timings = []
    for seed in range(repeats):
        start = time.perf_counter()
        estimate(snapshot, model, replications=replications, seed=seed)
        timings.append(time.perf_counter() - start)
    return sorted(timings)[len(timings) // 2]


def time_reference_operation(repeats: int = 7) -> float:
    """Median wall time in seconds of a fixed numpy operation (sorting 10⁶ floats).

    Timed in the same run as the estimates so that figures taken on a busy,
    shared machine can be compared as ratios.
    """
    values = np.random.default_rng(0).random(1_000_000)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.sort(values)
        timings.append(time.perf_counter() - start)
    return sorted(timings)[len(timings) // 2]


@dataclass(frozen=True, slots=True)
class SizeTiming:
    stations: int
    waiting: int
    seconds: float

    @property
    def microseconds_per_waiting(self) -> float:
        return self.seconds * 1e6 / self.waiting


def time_sizes(replications: int = 1000, *, budget_seconds: float = 2.0) -> list[SizeTiming]:
    """Median time per estimate for the demo site and each of `LINE_SIZES` (3 to 7 repeats each)."""
    out = []
    for stations, waiting in (DEMO_SIZE, *LINE_SIZES):
        first = time_estimate(replications, repeats=1, waiting=waiting, stations=stations)
        repeats = int(min(7, max(3, budget_seconds / max(first, 1e-9))))
        seconds = time_estimate(replications, repeats=repeats, waiting=waiting, stations=stations)
        out.append(SizeTiming(stations, waiting, seconds))
    return out
