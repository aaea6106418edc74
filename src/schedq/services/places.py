"""A place as a patient types it, read without calling anything outside schedq.

Understood, in this order (README: "The pages"):

1. `latitude, longitude` in degrees (`39.78, -89.65`), what the start page's
   "Use my location" button sends;
2. a US ZIP code (`62701`, `62701-1234`), placed at its centre from the
   offline table of the `zipcodes` package;
3. a US city and state (`Springfield, IL`, `springfield il`), placed at the
   centre of its ZIP codes, from the same table;
4. words of a site's own name or address (`river road`), placed at that site.

Anything else is refused with a plain sentence: no outside geocoder is ever
called, so a patient's typed place leaves no trace anywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import fmean

from schedq.domain.errors import InvalidInput
from schedq.domain.geo import Point

FIELD = "near"

UNKNOWN_PLACE = (
    "That place is not known here. Type a US ZIP code (62701), a city and state (Springfield, IL), "
    "latitude and longitude (39.78, -89.65), or words of a site's name or address."
)

_COORDINATES = re.compile(r"^\s*([-+]?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*([-+]?\d{1,3}(?:\.\d+)?)\s*$")
_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
_CITY_STATE = re.compile(r"^\s*([A-Za-z][A-Za-z .'-]*?)\s*,?\s+([A-Za-z]{2})\s*$")


class Kind:
    COORDINATES = "coordinates"
    ZIP = "zip"
    CITY = "city"
    SITE = "site"


@dataclass(frozen=True, slots=True)
class Place:
    """Where the patient is: a point, what was understood (`Kind`), and a label to show back."""

    point: Point
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class SiteText:
    """What of a site a typed place may match: its name and address, and its position if it has one."""

    site_id: int
    name: str
    address: str
    point: Point | None


def read_place(text: str, sites: Iterable[SiteText] = ()) -> Place:
    """The place `text` names (see the module docstring), or InvalidInput with a plain sentence."""
    typed = " ".join(text.split())
    if not typed:
        raise InvalidInput(FIELD, UNKNOWN_PLACE)
    for reader in (_coordinates, _zip_code, _city_state):
        place = reader(typed)
        if place is not None:
            return place
    place = _site_text(typed, sites)
    if place is not None:
        return place
    raise InvalidInput(FIELD, UNKNOWN_PLACE)


def at_point(latitude: float, longitude: float) -> Place:
    """A place given as coordinates (validated by the caller's schema)."""
    return Place(Point(latitude, longitude), Kind.COORDINATES, f"{latitude:.4f}, {longitude:.4f}")


def _coordinates(typed: str) -> Place | None:
    found = _COORDINATES.match(typed)
    if found is None:
        return None
    latitude, longitude = float(found[1]), float(found[2])
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput(FIELD, "Latitude lies between -90 and 90, longitude between -180 and 180.")
    return at_point(latitude, longitude)


def _zip_code(typed: str) -> Place | None:
    found = _ZIP.match(typed)
    if found is None:
        return None
    import zipcodes  # its table loads on first use

    rows = [row for row in zipcodes.matching(found[1]) if _has_position(row)]
    if not rows:
        return None
    row = rows[0]
    return Place(_point(row), Kind.ZIP, f"{row['zip_code']} ({row['city']}, {row['state']})")


def _city_state(typed: str) -> Place | None:
    found = _CITY_STATE.match(typed)
    if found is None:
        return None
    import zipcodes

    city, state = found[1].strip().casefold(), found[2].upper()
    rows = [
        row
        for row in zipcodes.filter_by(state=state)
        if row["city"].casefold() == city and _has_position(row)
    ]
    if not rows:
        return None
    centre = Point(fmean(float(r["lat"]) for r in rows), fmean(float(r["long"]) for r in rows))
    return Place(centre, Kind.CITY, f"{rows[0]['city']}, {state}")


def _site_text(typed: str, sites: Iterable[SiteText]) -> Place | None:
    """The first placed site (by id) whose name and address hold every word typed."""
    words = typed.casefold().replace(",", " ").split()
    for site in sorted(sites, key=lambda s: s.site_id):
        if site.point is None:
            continue
        haystack = f"{site.name} {site.address}".casefold().replace(",", " ")
        if all(word in haystack for word in words):
            return Place(site.point, Kind.SITE, site.name)
    return None


def _has_position(row: dict) -> bool:
    return bool(row.get("lat")) and bool(row.get("long"))


def _point(row: dict) -> Point:
    return Point(float(row["lat"]), float(row["long"]))
