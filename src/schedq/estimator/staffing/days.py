"""A weekday drawn many times, and any station plan played on those same draws (common random numbers).

The day is drawn once by the best-times simulator (`besttime.days.build_days`):
walk-ins from the fitted arrival profile, the expected booked appointments
with the model's no-shows and lateness, every patient's service time. Each
candidate plan only changes which station slots are open when, so two plans
are compared on exactly the same patients, and the compiled loop plays each
row until its line is served (`besttime.play.run_out`).

A patient's wait runs from arrival to the call; an appointment that comes
early waits from its appointment time (being early is not the site's delay),
one later than the grace minutes waits from arrival like a walk-in.

The learned arrival rate is an estimate, and days differ more than a Poisson
process says: each simulated day's walk-in rate is the model's times a draw
of mean 1 (`walk_in_rate_variance`, from the past days' walk-in counts). The
day is drawn at a higher rate and each walk-in kept with the day's share of
it (thinning a Poisson process), so every plan still sees the same patients.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ..besttime.days import build_days
from ..besttime.grid import HalfHour
from ..besttime.keys import minutes_after
from ..besttime.plan import BookedAppointment, DayPlan
from ..besttime.play import run_arrays, run_out
from ..besttime.stations import future_plan
from ..model import PRIOR_WEEKS, FittedModel
from ..snapshot import StaffingBlock

_INF = math.inf

OVERDISPERSION_Z = 1.645
"""Past days' walk-ins count as more spread than Poisson above the 95th percentile of Poisson's dispersion index."""

RATE_DRAW_Z = 3.09
"""A day's walk-in rate multiplier is drawn at most up to its law's 99.9th percentile (z = 3.09), the thinning's ceiling."""


def walk_in_rate_variance(walk_ins_per_day: Sequence[int]) -> float:
    """The variance of a day's walk-in rate around the learned one (as a multiple, mean 1), from past days.

    Two parts, from the walk-ins counted on each past day of the weekday the
    model was fitted on:

    - the learned mean's own uncertainty: its squared standard error over its
      square, the counts' variance over the number of days, never below
      Poisson's (the posterior of a Poisson rate given `total` arrivals, a
      gamma of shape `total`, variance 1 / total as a multiple of its mean):
      the simulated days are Poisson around their rate, so a day's count
      varies at least that much, and a few days that happen to spread less
      say little;
    - the day-to-day spread beyond Poisson (the counts' variance less their
      mean, over the mean squared), counted only when the counts show it: when
      their dispersion index is above what a Poisson process gives on 19 sets
      of past days in 20 (`OVERDISPERSION_Z`); a few days' variance is noisy,
      and a spread that is only noise would plan stations for nothing.

    Independent multipliers of mean 1 with variances a and b multiply to
    variance a + b + ab. No past walk-ins: 0 (nothing observed says how far
    off the prior profile is).
    """
    counts = np.asarray(walk_ins_per_day, dtype=float)
    total = float(counts.sum())
    if counts.size == 0 or total <= 0:
        return 0.0
    mean_uncertainty = 1.0 / total
    overdispersion = 0.0
    if counts.size > 1:
        mean = total / counts.size
        spread = float(counts.var(ddof=1))
        mean_uncertainty = max(spread / counts.size / mean**2, 1.0 / total)  # Poisson's floor, exactly
        free = counts.size - 1
        # Under Poisson, free * spread / mean is chi-square with `free` degrees (Wilson and Hilferty).
        ninth = 2.0 / (9.0 * free)
        poisson_top = (1.0 - ninth + OVERDISPERSION_Z * math.sqrt(ninth)) ** 3
        if spread / mean > poisson_top:
            overdispersion = (spread - mean) / mean**2
    return mean_uncertainty + overdispersion + mean_uncertainty * overdispersion


