"""SMART Scheduling Links bulk publication: a `$bulk-publish` manifest and NDJSON files of every site.

What is published (README: "FHIR and SMART Scheduling Links"): a Location,
Schedule and Slot file per state (`Location-MA.ndjson`, `Schedule-MA.ndjson`,
`Slot-MA-1.ndjson`…, each manifest entry saying its state in
`extension.state`, as the guide lets a publisher split its files), the files
without a state for sites that have none (`Location.ndjson`, `Slot-1.ndjson`…),
and one HealthcareService file. A Slot file holds at most `SITES_PER_SLOT_FILE`
sites, so an aggregator can fetch them side by side. Slots cover the next
`days` local days of each site, from the one slot derivation
(`services.appointments.open_slots` over `domain.schedule.day_slots`: hours ×
capacity plan, closures, lead time and booking horizon) and the seats booked,
exactly as GET /sites/{id}/slots sees them, except that a full slot is published
`busy` instead of left out.

Streamed: the sites are read a batch (a Slot file's worth) at a time, each with
its seats booked counted for the whole batch in one statement, and every line
goes to its file as it is made, so the memory held is a batch's, whatever the
number of sites. Each file is written beside its name and renamed over it when
whole, the manifest last (`files`).

The live walk-in wait on each Schedule (`mapping.LiveWait`) is the site's one
whole-site estimate for its state, taken from the shared store as GET
/sites/{id}/wait takes it (`services.estimates.live.site_estimates`), for every
walk-in service of the site at once: a state already estimated costs a read.

Public data only: no appointment, ticket or contact is ever read beyond a count
of seats taken.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from schedq.db.models import Appointment, Service, Site
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import AppointmentStatus
from schedq.domain.site_status import SiteState
from schedq.fhir import files, mapping
from schedq.fhir.files import MANIFEST_NAME
from schedq.services.appointments import MAX_SLOT_RANGE_DAYS, open_slots
from schedq.services.estimates.live import site_estimates

DEFAULT_DAYS = 7
"""Local days of slots published per site (today included); up to a month with `days`."""
SITES_PER_SLOT_FILE = 250
"""Sites per Slot file, and per batch read from the database."""
FHIR_NDJSON = "application/fhir+ndjson"
MANIFEST_TYPE = "application/json"
__all__ = ["MANIFEST_NAME", "Publication", "PublishedFile", "publish"]

MakeUow = Callable[..., UnitOfWork]


@dataclass(frozen=True, slots=True)
class PublishedFile:
    """A file written: its name, its resource type, the states it covers (none: not split by state)."""

    name: str
    resource_type: str
    states: tuple[str, ...]
    lines: int
    size: int


@dataclass(frozen=True, slots=True)
class Publication:
    """One generation of the bulk publication, as written: its files, and the manifest naming them."""

    transaction_time: datetime
    files: list[PublishedFile]
    manifest: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def manifest_body(self) -> bytes:
        return files.manifest_body(self.manifest)

    def file(self, name: str) -> PublishedFile | None:
        return next((f for f in self.files if f.name == name), None)


def publish(
    make_uow: MakeUow,
    directory: Path,
    *,
    public_url: str,
    now: datetime,
    days: int = DEFAULT_DAYS,
    live_waits: bool = True,
    files_url: str | None = None,
) -> Publication:
    """Write the whole publication at `now` into `directory`: every site's Location, Schedules and Slots,
    then the manifest; files of an earlier generation it no longer names are removed.

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
    directory.mkdir(parents=True, exist_ok=True)
    with make_uow(write=False) as uow:
        by_state = _sites_by_state(uow)
        services = list(uow.session.scalars(select(Service).order_by(Service.code)))
        uow.session.expunge_all()  # the catalogue is kept, detached, for every batch
    written: list[PublishedFile] = []
    offered_at: dict[str, list[int]] = defaultdict(list)
    for state, site_ids in by_state.items():
        part = f"-{state}" if state else ""
        states = (state,) if state else ()
        slot_files: list[PublishedFile] = []
        with (
            files.Writer(directory, f"Location{part}.ndjson") as locations,
            files.Writer(directory, f"Schedule{part}.ndjson") as schedules,
        ):
            for number, start in enumerate(range(0, max(len(site_ids), 1), SITES_PER_SLOT_FILE), start=1):
                with (
                    files.Writer(directory, f"Slot{part}-{number}.ndjson") as slots,
                    make_uow(write=False) as uow,
                ):
                    _write_batch(
                        uow,
                        site_ids[start : start + SITES_PER_SLOT_FILE],
                        services,
                        (locations, schedules, slots),
                        offered_at,
                        now=now,
                        days=days,
                        public_url=public_url,
                        with_live_waits=live_waits,
                    )
                slot_files.append(PublishedFile(slots.name, "Slot", states, slots.lines, slots.size))
        written.append(PublishedFile(locations.name, "Location", states, locations.lines, locations.size))
        written.append(PublishedFile(schedules.name, "Schedule", states, schedules.lines, schedules.size))
        written.extend(slot_files)
    with files.Writer(directory, "HealthcareService.ndjson") as healthcare:
        for service in services:
            if offered_at[service.code]:
                resource = mapping.healthcare_service(
                    service, public_url=public_url, site_ids=offered_at[service.code]
                )
                healthcare.write(_line(resource))
    written.append(PublishedFile(healthcare.name, "HealthcareService", (), healthcare.lines, healthcare.size))
    manifest = {
        "transactionTime": mapping.instant(now),
        "request": request_url,
        "output": [_output(f, base) for f in written],
        "error": [],
    }
    files.finish(directory, manifest)
    counts = Counter[str]()
    for f in written:
        counts[f.resource_type] += f.lines
    return Publication(now, written, manifest, dict(counts))


