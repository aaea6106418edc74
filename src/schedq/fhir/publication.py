"""SMART Scheduling Links bulk publication: a `$bulk-publish` manifest and NDJSON files of every site.

What is published (README: "FHIR and SMART Scheduling Links"): one NDJSON file
each of Location, HealthcareService and Schedule resources, and the Slot
resources in files of at most `SITES_PER_SLOT_FILE` sites each, so an
aggregator can fetch them side by side. Slots cover the next `days` local days
of each site, from the one slot derivation (`services.appointments.open_slots`
over `domain.schedule.day_slots`: hours × capacity plan, closures, lead time and
booking horizon) and the seats booked, exactly as GET /sites/{id}/slots sees
them, except that a full slot is published `busy` instead of left out.

The whole publication costs a fixed handful of statements, whatever the number
of sites: the sites with their hours, closures, plans and stations (SQLAlchemy's
`selectin` loads, batched), the catalogue, and the seats booked in the window
for every site at once. The live walk-in wait on each Schedule (`mapping.LiveWait`)
is the site's shared estimate, as GET /sites/{id}/wait serves it; it costs an
estimate per site whose state changed, so it can be left out (`live_waits=False`).

Public data only: no appointment, ticket or contact is ever read beyond a count
of seats taken.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from schedq.db.models import Appointment, Service, Site
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import AppointmentStatus
from schedq.domain.site_status import SiteState
from schedq.fhir import mapping
from schedq.services.appointments import MAX_SLOT_RANGE_DAYS, open_slots

DEFAULT_DAYS = 7
"""Local days of slots published per site (today included); up to a month with `days`."""
SITES_PER_SLOT_FILE = 250
MANIFEST_NAME = "$bulk-publish"
FHIR_NDJSON = "application/fhir+ndjson"
MANIFEST_TYPE = "application/json"

MakeUow = Callable[..., UnitOfWork]


@dataclass(frozen=True, slots=True)
class PublishedFile:
    name: str
    resource_type: str
    body: bytes

    @property
    def etag(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:32]

    @property
    def lines(self) -> int:
        return self.body.count(b"\n")


@dataclass(frozen=True, slots=True)
class Publication:
    """One generation of the bulk publication: its files, and the manifest naming them."""

    transaction_time: datetime
    files: list[PublishedFile]
    manifest: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def manifest_body(self) -> bytes:
        return json.dumps(self.manifest, indent=1).encode() + b"\n"

    def file(self, name: str) -> PublishedFile | None:
        return next((f for f in self.files if f.name == name), None)


def publish(
    make_uow: MakeUow,
    *,
    public_url: str,
    now: datetime,
    days: int = DEFAULT_DAYS,
    live_waits: bool = True,
    files_url: str | None = None,
) -> Publication:
    """The whole publication at `now`: every site's Location, Schedules and Slots, and the manifest.

    `public_url` is where schedq itself answers (deep links, canonical URLs);
    `files_url` where the files and the manifest will be served (a CDN or
    bucket), by default schedq's own: `{public_url}/fhir/bulk/` for the files and
    `{public_url}/fhir/$bulk-publish` for the manifest.
    """
    if not 1 <= days <= MAX_SLOT_RANGE_DAYS:
        raise ValueError(f"days must be 1 to {MAX_SLOT_RANGE_DAYS}")
    if files_url:
        base = files_url.rstrip("/")
        request_url = f"{base}/{MANIFEST_NAME}"
    else:
        base = mapping.fhir_base(public_url) + "/bulk"
        request_url = f"{mapping.fhir_base(public_url)}/{MANIFEST_NAME}"
    with make_uow(write=False) as uow:
        site_list = list(uow.session.scalars(select(Site).order_by(Site.id)))
        services = list(uow.session.scalars(select(Service).order_by(Service.code)))
        booked = _booked_counts(uow, now, days)
        waits = _live_waits(make_uow, site_list, now) if live_waits else {}
        locations: list[bytes] = []
        schedules: list[bytes] = []
        slot_chunks: list[list[bytes]] = []
        offered_at: dict[str, list[int]] = defaultdict(list)
        chunk: list[bytes] = []
        for index, site in enumerate(site_list):
            offered = _offered(site, services)
            for service in offered:
                offered_at[service.code].append(site.id)
            locations.append(_line(mapping.location(site, public_url=public_url)))
            schedules.extend(
                _line(
                    mapping.schedule_resource(
                        site, service, public_url=public_url, live_wait=waits.get((site.id, service.code))
                    )
                )
                for service in offered
            )
            chunk.extend(_slot_lines(site, [s for s in offered if s.bookable], booked, now, days, public_url))
            if (index + 1) % SITES_PER_SLOT_FILE == 0:
                slot_chunks.append(chunk)
                chunk = []
        if chunk or not slot_chunks:
            slot_chunks.append(chunk)
        healthcare = [
            _line(mapping.healthcare_service(s, public_url=public_url, site_ids=offered_at[s.code]))
            for s in services
            if offered_at[s.code]
        ]
    files = [
        PublishedFile("Location.ndjson", "Location", b"".join(locations)),
        PublishedFile("HealthcareService.ndjson", "HealthcareService", b"".join(healthcare)),
        PublishedFile("Schedule.ndjson", "Schedule", b"".join(schedules)),
        *(
            PublishedFile(f"Slot-{number}.ndjson", "Slot", b"".join(lines))
            for number, lines in enumerate(slot_chunks, start=1)
        ),
    ]
    manifest = {
        "transactionTime": mapping.instant(now),
        "request": request_url,
        "output": [{"type": f.resource_type, "url": f"{base}/{f.name}"} for f in files],
        "error": [],
    }
    counts = Counter[str]()
    for f in files:
        counts[f.resource_type] += f.lines
    return Publication(now, files, manifest, dict(counts))


def _line(resource: dict[str, Any]) -> bytes:
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _offered(site: Site, services: Iterable[Service]) -> list[Service]:
    """The services some station at the site can do (as `services.sites.offered_service` asks), by code."""
    skills = {code for station in site.stations for code in station.skills}
    return [s for s in services if s.code in skills and (s.bookable or s.walk_in_allowed)]


def _booked_counts(uow: UnitOfWork, now: datetime, days: int) -> Counter[tuple[int, datetime]]:
    """Seats taken per site and slot start in the window, for every site in one statement."""
    rows = uow.session.execute(
        select(Appointment.site_id, Appointment.starts_at, func.count())
        .where(
            Appointment.starts_at >= now,
            Appointment.starts_at <= now + timedelta(days=days + 1),
            Appointment.status != AppointmentStatus.CANCELLED,
        )
        .group_by(Appointment.site_id, Appointment.starts_at)
    )
    return Counter({(site_id, starts_at): count for site_id, starts_at, count in rows})  # aware: UtcDateTime


def _slot_lines(
    site: Site,
    bookable: list[Service],
    booked: Counter[tuple[int, datetime]],
    now: datetime,
    days: int,
    public_url: str,
) -> list[bytes]:
    if not bookable:
        return []
    tz = schedule.zone(site.timezone)
    first_day = schedule.local_day(now, tz)
    slots = open_slots(site, tz, first_day, first_day + timedelta(days=days - 1), now)
    return [
        _line(
            mapping.slot(
                site,
                service.code,
                starts_at=each.starts_at,
                ends_at=each.ends_at,
                seats_left=max(each.seats - booked[(site.id, each.starts_at)], 0),
                public_url=public_url,
            )
        )
        for service in bookable
        for each in slots
    ]


def _live_waits(
    make_uow: MakeUow, site_list: list[Site], now: datetime
) -> dict[tuple[int, str], mapping.LiveWait]:
    """Each site's walk-in wait per service now, from its shared estimate (as GET /sites/{id}/wait)."""
    from schedq.services.estimates.wait import wait_summary

    waits: dict[tuple[int, str], mapping.LiveWait] = {}
    for site in site_list:
        summary = wait_summary(make_uow(write=False), site_id=site.id, now=now)
        status = summary.status
        until = status.reopens_at if status.state is SiteState.MIDDAY_BREAK else status.walk_ins_until
        opens_at = None if status.state is SiteState.OPEN else status.next_opening_at
        for row in summary.services:
            estimate = row["estimate"]
            waits[(site.id, row["service"])] = mapping.LiveWait(
                status=status.state.value,
                as_of=summary.estimate_as_of or summary.at,
                p10_minutes=estimate["p10_minutes"] if status.walk_ins_accepted else None,
                p90_minutes=estimate["p90_minutes"] if status.walk_ins_accepted else None,
                until=until,
                opens_at=opens_at,
            )
    return waits