def pooled_walk_in_shape(
    model: FittedModel,
    weekday: int,
    half_hour_counts: Sequence[Sequence[int]],
    days: Sequence[int],
) -> tuple[float, ...]:
    """The share of `weekday`'s walk-ins that come in each local half hour, from the site's own history.

    `half_hour_counts[i]`: walk-ins per local half hour summed over the past
    open days (`days[i]` of them) of a weekday with the same opening hours
    as `weekday`; row 0 is `weekday` itself. Empirical Bayes (docs/staffing.md
    "The walk-in profile's shape"):

    - the pooled shape: all rows' counts together, plus the model's own
      profile for `weekday` worth `PRIOR_WEEKS` days at the pooled days' mean
      level (a thin history leans on the model, as the fit does);
    - how far weekdays' shapes differ: the rows' chi-square against the
      pooled shares over its degrees of freedom (a Dirichlet-multinomial's
      dispersion, (n + k) / (1 + k) for weekdays of n walk-ins each and a
      spread worth k walk-ins). Below the 95th percentile of what shared shapes give
      (`OVERDISPERSION_Z`) the weekdays share one shape (k infinite);
      above it, k from the dispersion;
    - `weekday`'s shape: its own counts plus k walk-ins' worth of the pooled
      shape. A weekday whose shape differs keeps its own as its data grows.

    Empty when there are no counts or no profile (the model's shape stands).
    """
    if not half_hour_counts or not days or days[0] <= 0:
        return ()
    counts = np.asarray(half_hour_counts, dtype=float)
    profile = np.asarray(model.walk_in_rate_per_hour[weekday], dtype=float)
    total = float(counts.sum())
    if total <= 0 or profile.sum() <= 0:
        return ()
    level = total / float(sum(days))  # walk-ins a day, all rows
    together = counts.sum(axis=0)
    pooled = together + PRIOR_WEEKS * level * profile / profile.sum()
    pooled /= pooled.sum()
    own = counts[0]
    spread = math.inf  # k: the weekdays share the pooled shape
    rows = counts[counts.sum(axis=1) > 0]
    open_halves = together > 0
    free = (len(rows) - 1) * (int(open_halves.sum()) - 1)
    if free > 0:
        shares = together[open_halves] / together.sum()
        sizes = rows.sum(axis=1)
        expected = sizes[:, None] * shares[None, :]
        dispersion = float((((rows[:, open_halves] - expected) ** 2) / expected).sum()) / free
        ninth = 2.0 / (9.0 * free)
        shared_top = (1.0 - ninth + OVERDISPERSION_Z * math.sqrt(ninth)) ** 3
        if dispersion > shared_top:
            size = float(sizes.mean())
            spread = max((size - dispersion) / (dispersion - 1.0), 0.0)
    if math.isinf(spread) or own.sum() + spread <= 0:
        return tuple(float(p) for p in pooled)
    shape = (own + spread * pooled) / (own.sum() + spread)
    return tuple(float(p) for p in shape)


def at_observed_walk_in_level(
    model: FittedModel,
    weekday: int,
    walk_ins_per_day: Sequence[int],
    shape: Sequence[float] = (),
) -> FittedModel:
    """The model with `weekday`'s walk-in profile scaled to the mean of the past days' walk-ins.

    The posterior of the rate given the counts (`walk_in_rate_variance`) has
    the counts' mean: the fitted rate is shrunk toward the stated prior
    profile (two weeks' worth), which suits a thin history but, after eight
    weeks, still plans for fewer walk-ins than came. The profile's shape over
    the day is `shape` (shares per local half hour, `pooled_walk_in_shape`)
    when given, else the model's. No past walk-ins or no profile: the model.
    """
    counts = list(walk_ins_per_day)
    profile = model.walk_in_rate_per_hour[weekday]
    expected = sum(profile) / 2.0  # per hour, half hours
    if not counts or sum(counts) <= 0 or expected <= 0:
        return model
    level = sum(counts) / len(counts)
    rates = list(model.walk_in_rate_per_hour)
    if shape and sum(shape) > 0:
        rates[weekday] = tuple(2.0 * level * share / sum(shape) for share in shape)
    else:
        rates[weekday] = tuple(rate * level / expected for rate in profile)
    return replace(model, walk_in_rate_per_hour=tuple(rates))


def _rate_ceiling(variance: float) -> float:
    """The largest multiplier drawn: the 99.9th percentile of a gamma of mean 1 and `variance`
    (Wilson and Hilferty's cube-root normal approximation; a ceiling, so near is enough)."""
    if variance <= 0:
        return 1.0
    ninth = variance / 9.0  # 1 / (9 shape)
    return max((1.0 - ninth + RATE_DRAW_Z * math.sqrt(ninth)) ** 3, 1.0)


