"""Best time to come: the expected wait for a walk-in arriving in each half hour of the coming days.

A forward Monte Carlo of the call policy over whole days, vectorised across
replications and days (every row of the arrays is one replication of one
day). Walk-ins arrive as a Poisson process from the fitted arrival profile
(constant within each local half hour), booked appointments arrive with the
model's no-show rate and lateness, and the stations of the capacity plan call
them by `schedq.domain.policy.rank`. For today the run starts from the live
snapshot (who waits, who is in service since when); for other days it starts
empty at the first opening. One probe per open half hour, a ghost like the
newcomer of `estimate` (it takes no station), arrives at a uniform instant in
that half hour; its wait is the time until a station that can do its service
would reach it.

Times inside the simulation are minutes after one origin instant. A ticket's
place in line is a float key, `tier * _TIER_SPAN + minutes`, built from the
rank tuple `rank` returns (tier, instant, id): lower is called first, exactly
as `choose_next` orders them (ties on the instant are broken by the order
of the rank tuples). Each row's tickets are sorted by arrival time and a
station only looks at a per-row window of columns starting at the first
ticket not yet called, so each step costs replications x (queue length), not
x (tickets in the day).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from schedq.domain.policy import QueueEntry, rank

from ._normal import norm_sf, normal_above
from .model import HALF_HOURS_PER_DAY, FittedModel
from .montecarlo import (
    DEFAULT_TRAVEL_MINUTES,
    MIN_TRAVEL_SD_MINUTES,
    TRAVEL_SD_FRACTION,
    remaining_service,
    station_plan,
)
from .quantiles import column_quantiles
from .snapshot import SiteSnapshot, StaffingBlock

_INF = math.inf
_TIER_SPAN = 1.0e6  # minutes; far more than any horizon, so tiers never mix
_TIE_MINUTES = 1.0e-6
_HALF_HOUR = timedelta(minutes=30)
_MIN_WINDOW = 16


@dataclass(frozen=True, slots=True)
class BookedAppointment:
    """An appointment booked on a day of the plan (UTC)."""

    appointment_at: datetime
    service_code: str


@dataclass(frozen=True, slots=True)
class DayPlan:
    """What a site knows of one local day ahead: hours, capacity plan, stations and bookings.

    `opening_intervals` are the UTC intervals the site is open (empty: closed
    all day); walk-ins may join in them until `walk_in_cutoff_minutes` before
    the last one closes. `staffing` is the day's capacity plan (the
    `StaffingBlock` rule of the snapshot; a gap between blocks is a closure and
    the last block serves the line out). `station_skills` are the skills of
    the site's stations: a block planning k stations opens the k most skilled
    (most skills first, then in the order given); more than that get the
    block's `added_station_skills`, else the union of all skills. Empty means
    every station does every service. For today, when a snapshot is given,
    the stations open now and its waiting tickets and upcoming appointments
    replace `station_skills` and `appointments` (see `best_times`).
    """

    local_date: date
    opening_intervals: tuple[tuple[datetime, datetime], ...]
    staffing: tuple[StaffingBlock, ...] = ()
    station_skills: tuple[frozenset[str], ...] = ()
    appointments: tuple[BookedAppointment, ...] = ()
    walk_in_cutoff_minutes: int = 0
    grace_minutes: int = 15

    @property
    def weekday(self) -> int:
        """0 is Monday, as in `FittedModel.walk_in_rate_per_hour`."""
        return self.local_date.weekday()

    @property
    def closes_at(self) -> datetime | None:
        return max((end for _, end in self.opening_intervals), default=None)

    def walk_in_intervals(self) -> list[tuple[datetime, datetime]]:
        """The opening intervals cut at the walk-in cut-off."""
        if not self.opening_intervals:
            return []
        assert self.closes_at is not None  # the day has opening intervals
        cutoff = self.closes_at - timedelta(minutes=self.walk_in_cutoff_minutes)
        return [(a, min(b, cutoff)) for a, b in sorted(self.opening_intervals) if min(b, cutoff) > a]


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


@dataclass(slots=True)
class _Half:
    """A half hour of a day's output grid, in minutes after the origin."""

    starts_at: datetime
    ends_at: datetime
    start: float
    end: float
    walk_in_start: float | None  # the part open for walk-ins (None: closed)
    walk_in_end: float | None
    local_half_hour: int
    expected: float = 0.0


