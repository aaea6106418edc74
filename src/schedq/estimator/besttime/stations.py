"""A future day's stations: which open in each block of the capacity plan, with which skills, when."""

from __future__ import annotations

import math
from datetime import datetime

from .keys import minutes_after
from .plan import DayPlan

_INF = math.inf


def future_plan(
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
    segments = [
        (minutes_after(b.starts_at, origin), minutes_after(b.ends_at, origin), b.stations) for b in blocks
    ]
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
