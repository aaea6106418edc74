"""A busy synthetic site and a timer for `estimate` (benchmarks print figures; tests do not time)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from .besttime.plan import BookedAppointment, DayPlan
from .besttime.waits import best_times
from .model import FittedModel, prior_walk_in_profile
from .montecarlo import estimate, simulation_setup
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


BEST_TIME_DAYS = 7
BEST_TIME_REPLICATIONS = 200
"""What the service asks `best_times` for (the rest of today and six more days, 200 replications)."""


def busy_site_days(stations: int = 8) -> tuple[list[DayPlan], FittedModel, SiteSnapshot]:
    """`busy_site()`'s week for `best_times`: open 07:00–17:00 UTC with its staffing dip each day, walk-ins
    at 80 % of the plan's capacity, eight booked appointments a day, and today's live snapshot."""
    today = busy_site(stations=stations)
    day0 = today.now.replace(hour=0, minute=0)
    codes = list(SERVICE_DEFAULTS)
    plans = []
    for n in range(BEST_TIME_DAYS):
        midnight = day0 + timedelta(days=n)

        def at(hours: float, midnight: datetime = midnight) -> datetime:
            return midnight + timedelta(hours=hours)

        plans.append(
            DayPlan(
                local_date=midnight.date(),
                opening_intervals=((at(7), at(17)),),
                staffing=(
                    StaffingBlock(at(7), at(11), stations),
                    StaffingBlock(at(11), at(12), stations // 2),
                    StaffingBlock(at(12), at(17), stations),
                ),
                station_skills=tuple(s.skills for s in today.stations),
                appointments=tuple(BookedAppointment(at(8 + k), codes[k % len(codes)]) for k in range(8)),
                walk_in_cutoff_minutes=30,
            )
        )
    mean = sum(SERVICE_DEFAULTS.values()) / len(SERVICE_DEFAULTS)
    planned = [[float(stations) if 14 <= h < 34 else 0.0 for h in range(48)] for _ in range(7)]
    model = FittedModel.from_defaults(
        SERVICE_DEFAULTS, walk_in_rate_per_hour=prior_walk_in_profile(planned, mean, 0.8)
    )
    return plans, model, today


def best_times_cpu_seconds(stations: int = 8, repeats: int = 3) -> float:
    """Median CPU seconds of one site's best times (a week, 200 replications) on `busy_site_days`."""
    plans, model, today = busy_site_days(stations)

    def run(seed: int) -> None:
        best_times(
            plans,
            model,
            service_code="DRAW",
            replications=BEST_TIME_REPLICATIONS,
            seed=seed,
            today_snapshot=today,
        )

    run(0)  # warm up (compiling)
    timings = []
    for seed in range(repeats):
        start = time.process_time()
        run(seed)
        timings.append(time.process_time() - start)
    return sorted(timings)[len(timings) // 2]


def cpu_per_estimate(
    stations: int, waiting: int, replications: int = 1000, repeats: int = 5, *, stop_when_stable: bool = True
) -> tuple[float, float, int]:
    """On `busy_site(waiting, stations)`: median CPU seconds (`time.process_time`) of a cold `estimate`,
    median CPU seconds of drawing its inputs (`simulation_setup`), and the replications it played."""
    snapshot = busy_site(waiting, stations)
    model = FittedModel.from_defaults(SERVICE_DEFAULTS)
    services = sorted(SERVICE_DEFAULTS)
    estimate(snapshot, model, replications=replications)  # warm up (compiling)
    whole: list[float] = []
    inputs: list[float] = []
    played: list[float] = []
    for seed in range(repeats):
        start = time.process_time()
        result = estimate(
            snapshot, model, replications=replications, seed=seed, stop_when_stable=stop_when_stable
        )
        whole.append(time.process_time() - start)
        played.append(result.replications)
        start = time.process_time()
        simulation_setup(snapshot, model, replications=replications, seed=seed, newcomer_services=services)
        inputs.append(time.process_time() - start)

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    return median(whole), median(inputs), int(median(played))


def cpu_reference_operation(repeats: int = 7) -> float:
    """Median CPU seconds of a fixed numpy operation (sorting 10⁶ floats): the yardstick of a run."""
    values = np.random.default_rng(0).random(1_000_000)
    timings = []
    for _ in range(repeats):
        start = time.process_time()
        np.sort(values)
        timings.append(time.process_time() - start)
    return sorted(timings)[len(timings) // 2]


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
