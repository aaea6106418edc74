"""The report's figures, computed from the visit events alone: pure, no database (README: "Reports").

`site_figures` takes what `site_report` loaded (each visit's events, the
stations' state changes, the feedback) and returns every table. The rules:

- **Arrivals**: tickets that joined (kiosk, remote) or checked in during the
  range, by the local day, hour and half hour of joining.
- **Outcome**: a ticket's status after its last event up to the report's end
  (the range's end, or now while the range runs to today): done is served,
  then no-show, left, cancelled (by staff, or closed out at the day's close);
  anything else is still in line.
- **Wait**: from the wait's start (joining; for an appointment checked in on
  time or early, its appointment time: `services.queue.line.wait_start`) to
  the ticket's first call, never below zero; a requeue does not start it again.
  Waits fall in the day and half hour they started.
- **Called within the target**: a called ticket whose wait was at most the
  site's `sla_minutes` is within; one not called (it left, was cancelled or is
  still waiting) counts as a miss once it has waited longer than that, and not
  at all before. The share is within ÷ counted, against `sla_percent`.
- **Utilisation**: a station's busy minutes (a patient called to it or in
  service there) while it was open, over its open minutes (from its open event
  to its pause or close, cut to the site's opening hours of the day: a station
  left open overnight or past closing does not count then), per station and
  local day. Minutes are kept to a tenth and the share is taken from those
  same minutes, so the figures shown side by side agree. Stations open in a
  half hour: the open minutes in it ÷ 30, averaged over the days with a
  station open.
- **Promises**: the range kept when the ticket joined against its wait, scored
  by `estimator.accuracy.score` (the accuracy report's rule).
- **Satisfaction**: ratings and comments given during the range, by the local
  day they were given.

Events are append-only and dated, so a report over past days is the same each
time it is run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from schedq.domain.enums import StationState, TicketKind, TicketStatus
from schedq.estimator.accuracy import AccuracyScore, score
from schedq.estimator.model import half_hour_of

KINDS = tuple(kind.value for kind in TicketKind)
AT_STATION = frozenset({TicketStatus.CALLED.value, TicketStatus.IN_SERVICE.value})
OUTCOMES = {
    TicketStatus.DONE.value: "served",
    TicketStatus.NO_SHOW.value: "no_show",
    TicketStatus.LEFT.value: "left",
    TicketStatus.CANCELLED.value: "cancelled",
}
SLICE = timedelta(
    minutes=15
)  # open time is cut at every quarter hour (UTC), which every zone's half hours fall on


@dataclass(frozen=True, slots=True)
class TicketEvent:
    at: datetime
    action: str
    to_status: str | None
    station_id: int | None


@dataclass(frozen=True, slots=True)
class Visit:
    """One ticket as its events tell it (its kind, service, joining and appointment time never change)."""

    ticket_id: int
    kind: str
    service: str
    joined_at: datetime
    wait_start: datetime
    events: Sequence[TicketEvent]  # in order, up to the report's end
    promised_p10_minutes: float | None = None
    promised_p50_minutes: float | None = None
    promised_p90_minutes: float | None = None


@dataclass(frozen=True, slots=True)
class StationChange:
    station_id: int
    at: datetime
    state: str


@dataclass(frozen=True, slots=True)
class Rating:
    at: datetime
    rating: int
    service: str
    comment: str | None


@dataclass(frozen=True, slots=True)
class Target:
    minutes: int
    percent: int


@dataclass(slots=True)
class WaitFigures:
    count: int = 0
    p50_minutes: float | None = None
    p90_minutes: float | None = None
    max_minutes: float | None = None


@dataclass(slots=True)
class TargetFigures:
    counted: int = 0
    within: int = 0
    percent: float | None = None
    met: bool | None = None


@dataclass(slots=True)
class Outcomes:
    served: int = 0
    no_show: int = 0
    left: int = 0
    cancelled: int = 0
    in_line: int = 0


@dataclass(slots=True)
class Summary:
    arrivals: int
    arrivals_by_kind: dict[str, int]
    outcomes: Outcomes
    waits: WaitFigures
    target: TargetFigures
    open_minutes: float
    busy_minutes: float
    utilisation_percent: float | None
    accuracy: AccuracyScore
    ratings: int
    mean_rating: float | None


@dataclass(slots=True)
class DayRow:
    day: date
    arrivals: int
    arrivals_by_kind: dict[str, int]
    outcomes: Outcomes
    waits: WaitFigures
    target: TargetFigures
    open_minutes: float
    busy_minutes: float
    utilisation_percent: float | None
    ratings: int
    mean_rating: float | None


@dataclass(slots=True)
class HourRow:
    hour: int
    arrivals: int
    arrivals_by_kind: dict[str, int]
    waits: WaitFigures
    target: TargetFigures


@dataclass(slots=True)
class HalfHourRow:
    starts: str  # local wall time "07:30"
    arrivals: int
    arrivals_per_day: float | None
    stations_open: float | None
    waits: WaitFigures


@dataclass(slots=True)
class WaitRow:
    group: str  # "kind" or "service"
    name: str  # the kind, or the service's code
    waits: WaitFigures
    service_name: str | None = None  # the service's name in the report's language


@dataclass(slots=True)
class StationDayRow:
    day: date
    station_id: int
    station: str
    open_minutes: float
    busy_minutes: float
    utilisation_percent: float | None


@dataclass(slots=True)
class AccuracyRow:
    service: str | None  # the service's code; None: every service together
    score: AccuracyScore
    service_name: str | None = None


@dataclass(slots=True)
class Comment:
    day: date
    at: datetime
    rating: int
    service: str
    comment: str
    service_name: str = ""


@dataclass(slots=True)
class Figures:
    summary: Summary
    days: list[DayRow]
    hours: list[HourRow]
    half_hours: list[HalfHourRow]
    waits: list[WaitRow]
    stations: list[StationDayRow]
    accuracy: list[AccuracyRow]
    ratings: dict[int, int]
    comments: list[Comment]
    days_open: int = 0


def site_figures(
    *,
    tz: ZoneInfo,
    first_day: date,
    last_day: date,
    start: datetime,
    end: datetime,
    target: Target,
    visits: Sequence[Visit],
    station_names: dict[int, str],
    station_changes: Sequence[StationChange],
    ratings: Sequence[Rating],
    opening: Sequence[tuple[datetime, datetime]],
    service_names: Mapping[str, str],
) -> Figures:
    """Every table of a site's report between `start` and `end` (the range's instants, `end` at most now).

    `opening`: the site's opening intervals over the range (station time outside them is not counted);
    `service_names`: each service's code to its name in the report's language.
    """
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]

    def local(at: datetime) -> datetime:
        return at.astimezone(tz)

    arrivals_day: dict[date, Counter[str]] = defaultdict(Counter)
    arrivals_hour: dict[int, Counter[str]] = defaultdict(Counter)
    arrivals_half: Counter[int] = Counter()
    outcomes_day: dict[date, Outcomes] = defaultdict(Outcomes)
    waits_day: dict[date, list[float]] = defaultdict(list)
    waits_hour: dict[int, list[float]] = defaultdict(list)
    waits_half: dict[int, list[float]] = defaultdict(list)
    waits_kind: dict[str, list[float]] = defaultdict(list)
    waits_service: dict[str, list[float]] = defaultdict(list)
    target_day: dict[date, list[bool]] = defaultdict(list)
    target_hour: dict[int, list[bool]] = defaultdict(list)
    promised: list[tuple[str, float, float, float, float]] = []
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)

    for visit in visits:
        joined = local(visit.joined_at)
        arrivals_day[joined.date()][visit.kind] += 1
        arrivals_hour[joined.hour][visit.kind] += 1
        arrivals_half[half_hour_of(joined)] += 1
        outcome = OUTCOMES.get(_last_status(visit) or "", "in_line")
        day_outcomes = outcomes_day[joined.date()]
        setattr(day_outcomes, outcome, getattr(day_outcomes, outcome) + 1)
        began = local(visit.wait_start)
        wait = _wait_minutes(visit)
        if wait is not None:
            for bucket, key in (
                (waits_day, began.date()),
                (waits_hour, began.hour),
                (waits_half, half_hour_of(began)),
                (waits_kind, visit.kind),
                (waits_service, visit.service),
            ):
                bucket[key].append(wait)  # type: ignore[index]
            within: bool | None = wait <= target.minutes
            if (
                visit.promised_p10_minutes is not None
                and visit.promised_p50_minutes is not None
                and visit.promised_p90_minutes is not None
            ):
                promised.append(
                    (
                        visit.service,
                        wait,
                        visit.promised_p10_minutes,
                        visit.promised_p50_minutes,
                        visit.promised_p90_minutes,
                    )
                )
        else:
            waited_until = _uncalled_until(visit, end)
            waited = (waited_until - visit.wait_start).total_seconds() / 60
            within = False if waited > target.minutes else None
        if within is not None:
            target_day[began.date()].append(within)
            target_hour[began.hour].append(within)
        for station_id, since, until in _at_station(visit, end):
            busy[station_id].append((since, until))

    open_intervals = {
        station_id: list(_overlaps(intervals, opening))
        for station_id, intervals in _open_intervals(station_changes, station_names, start, end).items()
    }
    open_day: dict[tuple[date, int], float] = defaultdict(float)
    busy_day: dict[tuple[date, int], float] = defaultdict(float)
    open_half: dict[tuple[date, int], float] = defaultdict(float)
    for station_id, intervals in open_intervals.items():
        for since, until in intervals:
            for piece_start, minutes in _slices(since, until):
                at = local(piece_start)
                open_day[(at.date(), station_id)] += minutes
                open_half[(at.date(), half_hour_of(at))] += minutes
        for since, until in _overlaps(_union(busy.get(station_id, [])), intervals):
            for piece_start, minutes in _slices(since, until):
                busy_day[(local(piece_start).date(), station_id)] += minutes

    ratings_day: dict[date, list[int]] = defaultdict(list)
    comments = []
    for given in sorted(ratings, key=lambda r: r.at):
        day = local(given.at).date()
        ratings_day[day].append(given.rating)
        if given.comment:
            comments.append(
                Comment(
                    day,
                    given.at,
                    given.rating,
                    given.service,
                    given.comment,
                    service_names.get(given.service, given.service),
                )
            )

    day_rows = []
    for day in days:
        opened = _minutes(sum(m for (d, _), m in open_day.items() if d == day))
        busied = _minutes(sum(m for (d, _), m in busy_day.items() if d == day))
        day_rows.append(
            DayRow(
                day=day,
                arrivals=sum(arrivals_day[day].values()),
                arrivals_by_kind=_by_kind(arrivals_day[day]),
                outcomes=outcomes_day[day],
                waits=_wait_figures(waits_day[day]),
                target=_target_figures(target_day[day], target),
                open_minutes=opened,
                busy_minutes=busied,
                utilisation_percent=_percent(busied, opened),
                ratings=len(ratings_day[day]),
                mean_rating=_mean(ratings_day[day]),
            )
        )

    hour_rows = [
        HourRow(
            hour=hour,
            arrivals=sum(arrivals_hour[hour].values()),
            arrivals_by_kind=_by_kind(arrivals_hour[hour]),
            waits=_wait_figures(waits_hour[hour]),
            target=_target_figures(target_hour[hour], target),
        )
        for hour in sorted(set(arrivals_hour) | set(target_hour))
    ]

    days_open = len({d for (d, _), m in open_day.items() if _minutes(m) > 0})
    halves = set(arrivals_half) | set(waits_half) | {h for (_, h), m in open_half.items() if _minutes(m) > 0}
    half_rows = []
    if halves:
        for half in range(min(halves), max(halves) + 1):
            station_minutes = sum(m for (_, h), m in open_half.items() if h == half)
            half_rows.append(
                HalfHourRow(
                    starts=f"{half // 2:02d}:{30 * (half % 2):02d}",
                    arrivals=arrivals_half[half],
                    arrivals_per_day=round(arrivals_half[half] / days_open, 2) if days_open else None,
                    stations_open=round(station_minutes / 30 / days_open, 2) if days_open else None,
                    waits=_wait_figures(waits_half[half]),
                )
            )

    wait_rows = [WaitRow("kind", kind, _wait_figures(waits_kind[kind])) for kind in KINDS] + [
        WaitRow(
            "service", service, _wait_figures(waits_service[service]), service_names.get(service, service)
        )
        for service in sorted(waits_service)
    ]

    station_rows = [
        StationDayRow(
            day=day,
            station_id=station_id,
            station=station_names.get(station_id, str(station_id)),
            open_minutes=_minutes(open_day[(day, station_id)]),
            busy_minutes=_minutes(busy_day[(day, station_id)]),
            utilisation_percent=_percent(
                _minutes(busy_day[(day, station_id)]), _minutes(open_day[(day, station_id)])
            ),
        )
        for day in days
        for station_id in sorted(station_names)
        if _minutes(open_day.get((day, station_id), 0.0)) > 0
    ]

    by_service: dict[str | None, list[tuple[str, float, float, float, float]]] = {None: promised}
    for row in promised:
        by_service.setdefault(row[0], []).append(row)
    accuracy_rows = [
        AccuracyRow(
            service,
            score([r[1] for r in rows], [r[3] for r in rows], [r[2] for r in rows], [r[4] for r in rows]),
            None if service is None else service_names.get(service, service),
        )
        for service, rows in sorted(by_service.items(), key=lambda item: (item[0] is not None, item[0] or ""))
    ]

    every_rating = [r.rating for r in ratings]
    all_waits = [w for ws in waits_day.values() for w in ws]
    all_targets = [t for ts in target_day.values() for t in ts]
    total_open = _minutes(sum(open_day.values()))
    total_busy = _minutes(sum(busy_day.values()))
    arrivals_by_kind: Counter[str] = Counter()
    for counter in arrivals_day.values():
        arrivals_by_kind.update(counter)
    total_outcomes = Outcomes()
    for day_row in day_rows:
        for name in ("served", "no_show", "left", "cancelled", "in_line"):
            setattr(total_outcomes, name, getattr(total_outcomes, name) + getattr(day_row.outcomes, name))
    summary = Summary(
        arrivals=sum(arrivals_by_kind.values()),
        arrivals_by_kind=_by_kind(arrivals_by_kind),
        outcomes=total_outcomes,
        waits=_wait_figures(all_waits),
        target=_target_figures(all_targets, target),
        open_minutes=total_open,
        busy_minutes=total_busy,
        utilisation_percent=_percent(total_busy, total_open),
        accuracy=accuracy_rows[0].score,
        ratings=len(every_rating),
        mean_rating=_mean(every_rating),
    )
    return Figures(
        summary=summary,
        days=day_rows,
        hours=hour_rows,
        half_hours=half_rows,
        waits=wait_rows,
        stations=station_rows,
        accuracy=accuracy_rows,
        ratings={stars: every_rating.count(stars) for stars in range(1, 6)},
        comments=comments,
        days_open=days_open,
    )


# The rules, one function each ------------------------------------------------------------


def _last_status(visit: Visit) -> str | None:
    status = None
    for event in visit.events:
        if event.to_status is not None:
            status = event.to_status
    return status


def _wait_minutes(visit: Visit) -> float | None:
    """Minutes from the wait's start to the first call; None when never called."""
    for event in visit.events:
        if event.action == "call":
            return max(0.0, (event.at - visit.wait_start).total_seconds() / 60)
    return None


