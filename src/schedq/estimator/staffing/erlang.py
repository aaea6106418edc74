"""Erlang C staffing: the fewest stations of a steady M/M/c line that call a share of patients in time."""

from __future__ import annotations

import math

from ..baselines import erlang_c_probability

MAX_STATIONS = 500
"""Beyond any collection site; the search gives up there rather than loop."""


def share_called_within(
    *, arrivals_per_hour: float, mean_service_minutes: float, stations: int, within_minutes: float
) -> float:
    """Steady-state P(wait <= t) of M/M/c: 1 - C(c, a) exp(-(c mu - lambda) t); 0 when unstable.

    `a` = lambda / mu is the offered load in stations (Erlang C; the Erlang B
    recursion inside `erlang_c_probability` keeps it stable for large c).
    """
    if arrivals_per_hour <= 0:
        return 1.0
    if stations <= 0 or mean_service_minutes <= 0:
        return 0.0
    per_minute = arrivals_per_hour / 60.0
    load = per_minute * mean_service_minutes
    if load >= stations:
        return 0.0
    waits = erlang_c_probability(load, stations)
    drain_per_minute = stations / mean_service_minutes - per_minute
    return 1.0 - waits * math.exp(-drain_per_minute * within_minutes)


def erlang_c_stations(
    *, arrivals_per_hour: float, mean_service_minutes: float, within_minutes: float, share: float
) -> int:
    """The fewest stations c (at least 1, more than the offered load) with P(wait <= t) >= `share`.

    A steady Poisson stream of `arrivals_per_hour`, exponential service of
    mean `mean_service_minutes`, one line served first come first served.
    """
    if not 0.0 <= share < 1.0:
        raise ValueError("share must be in [0, 1)")
    load = max(arrivals_per_hour, 0.0) / 60.0 * mean_service_minutes
    stations = max(1, math.floor(load) + 1)
    while stations < MAX_STATIONS:
        if (
            share_called_within(
                arrivals_per_hour=arrivals_per_hour,
                mean_service_minutes=mean_service_minutes,
                stations=stations,
                within_minutes=within_minutes,
            )
            >= share
        ):
            return stations
        stations += 1
    return MAX_STATIONS
