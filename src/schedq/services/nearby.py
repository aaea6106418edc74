"""Where should I go now? The sites near a place, their status and walk-in wait, and who sees you soonest.

Each site's status and wait are its public wait summary (`wait.wait_summary`),
read through the shared per-state estimates like `GET /sites/{id}/wait`
(README: "Shared estimates and caching"): asking for ten sites costs ten wait
reads, never a new kind of estimate.

"Seen soonest" for a service (README: "The pages") compares travel plus the
median wait of a walk-in joining now, among the sites that take walk-ins for
that service now, have a position, and still take walk-ins when the patient
would get there; the answer shows travel plus the 10–90 % range. Travel is the
straight-line distance at the stated speed (`domain.geo`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from schedq.db.models import Site
from schedq.db.uow import UnitOfWork
from schedq.domain import geo, messages
from schedq.services import public
from schedq.services.estimates.wait import WaitSummary, wait_summary
from schedq.services.places import Place, SiteText

MakeUow = Callable[..., UnitOfWork]

NEARBY_LIMIT = 10
"""Sites listed around a place, nearest first."""

RADIUS_KM = 100.0
"""How far from the place a site may be and still be listed."""

ALL_SITES_LIMIT = 20
"""Sites listed, by name, before the patient has said where they are."""


@dataclass(frozen=True, slots=True)
class SiteRow:
    """A site as the list needs it, read without loading its hours or stations."""

    site_id: int
    name: str
    address: str
    phone: str | None
    country: str
    point: geo.Point | None

    def text(self) -> SiteText:
        return SiteText(self.site_id, self.name, self.address, self.point)


@dataclass(frozen=True, slots=True)
class NearbySite:
    """One listed site: where it is, how far, and its wait now."""

    site: SiteRow
    distance_km: float | None
    travel_minutes: int | None
    wait: WaitSummary

    @property
    def distance_unit(self) -> str:
        return geo.unit_for(self.site.country)

    @property
    def distance(self) -> float | None:
        """The distance in the site's country's unit (`distance_unit`)."""
        return None if self.distance_km is None else geo.in_unit(self.distance_km, self.distance_unit)

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else geo.in_unit(self.distance_km, "mi")

    def service(self, code: str) -> dict[str, Any] | None:
        return next((s for s in self.wait.services if s["service"] == code), None)


@dataclass(frozen=True, slots=True)
class Soonest:
    """For one service, the site that sees a walk-in soonest counting travel, and by how much."""

    service: str
    service_name: str
    site: NearbySite
    travel_minutes: int
    wait: dict[str, Any]  # the site's newcomer estimate for the service

    def seen_in(self, key: str) -> float:
        """Travel plus the wait's `p10_minutes`, `p50_minutes` or `p90_minutes`."""
        return round(self.travel_minutes + self.wait[key], 1)

    @property
    def message(self) -> dict[str, str]:
        """Travel plus the wait range in words, per language, rounded as every wait is (`domain.messages`)."""
        return messages.messages(
            self.seen_in("p10_minutes"),
            self.seen_in("p90_minutes"),
            newcomer=True,
            runs_past_close=self.wait["runs_past_close"],
        )


@dataclass(frozen=True, slots=True)
class Nearby:
    """The answer: the place, the speed travel is counted at, the sites and who sees you soonest."""

    place: Place | None
    speed_kmh: float
    radius_km: float
    sites: list[NearbySite]
    soonest: list[Soonest]
    more_sites: bool = False  # without a place: more sites exist than are listed
    stale: bool = field(default=False)  # some wait was built from a previous state (not kept by a cache)

    @property
    def travel_note(self) -> dict[str, str]:
        """How travel is counted, in every language the API speaks: said wherever a travel time is shown."""
        return messages.every_language("travel_note", speed=f"{self.speed_kmh:g}")


def site_rows(uow: UnitOfWork) -> list[SiteRow]:
    """Every site, light: no hours, closures or stations loaded."""
    with uow:
        rows = uow.session.execute(
            select(Site.id, Site.name, Site.address, Site.phone, Site.country, Site.latitude, Site.longitude)
        ).all()
    return [
        SiteRow(
            id_,
            name,
            address,
            phone,
            country,
            geo.Point(lat, lon) if lat is not None and lon is not None else None,
        )
        for id_, name, address, phone, country, lat, lon in rows
    ]


