"""Fit a site's model from plain visit records (any source), shrunk toward service defaults.

Shrinkage is conjugate-style: each estimate is a weighted average of the
prior and the data, the prior counting as `prior_weight` observations, so a
service with few visits keeps close to its default duration and one with
hundreds follows its history.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from .model import (
    DEFAULT_LATENESS_MEAN_MINUTES,
    DEFAULT_LATENESS_SD_MINUTES,
    DEFAULT_NO_SHOW_RATE,
    FALLBACK_SERVICE_MINUTES,
    HALF_HOURS_PER_DAY,
    PRIOR_OPENINGS,
    PRIOR_WEEKS,
    FittedModel,
    LatenessModel,
    ServiceTimeModel,
    half_hour_of,
)
from .snapshot import TicketKind

LATENESS_CLIP_MINUTES = 120.0
"""Check-in offsets beyond ±2 h are clipped: they are data errors or other visits."""

WALK_IN_KINDS = frozenset({"walk_in", "remote"})


@dataclass(frozen=True, slots=True)
class VisitRecord:
    """One past visit. Datetimes are timezone-aware (UTC); the site's zone is given to `fit`.

    `joined_at`: when the ticket joined the line (kiosk or remote join, or
    appointment check-in); None for an appointment that never came.
    `appointment_at`: the booked time, None for walk-ins and remote joins.
    `called_at`/`started_at`/`completed_at`: None when the visit did not get there.
    `no_show`: an appointment that never checked in.
    """

    service_code: str
    kind: TicketKind
    joined_at: datetime | None
    appointment_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    no_show: bool = False


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60.0


def _shrunk_service(prior: ServiceTimeModel, durations: list[float], weight: float) -> ServiceTimeModel:
    logs = np.log(np.asarray(durations, dtype=float))
    n = logs.size
    if n == 0:
        return prior
    mu = (weight * prior.mu + n * float(logs.mean())) / (weight + n)
    var = (weight * prior.sigma**2 + n * float(logs.var())) / (weight + n)
    return ServiceTimeModel(mu=mu, sigma=math.sqrt(var), n_observations=n)


def _weekday_counts(start: date, end: date) -> list[int]:
    counts = [0] * 7
    days = (end - start).days + 1
    for i in range(max(days, 0)):
        counts[(start + timedelta(days=i)).weekday()] += 1
    return counts


def fit(
    records: Iterable[VisitRecord],
    *,
    service_defaults: dict[str, float],
    tz: str = "UTC",
    prior_weight: float = 20.0,
    cv: float = 0.4,
    no_show_prior: float = DEFAULT_NO_SHOW_RATE,
    period: tuple[date, date] | None = None,
    fitted_at: datetime | None = None,
    prior_walk_in_rate_per_hour: tuple[tuple[float, ...], ...] | None = None,
    closure_starts: Iterable[datetime] = (),
    opening_starts: Iterable[datetime] = (),
) -> FittedModel:
    """The site model from `records`.

    - service time per service: lognormal fitted to log(completed - started),
      shrunk toward the default mean (`service_defaults`, minutes) with `cv`;
    - no-show rate among appointments, shrunk toward `no_show_prior`;
    - lateness: normal fitted to check-in minus appointment time (clipped to
      ±2 h), shrunk toward mean -15, sd 10 minutes;
    - walk-in (and remote join) arrivals per hour by weekday and half hour in
      site local time `tz`, averaged over `period` (inclusive local dates;
      default: first to last local date seen in the records);
    - walk-in service mix, shrunk toward an even split over the defaults;
    - closure overruns: for each past closure inside a day (`closure_starts`,
      UTC instants a midday closure began) when staff were calling just
      before it, how many minutes after it began they still called someone
      (`closure_overrun`);
    - opening delays: for each past opening or reopening (`opening_starts`)
      with someone already in line, the minutes to the first call
      (`opening_delay`).
    Every prior counts as `prior_weight` observations, except the arrival
    profile's: `prior_walk_in_rate_per_hour` (`prior_walk_in_profile`) counts
    as `PRIOR_WEEKS` observed days of each weekday. History starts at the
    first local date seen in the records (days before the site's first visit
    are not history): `history_days` counts from there to the period's end.
    """
    records = list(records)
    zone = ZoneInfo(tz)
    k = prior_weight

    priors = {code: ServiceTimeModel.from_mean(mean, cv) for code, mean in service_defaults.items()}
    fallback_mean = (
        float(np.mean(list(service_defaults.values()))) if service_defaults else FALLBACK_SERVICE_MINUTES
    )
    durations: dict[str, list[float]] = defaultdict(list)
    for rec in records:
        if rec.started_at is not None and rec.completed_at is not None:
            minutes = _minutes(rec.completed_at - rec.started_at)
            if minutes > 0:
                durations[rec.service_code].append(minutes)
    services = {}
    for code in sorted(set(priors) | set(durations)):
        prior = priors.get(code) or ServiceTimeModel.from_mean(fallback_mean, cv)
        services[code] = _shrunk_service(prior, durations.get(code, []), k)

    appointments = [r for r in records if r.kind == "appointment" and r.appointment_at is not None]
    no_shows = sum(1 for r in appointments if r.no_show)
    no_show_rate = (k * no_show_prior + no_shows) / (k + len(appointments))

    offsets = np.clip(
        np.array(
            [
                _minutes(r.joined_at - r.appointment_at)
                for r in appointments
                if not r.no_show and r.joined_at is not None and r.appointment_at is not None
            ],
            dtype=float,
        ),
        -LATENESS_CLIP_MINUTES,
        LATENESS_CLIP_MINUTES,
    )
    n_off = offsets.size
    if n_off:
        late_mean = (k * DEFAULT_LATENESS_MEAN_MINUTES + n_off * float(offsets.mean())) / (k + n_off)
        late_var = (k * DEFAULT_LATENESS_SD_MINUTES**2 + n_off * float(offsets.var())) / (k + n_off)
        lateness = LatenessModel(late_mean, math.sqrt(late_var), n_off)
    else:
        lateness = LatenessModel()

    local_dates = [
        t.astimezone(zone).date() for r in records for t in (r.joined_at, r.appointment_at) if t is not None
    ]
    if period is None:
        period = (
            (min(local_dates), max(local_dates))
            if local_dates
            else (date.today(), date.today() - timedelta(1))
        )
    if local_dates and min(local_dates) > period[0]:
        period = (min(local_dates), period[1])
    elif not local_dates:
        period = (period[1] + timedelta(days=1), period[1])  # no history at all
    days_per_weekday = _weekday_counts(*period)
    counts = np.zeros((7, HALF_HOURS_PER_DAY))
    walk_in_services: Counter[str] = Counter()
    for rec in records:
        if rec.kind in WALK_IN_KINDS and rec.joined_at is not None:
            local = rec.joined_at.astimezone(zone)
            if period[0] <= local.date() <= period[1]:
                counts[local.weekday(), half_hour_of(local)] += 1
                walk_in_services[rec.service_code] += 1
    days = np.array(days_per_weekday, dtype=float)[:, None]
    rates = np.divide(counts, days * 0.5, out=np.zeros_like(counts), where=days > 0)
    if prior_walk_in_rate_per_hour is not None:
        prior_rates = np.asarray(prior_walk_in_rate_per_hour, dtype=float)
        rates = (days * rates + PRIOR_WEEKS * prior_rates) / (days + PRIOR_WEEKS)

    prior_share = 1.0 / len(service_defaults) if service_defaults else 0.0
    mix_codes = sorted(set(service_defaults) | set(walk_in_services))
    raw = {c: k * (prior_share if c in service_defaults else 0.0) + walk_in_services[c] for c in mix_codes}
    total = sum(raw.values())
    mix = {c: v / total for c, v in raw.items()} if total > 0 else {}

    return FittedModel(
        services=services,
        no_show_rate=no_show_rate,
        no_show_observations=len(appointments),
        lateness=lateness,
        walk_in_rate_per_hour=tuple(tuple(float(x) for x in day) for day in rates),
        walk_in_service_mix=mix,
        fitted_at=fitted_at or datetime.now(UTC),
        history_days=max((period[1] - period[0]).days + 1, 0),
        closure_overrun_minutes=closure_overrun(records, closure_starts),
        opening_delay_minutes=opening_delay(records, opening_starts),
        opening_delay_prior_weight=PRIOR_OPENINGS,
    )


OVERRUN_WINDOW_MINUTES = 30.0
"""How far before and after a closure's start calls tell whether, and how long, staff kept calling."""