def _output(file: PublishedFile, base: str) -> dict[str, Any]:
    """A manifest `output` entry; a file of some states says them in `extension.state` (the guide's shape)."""
    entry: dict[str, Any] = {"type": file.resource_type, "url": f"{base}/{file.name}"}
    if file.states:
        entry["extension"] = {"state": list(file.states)}
    return entry


def _sites_by_state(uow: UnitOfWork) -> dict[str | None, list[int]]:
    """Every site id by state, in id order: the sites without a state first, then the states A to Z."""
    grouped: dict[str | None, list[int]] = defaultdict(list)
    for site_id, state in uow.session.execute(select(Site.id, Site.state).order_by(Site.id)):
        grouped[state].append(site_id)
    if not grouped:
        grouped[None] = []  # no site: the files are there, empty
    return {state: grouped[state] for state in sorted(grouped, key=lambda s: (s is not None, s or ""))}


def _write_batch(
    uow: UnitOfWork,
    site_ids: list[int],
    services: list[Service],
    out: tuple[files.Writer, files.Writer, files.Writer],
    offered_at: dict[str, list[int]],
    *,
    now: datetime,
    days: int,
    public_url: str,
    with_live_waits: bool,
) -> None:
    """One batch of sites: their Location and Schedule lines, and their Slot lines, written as made."""
    locations, schedules, slots = out
    if not site_ids:
        return
    batch = list(uow.session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.id)))
    booked = _booked_counts(uow, site_ids, now, days)
    for site in batch:
        offered = _offered(site, services)
        for service in offered:
            offered_at[service.code].append(site.id)
        waits = site_live_waits(uow, site, now) if with_live_waits and offered else {}
        locations.write(_line(mapping.location(site, public_url=public_url)))
        for service in offered:
            schedules.write(
                _line(
                    mapping.schedule_resource(
                        site, service, public_url=public_url, live_wait=waits.get(service.code)
                    )
                )
            )
        for line in _slot_lines(site, [s for s in offered if s.bookable], booked, now, days, public_url):
            slots.write(line)


def _line(resource: dict[str, Any]) -> bytes:
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _offered(site: Site, services: Iterable[Service]) -> list[Service]:
    """The services some station at the site can do (as `services.sites.offered_service` asks), by code."""
    skills = {code for station in site.stations for code in station.skills}
    return [s for s in services if s.code in skills and (s.bookable or s.walk_in_allowed)]


def _booked_counts(
    uow: UnitOfWork, site_ids: list[int], now: datetime, days: int
) -> Counter[tuple[int, datetime]]:
    """Seats taken per site and slot start in the window, for a batch of sites in one statement."""
    rows = uow.session.execute(
        select(Appointment.site_id, Appointment.starts_at, func.count())
        .where(
            Appointment.site_id.in_(site_ids),
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
) -> Iterator[bytes]:
    """The site's Slot lines, one at a time: each bookable service at each open slot time."""
    if not bookable:
        return
    tz = schedule.zone(site.timezone)
    first_day = schedule.local_day(now, tz)
    slots = open_slots(site, tz, first_day, first_day + timedelta(days=days - 1), now)
    for service in bookable:
        for each in slots:
            yield _line(
                mapping.slot(
                    site,
                    service.code,
                    starts_at=each.starts_at,
                    ends_at=each.ends_at,
                    seats_left=max(each.seats - booked[(site.id, each.starts_at)], 0),
                    public_url=public_url,
                )
            )


def site_live_waits(uow: UnitOfWork, site: Site, now: datetime) -> dict[str, mapping.LiveWait]:
    """The site's walk-in wait now for each of its walk-in services, from ONE whole-site estimate.

    The estimate is the site's shared one for its state (`site_estimates`, what
    GET /sites/{id}/wait serves; README: "Shared estimates and caching"), made once per
    state for every worker and every service: a state already estimated for the
    API, or by the previous generation, costs a read.
    """
    estimates = site_estimates(uow, site, now)
    status = estimates.status
    until = status.reopens_at if status.state is SiteState.MIDDAY_BREAK else status.walk_ins_until
    opens_at = None if status.state is SiteState.OPEN else status.next_opening_at
    return {
        code: mapping.LiveWait(
            status=status.state.value,
            as_of=estimates.at,
            p10_minutes=view["p10_minutes"] if status.walk_ins_accepted else None,
            p90_minutes=view["p90_minutes"] if status.walk_ins_accepted else None,
            until=until,
            opens_at=opens_at,
        )
        for code, view in estimates.newcomer.items()
    }