@dataclass(frozen=True, slots=True)
class Target:
    """The service level: `sla_percent` % of a day's patients called within `sla_minutes`, on `days_percent` % of days."""

    sla_minutes: float
    sla_percent: float
    days_percent: float = 95.0


@dataclass(frozen=True, slots=True)
class HalfHourOutcome:
    """What a plan gives the patients arriving in one local half hour (averages per day)."""

    starts_at: datetime
    ends_at: datetime
    stations: int
    walk_ins: float  # walk-ins expected to join in the half hour
    appointments: float  # booked patients expected to come in the half hour
    wait_p50_minutes: float | None  # None: nobody arrives; inf: some are never called
    wait_p90_minutes: float | None
    within_target: float | None


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """A plan played on every simulated day: the target met, waits, and each half hour."""

    stations: tuple[int, ...]  # per half hour of the day's grid (0: closed)
    station_hours: float
    days_meeting_target: float  # share of days with sla_percent % called within sla_minutes
    within_target: float  # share of all patients called within sla_minutes
    wait_p50_minutes: float | None
    wait_p90_minutes: float | None
    walk_ins: float  # walk-ins joining per day
    walk_ins_turned_away: float  # walk-ins per day who come after the line closed
    half_hours: tuple[HalfHourOutcome, ...]
    misses: tuple[float, ...]  # per half hour: patients per day called late, on the days that miss


def _quantiles(waits: np.ndarray) -> tuple[float | None, float | None]:
    if waits.size == 0:
        return None, None
    p50, p90 = np.quantile(waits, [0.5, 0.9], method="inverted_cdf")
    return float(p50), float(p90)