def _uncalled_until(visit: Visit, end: datetime) -> datetime:
    """How long a ticket never called waited: until it left the line, else until the report's end."""
    for event in visit.events:
        if event.to_status in OUTCOMES:
            return event.at
    return end


def _at_station(visit: Visit, end: datetime) -> Iterable[tuple[int, datetime, datetime]]:
    """The intervals the ticket held a station (called to it or in service there)."""
    holding: tuple[int, datetime] | None = None
    for event in visit.events:
        if event.to_status is None:
            continue
        at_station = event.to_status in AT_STATION and event.station_id is not None
        if holding is not None and (not at_station or event.station_id != holding[0]):
            yield holding[0], holding[1], event.at
            holding = None
        if at_station and holding is None:
            assert event.station_id is not None
            holding = (event.station_id, event.at)
    if holding is not None and holding[1] < end:
        yield holding[0], holding[1], end


def _open_intervals(
    changes: Sequence[StationChange], names: dict[int, str], start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each station's open intervals within [start, end], from its state changes (the last before `start` first)."""
    by_station: dict[int, list[StationChange]] = defaultdict(list)
    for change in sorted(changes, key=lambda c: c.at):
        by_station[change.station_id].append(change)
    intervals: dict[int, list[tuple[datetime, datetime]]] = {}
    for station_id in names:
        opened: datetime | None = None
        found = []
        for change in by_station.get(station_id, []):
            at = min(max(change.at, start), end)
            if change.state == StationState.OPEN.value:
                if opened is None:
                    opened = at
            elif opened is not None:
                if at > opened:
                    found.append((opened, at))
                opened = None
        if opened is not None and end > opened:
            found.append((opened, end))
        intervals[station_id] = found
    return intervals


def _overlaps(
    busy: Sequence[tuple[datetime, datetime]], open_: Sequence[tuple[datetime, datetime]]
) -> Iterable[tuple[datetime, datetime]]:
    for b_start, b_end in busy:
        for o_start, o_end in open_:
            since, until = max(b_start, o_start), min(b_end, o_end)
            if until > since:
                yield since, until


def _union(intervals: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The intervals merged where they overlap: a station holding two patients at once is busy once."""
    merged: list[tuple[datetime, datetime]] = []
    for since, until in sorted(intervals):
        if merged and since <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], until))
        else:
            merged.append((since, until))
    return merged


def _slices(since: datetime, until: datetime) -> Iterable[tuple[datetime, float]]:
    """[since, until) cut at every UTC quarter hour: (start of each piece, its minutes)."""
    at = since
    while at < until:
        boundary = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0) + SLICE
        piece_end = min(boundary, until)
        yield at, (piece_end - at).total_seconds() / 60
        at = piece_end


def _wait_figures(waits: Sequence[float]) -> WaitFigures:
    if not waits:
        return WaitFigures()
    values = np.asarray(waits, dtype=float)
    return WaitFigures(
        count=len(waits),
        p50_minutes=_minutes(float(np.percentile(values, 50))),
        p90_minutes=_minutes(float(np.percentile(values, 90))),
        max_minutes=_minutes(float(values.max())),
    )


def _target_figures(outcomes: Sequence[bool], target: Target) -> TargetFigures:
    if not outcomes:
        return TargetFigures()
    within = sum(outcomes)
    percent = 100 * within / len(outcomes)
    return TargetFigures(
        counted=len(outcomes), within=within, percent=round(percent, 1), met=percent >= target.percent
    )


def _by_kind(counter: Counter[str]) -> dict[str, int]:
    return {kind: counter[kind] for kind in KINDS}


def _minutes(value: float) -> float:
    return round(value, 1)


def _percent(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole > 0 else None


def _mean(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None