@dataclass(slots=True)
class _Day:
    """One day's columns for every replication, before merging into the batch."""

    arrival: np.ndarray  # (R, N) minutes after origin, inf for no-shows and padding
    key_before: np.ndarray  # (R, N) policy key before the appointment falls due
    key_due: np.ndarray  # (R, N) policy key once due
    due_at: np.ndarray  # (R, N) minutes after origin; inf when the key never changes
    code: np.ndarray  # (R, N) service index
    service_minutes: np.ndarray  # (R, N)
    slot_skills: list[frozenset[str]]
    open_intervals: list[tuple[tuple[float, float], ...]]
    free: np.ndarray  # (R, S) when each station slot first acts
    probe_at: np.ndarray  # (R, H) probe arrival minutes; inf for closed half hours
    halves: list[_Half]


def _minutes(t: datetime, origin: datetime) -> float:
    return (t - origin).total_seconds() / 60.0


def _key(rank_tuple: tuple[int, datetime, int], origin: datetime) -> float:
    tier, instant, _ = rank_tuple
    return int(tier) * _TIER_SPAN + _minutes(instant, origin)


def _walk_in_key() -> float:
    """Key of a walk-in joining at the origin; one joining x minutes later has key + x."""
    at = datetime(2000, 1, 1, tzinfo=UTC)
    return _key(rank(QueueEntry(ticket_id=0, service_code="", joined_at=at), at), at)


def _appointment_keys(at: datetime, origin: datetime) -> tuple[float, float]:
    """Keys of a punctual appointment before and once it falls due."""
    entry = QueueEntry(ticket_id=0, service_code="", joined_at=at, appointment_at=at)
    return _key(rank(entry, at - timedelta(microseconds=1)), origin), _key(rank(entry, at), origin)


def _streams(seed: int | np.random.Generator, days: int) -> list[list[np.random.Generator]]:
    """Per day: walk-in counts/times, walk-in services, appointments, service times, snapshot, probes."""
    if isinstance(seed, np.random.Generator):
        return [child.spawn(6) for child in seed.spawn(days)]
    return [
        [np.random.default_rng(s) for s in child.spawn(6)]
        for child in np.random.SeedSequence(seed).spawn(days)
    ]


