"""The output grid: the local half hours of a day's opening span, with the part open for walk-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ..model import half_hour_of
from .keys import minutes_after
from .plan import DayPlan

_HALF_HOUR = timedelta(minutes=30)


@dataclass(slots=True)
class HalfHour:
    """A half hour of a day's output grid, in minutes after the origin."""

    starts_at: datetime
    ends_at: datetime
    start: float
    end: float
    walk_in_start: float | None  # the part open for walk-ins (None: closed)
    walk_in_end: float | None
    local_half_hour: int
    expected: float = 0.0


def half_hours(day: DayPlan, tz: ZoneInfo, origin: datetime, after: datetime | None) -> list[HalfHour]:
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
            half = HalfHour(
                starts_at=at,
                ends_at=end,
                start=minutes_after(at, origin),
                end=minutes_after(end, origin),
                walk_in_start=minutes_after(open_parts[0][0], origin) if open_parts else None,
                walk_in_end=minutes_after(open_parts[-1][1], origin) if open_parts else None,
                local_half_hour=half_hour_of(wall),
            )
            halves.append(half)
        at = end
    return halves
