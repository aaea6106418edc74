"""Best time to come: the expected wait in each half hour of today and the next six days, renewed every 5 minutes.

Each half hour also carries the appointments booked for it (`booked_appointments`),
counted when the answer is built: the answer is shared per renewal (README:
shared estimates and caching), so a booking shows at the next renewal.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from schedq import estimator
from schedq.db.models import Appointment, Site
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import AppointmentStatus
from schedq.domain.messages import messages
from schedq.domain.site_status import SiteStatus
from schedq.services.estimates.models import current_model
from schedq.services.estimates.snapshot import build_snapshot, staffing_blocks
from schedq.services.estimates.states import shared, site_state
from schedq.services.sites import closures_of, hours_of, load_site, status_of, walk_in_service

BEST_TIME_DAYS = 7
BEST_TIME_REPLICATIONS = 200
BEST_TIME_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class BestTimes:
    site_id: int
    timezone: str
    service: str
    at: datetime
    status: SiteStatus
    half_hours: list[dict[str, Any]]
    best: list[dict[str, Any]]
    stale: bool = False  # the previous renewal's, served while another worker makes this one
    estimate_age_seconds: float = 0.0  # 0, or how long ago that previous renewal was made

    @property
    def estimate_as_of(self) -> datetime:
        """The instant the waits were made for (README: shared estimates and caching)."""
        return self.at


def half_hour_view(
    wait: estimator.HalfHourWait, timezone_name: str, booked_appointments: int
) -> dict[str, Any]:
    def minutes(value: float | None) -> float | None:
        return None if value is None or value == float("inf") else round(value, 1)

    message = None
    if wait.open_for_walk_ins and wait.p10 is not None and wait.p90 is not None:
        message = messages(
            wait.p10,
            wait.p90,
            runs_past_close=wait.runs_past_close,
            no_station_can_serve=wait.no_station_can_serve,
            newcomer=True,
        )
    return {
        "starts_at": wait.starts_at,
        "ends_at": wait.ends_at,
        "timezone": timezone_name,
        "open_for_walk_ins": wait.open_for_walk_ins,
        "p10_minutes": minutes(wait.p10),
        "p50_minutes": minutes(wait.p50),
        "p90_minutes": minutes(wait.p90),
        "mean_minutes": minutes(wait.mean),
        "expected_walk_ins": round(wait.expected_walk_ins, 2),
        "booked_appointments": booked_appointments,
        "thin_history": wait.thin_history,
        "history_days": wait.history_days,
        "message": message,
    }


def day_plan(uow: UnitOfWork, site: Site, day: date) -> estimator.DayPlan:
    """What the site knows of local `day`: hours, capacity plan, stations and bookings."""
    tz = schedule.zone(site.timezone)
    start = schedule.local_instant(day, datetime.min.time(), tz)
    end = schedule.local_instant(day + timedelta(days=1), datetime.min.time(), tz)
    booked = uow.session.scalars(
        select(Appointment)
        .where(
            Appointment.site_id == site.id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return estimator.DayPlan(
        local_date=day,
        opening_intervals=tuple(schedule.opening_intervals(day, hours_of(site), tz, closures_of(site))),
        staffing=tuple(staffing_blocks(site, day)),
        station_skills=tuple(s.skills for s in sorted(site.stations, key=lambda s: s.id)),
        appointments=tuple(estimator.BookedAppointment(a.starts_at, a.service.code) for a in booked),
        walk_in_cutoff_minutes=site.walk_in_cutoff_minutes,
        grace_minutes=site.grace_minutes,
    )


def booked_counts(uow: UnitOfWork, site: Site, half_hours: Sequence[estimator.HalfHourWait]) -> list[int]:
    """For each half hour, the site's appointments booked at a time inside it, at any service, not cancelled.

    The load a walk-in shares the stations with: appointments checked in,
    served or missed since still count, as they were booked for that time.
    """
    if not half_hours:
        return []
    times = sorted(
        uow.session.scalars(
            select(Appointment.starts_at).where(
                Appointment.site_id == site.id,
                Appointment.status != AppointmentStatus.CANCELLED,
                Appointment.starts_at >= min(h.starts_at for h in half_hours),
                Appointment.starts_at < max(h.ends_at for h in half_hours),
            )
        )
    )
    return [bisect_left(times, h.ends_at) - bisect_left(times, h.starts_at) for h in half_hours]


def best_times_instant(now: datetime) -> datetime:
    """`now` rounded down to `BEST_TIME_RESOLUTION`: the instant best times are made for."""
    return now - (now - datetime.min.replace(tzinfo=now.tzinfo)) % BEST_TIME_RESOLUTION


def best_times(uow: UnitOfWork, *, site_id: int, service_code: str, now: datetime) -> BestTimes:
    """The expected wait for a walk-in arriving in each half hour of today and the next six days."""
    with uow:
        site = load_site(uow, site_id)
        walk_in_service(uow, site, service_code)
        at = best_times_instant(now)
        tz = schedule.zone(site.timezone)
        today = schedule.local_day(at, tz)

        def compute() -> dict[str, Any]:
            return _compute_best_times(uow, site, service_code, at, today)

        stored = shared(
            uow,
            site_id=site.id,
            kind=f"best/{service_code}",
            state=site_state(uow, site.id, at, with_version=False),
            compute=compute,
            now=now,
            stale_ok=True,
        )
        return BestTimes(
            **stored.payload,
            status=status_of(uow, site, at),
            stale=not stored.fresh,
            estimate_age_seconds=0.0 if stored.fresh else round(stored.age_seconds(now), 1),
        )


def _compute_best_times(
    uow: UnitOfWork, site: Site, service_code: str, at: datetime, today: date
) -> dict[str, Any]:
    """Run the best-times search from the site's state at `at`, as a JSON payload."""
    plans = tuple(day_plan(uow, site, today + timedelta(days=n)) for n in range(BEST_TIME_DAYS))
    snapshot = build_snapshot(uow, site, at)
    model = current_model(uow, site)
    half_hours = estimator.best_times(
        plans,
        model,
        service_code=service_code,
        tz=site.timezone,
        replications=BEST_TIME_REPLICATIONS,
        seed=site.id,
        today_snapshot=snapshot,
    )
    ranked = sorted(
        (
            (round(h.p90), h.starts_at, h)
            for h in half_hours
            if h.open_for_walk_ins and h.p90 is not None and h.p90 != float("inf")
        ),
        key=lambda ranked_one: ranked_one[:2],
    )
    best = sorted((h for *_, h in ranked[:3]), key=lambda h: h.starts_at)
    booked = dict(zip((h.starts_at for h in half_hours), booked_counts(uow, site, half_hours), strict=True))
    return {
        "site_id": site.id,
        "timezone": site.timezone,
        "service": service_code,
        "at": at,
        "half_hours": [half_hour_view(h, site.timezone, booked[h.starts_at]) for h in half_hours],
        "best": [half_hour_view(h, site.timezone, booked[h.starts_at]) for h in best],
    }
