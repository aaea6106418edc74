"""Distances between a patient and a site, and the travel time "Where should I go now?" counts.

Travel is the straight-line (great-circle) distance at a stated speed
(`SCHEDQ_TRAVEL_KMH`, README: "The pages"): no road network is known, and the
pages say so next to every travel time. Distances are shown in miles where
people measure roads in miles, in kilometres elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG), which the haversine formula takes for a sphere."""

KM_PER_MILE = 1.609344

MILES_COUNTRIES = frozenset({"US", "GB", "LR", "MM"})
"""Where road distances are given in miles: the United States, the United Kingdom, Liberia, Myanmar."""


@dataclass(frozen=True, slots=True)
class Point:
    """A position in WGS 84 degrees."""

    latitude: float
    longitude: float


def distance_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points (haversine), in kilometres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    d_lat = lat2 - lat1
    d_lon = math.radians(b.longitude - a.longitude)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def travel_minutes(km: float, *, speed_kmh: float) -> int:
    """Whole minutes to cover `km` at `speed_kmh`, rounded up (a minute's travel is never shown as none)."""
    if speed_kmh <= 0:
        raise ValueError("the travel speed must be above 0 km/h")
    return math.ceil(round(km / speed_kmh * 60, 6))


def unit_for(country: str) -> str:
    """`mi` where people measure roads in miles (`MILES_COUNTRIES`), else `km`."""
    return "mi" if country in MILES_COUNTRIES else "km"


def in_unit(km: float, unit: str) -> float:
    """`km` as `unit` (`km` or `mi`), to a tenth."""
    return round(km / KM_PER_MILE if unit == "mi" else km, 1)


def map_link(latitude: float, longitude: float) -> str:
    """A link to the place on OpenStreetMap, a pin at street zoom (followed by the patient, never fetched here)."""
    return f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}#map=17/{latitude}/{longitude}"