def _half_hours(day: DayPlan, tz: ZoneInfo, origin: datetime, after: datetime | None) -> list[_Half]:
    """The local half hours of the day's opening span (those ending after `after`)."""
    if not day.opening_intervals:
        return []
    opens = min(a for a, _ in day.opening_intervals)
    closes = day.closes_at
    assert closes is not None  # the day has opening intervals
    walk_ins = day.walk_in_intervals()
    midnight = datetime.combine(day.local_date, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    halves = []
    at = midnight
    # Step in real half hours from local midnight so a daylight-saving change neither loses nor doubles one.
    while at < closes:
        end = at + _HALF_HOUR
        if end > opens and (after is None or end > after):
            lo = at if after is None else max(at, after)
            open_parts = [(max(lo, a), min(end, b)) for a, b in walk_ins if min(end, b) > max(lo, a)]
            wall = at.astimezone(tz)
            half = _Half(
                starts_at=at,
                ends_at=end,
                start=_minutes(at, origin),
                end=_minutes(end, origin),
                walk_in_start=_minutes(open_parts[0][0], origin) if open_parts else None,
                walk_in_end=_minutes(open_parts[-1][1], origin) if open_parts else None,
                local_half_hour=min(wall.hour * 2 + wall.minute // 30, HALF_HOURS_PER_DAY - 1),
            )
            halves.append(half)
        at = end
    return halves


def _future_plan(
    day: DayPlan, origin: datetime, known: set[str]
) -> tuple[list[frozenset[str]], list[tuple[tuple[float, float], ...]]]:
    """Station slots (most skilled first) and their open intervals for a day with no live state."""
    blocks = sorted(day.staffing, key=lambda b: b.starts_at)
    if not blocks:
        return [], []
    owned = sorted(enumerate(day.station_skills), key=lambda p: (-len(p[1]), p[0]))
    skills = [s for _, s in owned]
    union = frozenset().union(*skills) or frozenset(known)
    n_slots = max(b.stations for b in blocks)
    for j in range(len(skills), n_slots):
        listed = next(
            (b.added_station_skills for b in blocks if b.stations > j and b.added_station_skills is not None),
            None,
        )
        skills.append(listed if listed is not None else union)
    skills = skills[:n_slots]
    segments = [(_minutes(b.starts_at, origin), _minutes(b.ends_at, origin), b.stations) for b in blocks]
    start, _, count = segments[-1]
    segments[-1] = (start, _INF, count)  # the last shift serves the line out
    intervals = []
    for j in range(n_slots):
        merged: list[tuple[float, float]] = []
        for a, b, count in segments:
            if count > j and b > a:
                if merged and merged[-1][1] >= a:
                    merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
                else:
                    merged.append((a, b))
        intervals.append(tuple(merged))
    return skills, intervals


def _walk_ins(
    halves: list[_Half],
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


def _appointments(
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
    walk_in_base = _walk_in_key()
    for j, a in enumerate(booked):
        at = _minutes(a.appointment_at, origin)
        lower = -_INF if after is None else _minutes(after, origin) - at
        still = (1.0 - model.no_show_rate) * (
            norm_sf((lower - late.mean_minutes) / sd) if math.isfinite(lower) else 1.0
        )
        p_no_show = model.no_show_rate / (model.no_show_rate + still) if still > 0 else 1.0
        u_show, u_when = rng.random(r), rng.random(r)
        offset = normal_above(late.mean_minutes, late.sd_minutes, lower, u_when)
        arrival[:, j] = np.where(u_show < p_no_show, _INF, at + offset)
        before, when_due = _appointment_keys(a.appointment_at, origin)
        # Beyond the grace minutes it joins the walk-in line at its check-in time
        # (policy.is_late_check_in, applied to every replication's offset at once).
        is_late = offset > day.grace_minutes
        walk_in = walk_in_base + arrival[:, j]
        kb[:, j] = np.where(is_late, walk_in, before)
        kd[:, j] = np.where(is_late, walk_in, when_due)
        due[:, j] = np.where(is_late, _INF, at)
        code[:, j] = codes[a.service_code]
    return arrival, kb, kd, due, code


def _live_state(
    snapshot: SiteSnapshot,
    day: DayPlan,
    model: FittedModel,
    codes: dict[str, int],
    r: int,
    rng: np.random.Generator,
    known: set[str],
) -> tuple[tuple[np.ndarray, ...], list[frozenset[str]], list[tuple[tuple[float, float], ...]], np.ndarray]:
    """Today's waiting tickets as columns, the station slots from the live stations, first free times."""
    now = snapshot.now
    waiting = [t for t in snapshot.waiting if t.ticket_id not in snapshot.called_ticket_ids]
    entries = [
        QueueEntry(
            ticket_id=t.ticket_id,
            service_code=t.service_code,
            joined_at=t.joined_at,
            priority=t.priority,
            appointment_at=t.appointment_at,
        )
        for t in waiting
    ]
    before = [rank(e, now) for e in entries]
    order = {k: i for i, k in enumerate(sorted(before))}  # ties on the instant break on the rank tuple
    n = len(waiting)
    arrival, kb, kd, due = (np.zeros((r, n)) for _ in range(4))
    code = np.empty((r, n), dtype=np.intp)
    for j, (t, e, k) in enumerate(zip(waiting, entries, before)):
        kb[:, j] = _key(k, now) + order[k] * _TIE_MINUTES
        if t.appointment_at is not None and t.appointment_at > now:
            kd[:, j] = _key(rank(e, t.appointment_at), now)
            due[:, j] = _minutes(t.appointment_at, now)
        else:
            kd[:, j] = kb[:, j]
            due[:, j] = _INF
        code[:, j] = codes[t.service_code]
        if not t.present:
            expected = (
                _minutes(t.expected_arrival_at, now)
                if t.expected_arrival_at is not None
                else DEFAULT_TRAVEL_MINUTES
            )
            travel_sd = max(MIN_TRAVEL_SD_MINUTES, TRAVEL_SD_FRACTION * max(expected, 0.0))
            arrival[:, j] = normal_above(expected, travel_sd, 0.0, rng.random(r))
    staffed = replace(
        snapshot,
        staffing=tuple(day.staffing) or tuple(snapshot.staffing),
        opening_intervals=snapshot.opening_intervals
        if snapshot.opening_intervals is not None
        else tuple(day.opening_intervals),
    )
    plan = station_plan(staffed, known)
    free = np.zeros((r, len(plan.skills)))
    for j, station in enumerate(plan.current):
        u = rng.random(r)
        if station.busy_with is not None:
            elapsed = max(_minutes(now, station.busy_with.started_at), 0.0)
            free[:, j] = remaining_service(model.service_model(station.busy_with.service_code), elapsed, u)
    return (arrival, kb, kd, due, code), list(plan.skills), list(plan.open_intervals), free


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
) -> _Day:
    count_rng, mix_rng, appt_rng, service_rng, live_rng, probe_rng = rngs
    now = snapshot.now if snapshot is not None else None
    halves = _half_hours(day, tz, origin, now)
    arrival, code = _walk_ins(halves, model, day.weekday, codes, r, count_rng, mix_rng)
    walk_key = _walk_in_key() + arrival
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
        columns.append(_appointments(upcoming, model, origin, codes, r, appt_rng, now))
        live, skills, intervals, free = _live_state(snapshot, day, model, codes, r, live_rng, known)
        columns.append(live)
    else:
        columns.append(_appointments(day, model, origin, codes, r, appt_rng, None))
        skills, intervals = _future_plan(day, origin, known)
        first = [iv[0][0] if iv else _INF for iv in intervals]
        free = np.broadcast_to(np.array(first, dtype=float), (r, len(skills))).copy()
    arrival, kb, kd, due, code = (np.concatenate(parts, axis=1) for parts in zip(*columns))
    service = np.empty(arrival.shape)
    for c, index in sorted(codes.items(), key=lambda p: p[1]):  # fixed order: draws stay aligned
        mask = code == index
        service[mask] = model.service_model(c).sample(service_rng, int(mask.sum()))
    order = np.argsort(arrival, axis=1, kind="stable")
    arrival, kb, kd, due, code, service = (
        np.take_along_axis(x, order, axis=1) for x in (arrival, kb, kd, due, code, service)
    )
    probe_at = np.full((r, len(halves)), _INF)
    for i, h in enumerate(halves):
        u = probe_rng.random(r)
        if h.walk_in_start is not None and h.walk_in_end is not None:
            probe_at[:, i] = h.walk_in_start + u * (h.walk_in_end - h.walk_in_start)
    return _Day(
        arrival=arrival,
        key_before=kb,
        key_due=kd,
        due_at=due,
        code=code,
        service_minutes=service,
        slot_skills=skills,
        open_intervals=intervals,
        free=free,
        probe_at=probe_at,
        halves=halves,
    )


def _pad(parts: list[np.ndarray], width: int, fill: float) -> np.ndarray:
    """Stack per-day (R, n_i) arrays into (sum R, width), padding columns with `fill`."""
    return np.concatenate(
        [np.pad(p, ((0, 0), (0, width - p.shape[1])), constant_values=fill) for p in parts], axis=0
    )


def _simulate(days: list[_Day], codes: dict[str, int], probe_service: str) -> list[np.ndarray]:
    """Per day, the probes' waits in minutes, shape (replications, half hours); inf: never called."""
    arrays = _run_arrays(days, codes, probe_service)
    call = _run(**arrays)
    probe_at = arrays["probe_at"]
    wait = np.where(np.isfinite(probe_at), call - np.where(np.isfinite(probe_at), probe_at, 0.0), _INF)
    out, row = [], 0
    for d in days:
        r, h = d.probe_at.shape
        out.append(wait[row : row + r, :h])
        row += r
    return out


def _run_arrays(days: list[_Day], codes: dict[str, int], probe_service: str) -> dict[str, np.ndarray]:
    """The days' columns stacked into the arrays `_run` plays (rows: replications of each day)."""
    n_days = len(days)
    row_day = np.repeat(np.arange(n_days), [d.arrival.shape[0] for d in days])
    n = max(d.arrival.shape[1] for d in days)
    # Column n is a sentinel that never arrives, so a window may run past the last ticket.
    arrival = _pad([d.arrival for d in days], n + 1, _INF)
    key_before = _pad([d.key_before for d in days], n + 1, _INF)
    key_due = _pad([d.key_due for d in days], n + 1, _INF)
    due_at = _pad([d.due_at for d in days], n + 1, _INF)
    code = _pad([d.code for d in days], n + 1, 0)
    service = _pad([d.service_minutes for d in days], n + 1, 0.0)
    g = max(max(d.probe_at.shape[1] for d in days), 1)
    probe_at = _pad([d.probe_at for d in days], g, _INF)

    s_count = max(max(len(d.slot_skills) for d in days), 1)
    k_max = max([len(iv) for d in days for iv in d.open_intervals] + [0]) + 1
    starts = np.full((n_days, s_count, k_max), _INF)
    ends = np.full((n_days, s_count, k_max), _INF)
    skill_ok = np.zeros((n_days, s_count, len(codes)), dtype=bool)
    for i, d in enumerate(days):
        for j, (skills, intervals) in enumerate(zip(d.slot_skills, d.open_intervals)):
            for k, (a, b) in enumerate(intervals):
                starts[i, j, k], ends[i, j, k] = a, b
            for c in skills:
                if c in codes:
                    skill_ok[i, j, codes[c]] = True
    probe_ok = skill_ok[:, :, codes[probe_service]] & np.isfinite(starts[:, :, 0])
    free = _pad([d.free for d in days], s_count, _INF)

    return {
        "arrival": arrival,
        "key_before": key_before,
        "key_due": key_due,
        "due_at": due_at,
        "code": code,
        "service": service,
        "probe_at": probe_at,
        "row_day": row_day,
        "starts": starts,
        "ends": ends,
        "free": free,
        "skill_ok": skill_ok,
        "probe_ok": probe_ok,
    }


def _run(
    *,
    arrival: np.ndarray,
    key_before: np.ndarray,
    key_due: np.ndarray,
    due_at: np.ndarray,
    code: np.ndarray,
    service: np.ndarray,
    probe_at: np.ndarray,
    row_day: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    free: np.ndarray,
    skill_ok: np.ndarray,
    probe_ok: np.ndarray,
) -> np.ndarray:
    """The event loop, compiled (`_policy_compiled.play_days`): the probes' call times (rows x probes).

    Each row plays on its own: the station that frees first acts; outside
    its open periods it goes off until its next one; otherwise it calls the
    lowest key among arrived, uncalled tickets it can serve, and is busy for
    that ticket's service; with nobody eligible it idles until the next such
    ticket or probe arrives. A probe is reached the first time a station with
    its skill acts after it arrived and finds nobody ranked ahead. A row stops
    once all its probes are reached. Columns are in arrival order per row; a
    step looks only at the columns from the first not yet called to the first
    not yet arrived.
    """
    from ._policy_compiled import play_days  # imported on first use: compiling or loading it takes a while

    def floats(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float64)

    call = np.full(probe_at.shape, _INF)
    play_days(
        floats(arrival),
        floats(key_before),
        floats(key_due),
        floats(due_at),
        np.ascontiguousarray(code, dtype=np.int64),
        floats(service),
        floats(probe_at),
        np.ascontiguousarray(row_day, dtype=np.int64),
        floats(starts),
        floats(ends),
        floats(free),
        np.ascontiguousarray(skill_ok, dtype=np.bool_),
        np.ascontiguousarray(probe_ok, dtype=np.bool_),
        float(_walk_in_key()),
        call,
    )
    return call


def warm_up() -> None:
    """Compile the best-times loop (or load it from the cache) now rather than on the first request."""
    one = np.array([[0.0, _INF]])
    _run(
        arrival=one,
        key_before=one,
        key_due=one,
        due_at=np.full((1, 2), _INF),
        code=np.zeros((1, 2), dtype=np.intp),
        service=np.array([[4.0, 0.0]]),
        probe_at=np.array([[1.0]]),
        row_day=np.zeros(1, dtype=np.intp),
        starts=np.array([[[0.0, _INF]]]),
        ends=np.array([[[60.0, _INF]]]),
        free=np.zeros((1, 1)),
        skill_ok=np.ones((1, 1, 1), dtype=bool),
        probe_ok=np.ones((1, 1), dtype=bool),
    )


def _quantiles(minutes: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles per column; "never called" (inf) stands in as a huge value, then reads inf."""
    return column_quantiles(minutes, q)


def _summarise(wait: np.ndarray) -> tuple[np.ndarray, ...]:
    p10, p50, p90 = _quantiles(wait, [0.1, 0.5, 0.9])
    finite = np.isfinite(wait)
    mean = np.where(finite.all(axis=0), np.where(finite, wait, 0.0).mean(axis=0), _INF)
    return p10, p50, p90, mean


def _build_days(
    days: Sequence[DayPlan],
    model: FittedModel,
    service_code: str,
    zone: ZoneInfo,
    replications: int,
    seed: int | np.random.Generator,
    today_snapshot: SiteSnapshot | None,
) -> tuple[list[tuple[DayPlan, _Day]], dict[str, int], datetime | None]:
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
    built: list[tuple[DayPlan, _Day]] = []
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
    built, codes, origin = _build_days(days, model, service_code, zone, replications, seed, today_snapshot)
    if not built:
        return []
    waits = _simulate([b for _, b in built], codes, service_code)

    out: list[HalfHourWait] = []
    for (d, b), wait in zip(built, waits):
        can_serve = any(service_code in skills and iv for skills, iv in zip(b.slot_skills, b.open_intervals))
        p10, p50, p90, mean = _summarise(wait)
        assert d.closes_at is not None and origin is not None  # a day with half hours has opening intervals
        closes_in = _minutes(d.closes_at, origin)
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