class SimulatedDays:
    """One day of a site drawn `replications` times; `play(stations)` gives a plan's `PlanOutcome`.

    `day` gives the opening hours, station skills, booked appointments and
    the walk-in cut-off; its `staffing` is the current plan (`current`).
    Walk-ins are drawn from the arrival profile up to the walk-in cut-off
    `draw_cutoff_minutes` before closing (default the day's), and a plan with
    an earlier cut-off turns away those who come after it, so plans with other
    cut-offs still share their patients.

    `bookings`, when given, are several days' booked appointments (e.g. the
    past days of that weekday): the replications are shared among them (each
    gets `ceil(replications / len(bookings))` days), so the days vary in their
    bookings as they do in life; else every day has `day.appointments`.
    `simulated_days` is how many days were drawn.
    """

    def __init__(
        self,
        day: DayPlan,
        model: FittedModel,
        *,
        tz: str | ZoneInfo,
        replications: int,
        seed: int | np.random.Generator,
        target: Target,
        draw_cutoff_minutes: int | None = None,
        bookings: Sequence[Sequence[BookedAppointment]] = (),
        rate_variance: float = 0.0,
    ) -> None:
        zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.plan = day
        self.target = target
        probe_service = next(iter(sorted(model.walk_in_service_mix or model.services)), "")
        drawn = replace(
            day,
            walk_in_cutoff_minutes=day.walk_in_cutoff_minutes
            if draw_cutoff_minutes is None
            else draw_cutoff_minutes,
            staffing=(),
        )
        lists = list(bookings) if bookings else [day.appointments]
        per_list = -(-replications // len(lists))
        plans = [replace(drawn, appointments=tuple(b)) for b in lists]
        self._ceiling = _rate_ceiling(rate_variance)
        drawn_model = replace(
            model,
            walk_in_rate_per_hour=tuple(
                tuple(rate * self._ceiling for rate in rates) for rates in model.walk_in_rate_per_hour
            ),
        )
        built, self._codes, origin = build_days(plans, drawn_model, probe_service, zone, per_list, seed, None)
        self.open = bool(built)
        if not built:
            self.halves: list[HalfHour] = []
            return
        assert origin is not None  # an open day has an origin
        self.origin = origin
        days = [b for _, b in built]
        self.halves = days[0].halves
        self._arrays = run_arrays(days, self._codes, probe_service)
        self._replications = rows = per_list * len(days)
        self._arrays["row_day"] = np.zeros(rows, dtype=np.intp)  # one station plan for every row
        self._arrays["probe_at"] = np.full((rows, 1), _INF)  # no probes: rows play the line out
        width = max(d.arrival.shape[1] for d in days)
        self._arrival = self._arrays["arrival"][:, :width]
        due = self._arrays["due_at"][:, :width]
        self._is_walk_in = np.concatenate(
            [np.pad(d.is_walk_in, ((0, 0), (0, width - d.is_walk_in.shape[1]))) for d in days], axis=0
        )
        self._thinned = np.zeros(self._arrival.shape, dtype=bool)
        if rate_variance > 0:
            # A stream of its own, after the days' streams: each day's multiplier, then which walk-ins it keeps.
            rng = (
                seed.spawn(1)[0]
                if isinstance(seed, np.random.Generator)
                else np.random.default_rng(np.random.SeedSequence(seed).spawn(len(plans) + 1)[-1])
            )
            shape = 1.0 / rate_variance
            multipliers = np.minimum(rng.gamma(shape, 1.0 / shape, size=rows), self._ceiling)
            keep = multipliers[:, None] / self._ceiling
            self._thinned = (
                self._is_walk_in & np.isfinite(self._arrival) & (rng.random(self._arrival.shape) >= keep)
            )
        self._open_minutes = np.array([self._open_part(h) for h in self.halves])
        self._bucket = np.clip(
            np.searchsorted([h.start for h in self.halves], self._arrival, side="right") - 1, 0, None
        )
        self._wait_from = np.where(
            np.isfinite(due), np.maximum(self._arrival, np.where(np.isfinite(due), due, 0.0)), self._arrival
        )
        self._added_skills = next((b.added_station_skills for b in day.staffing), None)

    def _open_part(self, half: HalfHour) -> float:
        """Minutes of the half hour the site is open."""
        return sum(
            max(
                0.0,
                min(half.end, minutes_after(b, self.origin)) - max(half.start, minutes_after(a, self.origin)),
            )
            for a, b in self.plan.opening_intervals
        )

    @property
    def simulated_days(self) -> int:
        return self._replications if self.open else 0

    @property
    def open_half_hours(self) -> list[bool]:
        return [bool(m > 0) for m in self._open_minutes]

    def expected_walk_ins(self, cutoff_minutes: int) -> list[float]:
        """Per half hour, the walk-ins the arrival profile expects to join before the line closes."""
        closes = self.walk_in_close_minutes(cutoff_minutes)
        out = []
        for h in self.halves:
            if h.walk_in_start is None or h.walk_in_end is None or h.walk_in_end <= h.walk_in_start:
                out.append(0.0)
                continue
            open_share = min(max((closes - h.walk_in_start) / (h.walk_in_end - h.walk_in_start), 0.0), 1.0)
            out.append(h.expected / self._ceiling * open_share)
        return out

    def walk_in_close_minutes(self, cutoff_minutes: int) -> float:
        """Minutes after the origin when the walk-in line closes, `cutoff_minutes` before closing."""
        closes = self.plan.closes_at
        assert closes is not None  # an open day
        return minutes_after(closes - timedelta(minutes=cutoff_minutes), self.origin)

    def current(self) -> tuple[int, ...]:
        """The day's own plan (`DayPlan.staffing`) per half hour: the stations of the block open in it."""
        out = []
        for h, minutes in zip(self.halves, self._open_minutes):
            count = 0
            if minutes > 0:
                for b in self.plan.staffing:
                    a, e = minutes_after(b.starts_at, self.origin), minutes_after(b.ends_at, self.origin)
                    if a < h.end and e > h.start:
                        count = max(count, b.stations)
            out.append(count)
        return tuple(out)

    def blocks(self, stations: tuple[int, ...]) -> tuple[StaffingBlock, ...]:
        """Per-half-hour station counts as capacity blocks, cut to the opening hours."""
        blocks = []
        for h, count in zip(self.halves, stations):
            if count <= 0:
                continue
            for a, b in self.plan.opening_intervals:
                start, end = max(a, h.starts_at), min(b, h.ends_at)
                if start < end:
                    blocks.append(StaffingBlock(start, end, count, self._added_skills))
        return tuple(blocks)

    def station_hours(self, stations: tuple[int, ...]) -> float:
        return float(np.dot(stations, self._open_minutes) / 60.0)

    def play(self, stations: tuple[int, ...], *, walk_in_cutoff_minutes: int | None = None) -> PlanOutcome:
        """The plan's outcome on the drawn days; walk-ins after its cut-off (default the day's) are turned away."""
        assert self.open and len(stations) == len(self.halves)
        cutoff = (
            self.plan.walk_in_cutoff_minutes if walk_in_cutoff_minutes is None else walk_in_cutoff_minutes
        )
        closes_for_walk_ins = self.walk_in_close_minutes(cutoff)
        present = np.isfinite(self._arrival) & ~self._thinned
        turned_away = self._is_walk_in & present & (self._arrival >= closes_for_walk_ins)
        arrays = dict(self._arrays)
        away = np.zeros(arrays["arrival"].shape, dtype=bool)
        away[:, : turned_away.shape[1]] = turned_away | self._thinned
        for name in ("key_before", "key_due"):  # never called; arrivals stay sorted for the loop
            arrays[name] = np.where(away, _INF, arrays[name])
        arrays.update(self._stations(stations))
        _, call = run_out(**arrays)
        call = call[:, : self._arrival.shape[1]]
        came = present & ~turned_away
        return self._outcome(stations, call, came, turned_away, self.expected_walk_ins(cutoff))

    def _stations(self, stations: tuple[int, ...]) -> dict[str, np.ndarray]:
        skills, intervals = future_plan(
            replace(self.plan, staffing=self.blocks(stations)), self.origin, set(self._codes)
        )
        s_count = max(len(skills), 1)
        k_max = max([len(iv) for iv in intervals] + [0]) + 1
        starts = np.full((1, s_count, k_max), _INF)
        ends = np.full((1, s_count, k_max), _INF)
        skill_ok = np.zeros((1, s_count, max(len(self._codes), 1)), dtype=bool)
        for j, (own, iv) in enumerate(zip(skills, intervals)):
            for k, (a, b) in enumerate(iv):
                starts[0, j, k], ends[0, j, k] = a, b
            for c in own:
                if c in self._codes:
                    skill_ok[0, j, self._codes[c]] = True
        free = np.broadcast_to(starts[0, :, 0], (self._replications, s_count)).copy()
        return {
            "starts": starts,
            "ends": ends,
            "skill_ok": skill_ok,
            "probe_ok": np.zeros((1, s_count), dtype=bool),
            "free": free,
        }

    def _outcome(
        self,
        stations: tuple[int, ...],
        call: np.ndarray,
        came: np.ndarray,
        turned_away: np.ndarray,
        expected_walk_ins: list[float],
    ) -> PlanOutcome:
        target = self.target
        with np.errstate(invalid="ignore"):  # inf - inf where nobody came
            wait = np.where(came, call - self._wait_from, _INF)
        within = came & (wait <= target.sla_minutes)
        per_day = came.sum(axis=1)
        in_time = within.sum(axis=1)
        meets = in_time * 100.0 >= target.sla_percent * per_day
        patients = int(per_day.sum())
        late_on_missed_days = came & ~within & ~meets[:, None]
        halves = []
        misses = []
        r = self._replications
        for i, h in enumerate(self.halves):
            here = came & (self._bucket == i)
            waits = wait[here]
            p50, p90 = _quantiles(waits)
            halves.append(
                HalfHourOutcome(
                    starts_at=h.starts_at,
                    ends_at=h.ends_at,
                    stations=int(stations[i]),
                    walk_ins=expected_walk_ins[i],
                    appointments=float((here & ~self._is_walk_in).sum() / r),
                    wait_p50_minutes=p50,
                    wait_p90_minutes=p90,
                    within_target=float(within[here].mean()) if waits.size else None,
                )
            )
            misses.append(float((late_on_missed_days & (self._bucket == i)).sum() / r))
        p50, p90 = _quantiles(wait[came])
        return PlanOutcome(
            stations=tuple(int(s) for s in stations),
            station_hours=self.station_hours(stations),
            days_meeting_target=float(meets.mean()),
            within_target=float(in_time.sum() / patients) if patients else 1.0,
            wait_p50_minutes=p50,
            wait_p90_minutes=p90,
            walk_ins=float((came & self._is_walk_in).sum() / r),
            walk_ins_turned_away=float(turned_away.sum() / r),
            half_hours=tuple(halves),
            misses=tuple(misses),
        )