def closure_overrun(records: Sequence[VisitRecord], closure_starts: Iterable[datetime]) -> tuple[float, ...]:
    """Minutes staff kept calling after each past closure began (0: stopped on time), in closure order.

    Only closures with a call in the `OVERRUN_WINDOW_MINUTES` before them
    count: with nobody to call, stopping on time says nothing.
    """
    calls = sorted(r.called_at for r in records if r.called_at is not None)
    window = timedelta(minutes=OVERRUN_WINDOW_MINUTES)
    overruns = []
    for start in sorted(closure_starts):
        first_before, first_at, first_past = (
            bisect_left(calls, t) for t in (start - window, start, start + window)
        )
        if first_before == first_at:
            continue  # nobody called just before: the closure says nothing of habits
        overruns.append(_minutes(calls[first_past - 1] - start) if first_past > first_at else 0.0)
    return tuple(overruns)


OPENING_DELAY_CLIP_MINUTES = 60.0


def opening_delay(records: Sequence[VisitRecord], opening_starts: Iterable[datetime]) -> tuple[float, ...]:
    """Minutes from each past (re)opening to its first call, when someone was already in line; in order.

    Someone in line: a ticket joined by the opening and called after it. Its
    first call is when the first station really opened (clipped to an hour).
    """
    waiting = [
        (r.joined_at, r.called_at) for r in records if r.joined_at is not None and r.called_at is not None
    ]
    calls = sorted(called for _, called in waiting)
    delays = []
    for start in sorted(opening_starts):
        if not any(joined <= start <= called for joined, called in waiting):
            continue
        first = calls[bisect_left(calls, start)]
        delays.append(min(_minutes(first - start), OPENING_DELAY_CLIP_MINUTES))
    return tuple(delays)
