"""Opening hours, capacity plans and the appointment slots derived from them.

Hours and plans are local wall times in the site's IANA zone; slots are instants.
Each slot run starts at the local wall time where hours and a capacity block
overlap, then steps in real minutes, so a daylight-saving change neither loses
nor doubles a slot: on the night clocks go back an open 01:00–02:00 happens
twice and both hours are bookable; when they go forward the missing hour has
no slots.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from schedq.domain.errors import InvalidInput

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class WeeklyInterval:
    """Opening interval on a weekday (0 = Monday), local wall time, closes > opens."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class PlanBlock:
    """Part of a weekday with planned stations and appointment seats per slot."""

    weekday: int
    starts: time
    ends: time
    stations: int
    seats_per_slot: int


@dataclass(frozen=True, slots=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    seats: int


NOT_SITE_ZONES = frozenset({"localtime", "Factory", "posixrules"})
"""Names the zone database holds that are no place: the host's own zone, a placeholder, a template."""


def is_site_zone(name: str) -> bool:
    """`name` is an IANA zone a site can be in (README: input rules)."""
    return name in _known_zones()


def zone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA zone `name`, or InvalidInput naming `field`."""
    if not name or name not in _known_zones():
        raise InvalidInput(field, f"unknown IANA timezone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(field, f"unknown IANA timezone {name!r}") from error


_ZONES: frozenset[str] | None = None


def _known_zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(
            name
            for name in available_timezones()
            if name not in NOT_SITE_ZONES and not name.startswith(("posix/", "right/"))
        )
    return _ZONES


def validate_hours(intervals: Sequence[WeeklyInterval], *, field: str = "hours") -> None:
    """Each interval opens before it closes; intervals on one weekday never overlap."""
    _validate_weekly(
        [(i.weekday, i.opens, i.closes) for i in intervals], field=field, start="opens", end="closes"
    )


def validate_plan(blocks: Sequence[PlanBlock], *, field: str = "blocks") -> None:
    """Blocks are ordered, non-overlapping stretches with positive stations."""
    _validate_weekly([(b.weekday, b.starts, b.ends) for b in blocks], field=field, start="starts", end="ends")
    for index, block in enumerate(blocks):
        if block.stations < 1:
            raise InvalidInput(f"{field}.{index}.stations", "must be at least 1")
        if block.seats_per_slot < 0:
            raise InvalidInput(f"{field}.{index}.seats_per_slot", "must not be negative")


def _validate_weekly(rows: Sequence[tuple[int, time, time]], *, field: str, start: str, end: str) -> None:
    for index, (weekday, begins, finishes) in enumerate(rows):
        if not 0 <= weekday <= 6:
            raise InvalidInput(f"{field}.{index}.weekday", "must be 0 (Monday) to 6 (Sunday)")
        if finishes <= begins:
            raise InvalidInput(f"{field}.{index}.{end}", f"must be after {start}")
    order = sorted(range(len(rows)), key=lambda i: (rows[i][0], rows[i][1]))
    for before, after in zip(order, order[1:]):
        if rows[before][0] == rows[after][0] and rows[after][1] < rows[before][2]:
            raise InvalidInput(
                f"{field}.{after}.{start}",
                f"overlaps another interval on {WEEKDAYS[rows[after][0]]}",
            )


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time `wall` on local `day` (the earlier one when ambiguous)."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def opening_intervals(
    day: date, hours: Iterable[WeeklyInterval], tz: ZoneInfo, closures: frozenset[date] = frozenset()
) -> list[tuple[datetime, datetime]]:
    """The UTC intervals a site is open on local `day`."""
    if day in closures:
        return []
    return sorted(
        (local_instant(day, i.opens, tz), local_instant(day, i.closes, tz))
        for i in hours
        if i.weekday == day.weekday()
    )


def closing_time(
    day: date, hours: Iterable[WeeklyInterval], tz: ZoneInfo, closures: frozenset[date] = frozenset()
) -> datetime | None:
    """When the site closes on local `day` (end of its last interval), None if closed all day."""
    intervals = opening_intervals(day, hours, tz, closures)
    return intervals[-1][1] if intervals else None


def day_slots(
    day: date,
    *,
    hours: Iterable[WeeklyInterval],
    plan: Iterable[PlanBlock],
    tz: ZoneInfo,
    slot_minutes: int,
    closures: frozenset[date] = frozenset(),
) -> list[Slot]:
    """Every appointment slot of local `day`, before bookings, lead time and horizon."""
    if day in closures:
        return []
    step = timedelta(minutes=slot_minutes)
    slots: list[Slot] = []
    weekday = day.weekday()
    for block in (b for b in plan if b.weekday == weekday and b.seats_per_slot > 0):
        for interval in (h for h in hours if h.weekday == weekday):
            starts = max(block.starts, interval.opens)
            ends = min(block.ends, interval.closes)
            if starts >= ends:
                continue
            run_start = local_instant(day, starts, tz)
            run_end = local_instant(day, ends, tz)
            slots.extend(Slot(at, at + step, block.seats_per_slot) for at in _steps(run_start, run_end, step))
    return sorted(slots, key=lambda s: s.starts_at)


def _steps(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    at = start
    while at + step <= end:
        yield at
        at += step


def planned_stations_at(instant: datetime, *, plan: Iterable[PlanBlock], tz: ZoneInfo) -> int:
    """Stations the plan has open at `instant` (0 outside every block)."""
    local = instant.astimezone(tz)
    wall = local.time().replace(tzinfo=None)
    for block in plan:
        if block.weekday == local.weekday() and block.starts <= wall < block.ends:
            return block.stations
    return 0


def local_day(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()