@dataclass(frozen=True, slots=True)
class Chosen:
    """The sites to list around a place (nearest first, then those with no position), with their distances."""

    place: Place | None
    rows: list[tuple[SiteRow, float | None]]
    more_sites: bool


def choose(rows: list[SiteRow], place: Place | None) -> Chosen:
    """Up to `NEARBY_LIMIT` sites within `RADIUS_KM` of `place`, nearest first, then sites with no position.

    Without a place: the first `ALL_SITES_LIMIT` sites by name.
    """
    if place is None:
        by_name = sorted(rows, key=lambda r: (r.name.casefold(), r.site_id))
        return Chosen(None, [(r, None) for r in by_name[:ALL_SITES_LIMIT]], len(by_name) > ALL_SITES_LIMIT)
    placed = sorted(
        (
            (geo.distance_km(place.point, row.point), row.site_id, row)
            for row in rows
            if row.point is not None
        ),
        key=lambda found: found[:2],
    )
    near: list[tuple[SiteRow, float | None]] = []
    for km, _, row in placed:
        if km > RADIUS_KM or len(near) == NEARBY_LIMIT:
            break
        near.append((row, km))
    unplaced = sorted((r for r in rows if r.point is None), key=lambda r: r.site_id)
    near += [(row, None) for row in unplaced[: NEARBY_LIMIT - len(near)]]
    return Chosen(place, near, False)


def states(make_uow: MakeUow, chosen: Chosen, *, now: datetime, max_model_age_hours: int) -> str:
    """The name of what the answer shows: each listed site's public read state, as its wait names it."""
    names = [
        f"{row.site_id}@{km}:"
        + public.site_read_state(
            make_uow, site_id=row.site_id, now=now, max_model_age_hours=max_model_age_hours
        )
        for row, km in chosen.rows
    ]
    return "|".join(names)


def build(
    make_uow: MakeUow, chosen: Chosen, *, now: datetime, speed_kmh: float, language: str = "en"
) -> Nearby:
    """Each chosen site's wait summary (shared per state), its travel, and the soonest site per service."""
    listed = [
        NearbySite(
            site=row,
            distance_km=None if km is None else round(km, 3),
            travel_minutes=None if km is None else geo.travel_minutes(km, speed_kmh=speed_kmh),
            wait=wait_summary(make_uow(write=False), site_id=row.site_id, now=now, language=language),
        )
        for row, km in chosen.rows
    ]
    return Nearby(
        place=chosen.place,
        speed_kmh=speed_kmh,
        radius_km=RADIUS_KM,
        sites=listed,
        soonest=soonest(listed, now=now),
        more_sites=chosen.more_sites,
        stale=any(each.wait.stale for each in listed),
    )


def find(
    make_uow: MakeUow, place: Place | None, *, now: datetime, speed_kmh: float, max_model_age_hours: int
) -> Nearby:
    """The whole answer for a place (or none), as the API and the start page give it."""
    chosen = choose(site_rows(make_uow(write=False)), place)
    states(make_uow, chosen, now=now, max_model_age_hours=max_model_age_hours)
    return build(make_uow, chosen, now=now, speed_kmh=speed_kmh)


def soonest(listed: list[NearbySite], *, now: datetime) -> list[Soonest]:
    """Per service, the placed site with the least travel + median wait among those a walk-in can join on arrival.

    Ties go to the narrower worst case (travel + 90th percentile), then the
    nearer site.
    """
    best: dict[str, tuple[tuple[float, float, float], Soonest]] = {}
    for each in listed:
        if each.travel_minutes is None or each.distance_km is None:
            continue
        status = each.wait.status
        if not status.walk_ins_accepted:
            continue
        arrival = now + timedelta(minutes=each.travel_minutes)
        if status.walk_ins_until is not None and arrival >= status.walk_ins_until:
            continue
        for service in each.wait.services:
            estimate = service["estimate"]
            if estimate["no_station_can_serve"] or estimate["p50_minutes"] is None:
                continue
            if estimate["p90_minutes"] is None:
                continue
            candidate = Soonest(
                service=service["service"],
                service_name=service["service_name"],
                site=each,
                travel_minutes=each.travel_minutes,
                wait=estimate,
            )
            key = (candidate.seen_in("p50_minutes"), candidate.seen_in("p90_minutes"), each.distance_km)
            held = best.get(candidate.service)
            if held is None or key < held[0]:
                best[candidate.service] = (key, candidate)
    return [found for _, (_, found) in sorted(best.items())]
