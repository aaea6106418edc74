"""Location, HealthcareService, Schedule and Slot: reads and searches over the mapping layer (`schedq.fhir.mapping`).

Every resource is the mapping layer's, built from the same rows and the same
slot derivation as the JSON API and the bulk files; nothing here maps a
resource a second time. Slots are `services.appointments.slots_with_seats` (the
rule GET /api/v1/sites/{id}/slots lists from: hours × capacity plan, after the
lead time, within the booking horizon) with the seats the bookings leave.

A Slot search names its schedules (`schedule=`, up to `search.MAX_VALUES`)
and spans at most `MAX_SLOT_RANGE_DAYS` days of `start` (by default the next
`MAX_SLOT_RANGE_DAYS` days from now); a wider span is a 400 saying so. A Slot
read answers for any slot of the derivation, also one past or too near to
book: its status is then `busy-unavailable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from schedq.api.fhir import search
from schedq.api.fhir.errors import FhirError
from schedq.api.fhir.routes import SearchParameter, base_url, resource
from schedq.api.fields import MAX_ID
from schedq.db.models import Service, Site, Station
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.fhir import mapping
from schedq.fhir.publication import site_live_waits
from schedq.services import appointments
from schedq.services.appointments import MAX_SLOT_RANGE_DAYS
from schedq.services.sites import closures_of, hours_of, plan_of
from schedq.web_context import now, uow

LOCATION_ID = re.compile(r"site-([1-9][0-9]{0,9})")
# A service code's `_` is written `-` in ids (`mapping._id_part`); `mapping.service_code_of` reads it back.
SCHEDULE_ID = re.compile(r"site-([1-9][0-9]{0,9})-([A-Z][A-Z0-9-]{0,15})")
SLOT_ID = re.compile(r"site-([1-9][0-9]{0,9})-([A-Z][A-Z0-9-]{0,15})-(\d{8}T\d{4}Z)")
SERVICE_ID = re.compile(r"[a-z][a-z0-9-]{0,15}")


def public_url() -> str:
    return current_app.config["PUBLIC_URL"]


def _site_number(text: str) -> int | None:
    number = int(text)
    return number if number <= MAX_ID else None


def slot_key(id_: str) -> tuple[int, str, datetime] | None:
    """The site, service code and UTC start a Slot id names (`mapping.slot_id`); None when it names none."""
    match = SLOT_ID.fullmatch(id_)
    site_id = _site_number(match.group(1)) if match else None
    if match is None or site_id is None:
        return None
    try:
        starts_at = datetime.strptime(match.group(3), "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return site_id, mapping.service_code_of(match.group(2)), starts_at


# Loading -------------------------------------------------------------------------------


def _sites(unit: UnitOfWork, site_ids: Iterable[int] | None = None) -> list[Site]:
    query = select(Site).options(selectinload(Site.stations).selectinload(Station.services)).order_by(Site.id)
    if site_ids is not None:
        query = query.where(Site.id.in_(list(site_ids)))
    return list(unit.session.scalars(query))


def _services(unit: UnitOfWork) -> list[Service]:
    return list(unit.session.scalars(select(Service).order_by(Service.code)))


def offered(site: Site, services: Iterable[Service]) -> list[Service]:
    """The services some station at the site can do, bookable or walk-in: each has a Schedule there."""
    skills = {code for station in site.stations for code in station.skills}
    return [s for s in services if s.code in skills and (s.bookable or s.walk_in_allowed)]


# Location ------------------------------------------------------------------------------


def read_location(id_: str) -> dict:
    search.start_search(frozenset())
    match = LOCATION_ID.fullmatch(id_)
    site_id = _site_number(match.group(1)) if match else None
    unit = uow(write=False)
    with unit:
        site = unit.session.get(Site, site_id) if site_id else None
        if site is None:
            raise FhirError(404, f"no Location/{id_}")
        return mapping.location(site, public_url=public_url())


def search_locations() -> dict:
    known = frozenset({"_id", "address-state"})
    search.start_search(known)
    ids = search.values("_id")
    states = search.values("address-state")
    unit = uow(write=False)
    with unit:
        wanted = None
        if ids is not None:
            wanted = [n for n in (_location_number(i) for i in ids) if n is not None]
        sites = _sites(unit, wanted)
        if states is not None:
            asked = {state.strip().upper() for state in states}
            sites = [site for site in sites if site.state in asked]
        chosen, page = search.page_of(sites, key=lambda s: f"{s.id:010d}", size=search.count())
        resources = [mapping.location(site, public_url=public_url()) for site in chosen]
    return search.searchset(base=base_url(), type_="Location", resources=resources, page=page, known=known)


def _location_number(text: str) -> int | None:
    match = LOCATION_ID.fullmatch(text.removeprefix("Location/"))
    return _site_number(match.group(1)) if match else None


# HealthcareService ---------------------------------------------------------------------


TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
"""FHIR's core extension for a text element in another language (sub-extensions `lang` and `content`)."""


def _healthcare_services(unit: UnitOfWork, services: list[Service]) -> list[dict]:
    sites = _sites(unit)
    resources = []
    for service in services:
        site_ids = [site.id for site in sites if service in offered(site, [service])]
        made = mapping.healthcare_service(service, public_url=public_url(), site_ids=site_ids)
        resources.append(with_translations(made, service))
    return resources


def with_translations(resource: dict, service: Service) -> dict:
    """The service's name and preparation in the other languages an admin set, as `translation` extensions.

    Added here, beside the mapping layer's HealthcareService, which carries the English alone.
    """
    for element, word in (("name", "name"), ("extraDetails", "preparation")):
        given = [
            (language, words[word])
            for language, words in sorted((service.translations or {}).items())
            if words.get(word) and element in resource
        ]
        if given:
            resource["_" + element] = {
                "extension": [
                    {
                        "url": TRANSLATION,
                        "extension": [
                            {"url": "lang", "valueCode": language},
                            {"url": "content", "valueString": content},
                        ],
                    }
                    for language, content in given
                ]
            }
    return resource


def read_healthcare_service(id_: str) -> dict:
    search.start_search(frozenset())
    unit = uow(write=False)
    with unit:
        service = None
        if SERVICE_ID.fullmatch(id_):
            service = unit.session.scalars(
                select(Service).where(Service.code == mapping.service_code_of(id_))
            ).one_or_none()
        if service is None:
            raise FhirError(404, f"no HealthcareService/{id_}")
        return _healthcare_services(unit, [service])[0]


def search_healthcare_services() -> dict:
    known = frozenset({"_id", "service-type"})
    search.start_search(known)
    ids, types = search.values("_id"), service_type_codes()
    unit = uow(write=False)
    with unit:
        services = [
            s
            for s in _services(unit)
            if (ids is None or mapping.healthcare_service_id(s.code) in ids)
            and (types is None or s.code in types)
        ]
        chosen, page = search.page_of(services, key=lambda s: s.code, size=search.count())
        resources = _healthcare_services(unit, chosen)
    return search.searchset(
        base=base_url(), type_="HealthcareService", resources=resources, page=page, known=known
    )


def service_type_codes() -> set[str] | None:
    """`service-type` tokens (`DRAW`, `{system}|DRAW`, `|DRAW`) as catalogue codes; another system matches none."""
    tokens = search.values("service-type")
    if tokens is None:
        return None
    system = mapping.service_system(public_url())
    codes = set()
    for token in tokens:
        if "|" in token:
            given, _, code = token.partition("|")
            if given and given != system:
                continue
        else:
            code = token
        codes.add(code)
    return codes


# Schedule ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleRef:
    site_id: int
    service_code: str

    @property
    def id(self) -> str:
        return mapping.schedule_id(self.site_id, self.service_code)


def schedule_ref(text: str, parameter: str) -> ScheduleRef:
    match = SCHEDULE_ID.fullmatch(text.removeprefix("Schedule/"))
    site_id = _site_number(match.group(1)) if match else None
    if match is None or site_id is None:
        raise search.bad(parameter, f"{text!r} is not a schedule (Schedule/site-1-DRAW)")
    return ScheduleRef(site_id, mapping.service_code_of(match.group(2)))


def _schedules(unit: UnitOfWork, sites: list[Site]) -> list[tuple[Site, Service]]:
    services = _services(unit)
    return [(site, service) for site in sites for service in offered(site, services)]


def read_schedule(id_: str) -> dict:
    search.start_search(frozenset())
    match = SCHEDULE_ID.fullmatch(id_)
    site_id = _site_number(match.group(1)) if match else None
    unit = uow(write=False)
    with unit:
        found = [
            (site, service)
            for site, service in _schedules(unit, _sites(unit, [site_id] if site_id else []))
            if match and service.code == mapping.service_code_of(match.group(2))
        ]
        if not found:
            raise FhirError(404, f"no Schedule/{id_}")
        return _schedule_resources(unit, found[:1])[0]


def search_schedules() -> dict:
    known = frozenset({"_id", "actor", "service-type"})
    search.start_search(known)
    ids, actors, types = search.values("_id"), search.values("actor"), service_type_codes()
    site_ids: set[int] | None = None
    service_ids: set[str] | None = None
    for actor in actors or []:
        if actor.startswith("HealthcareService/"):
            service_ids = (service_ids or set()) | {actor.removeprefix("HealthcareService/")}
            continue
        number = _location_number(actor)
        if number is None and not LOCATION_ID.fullmatch(actor.removeprefix("Location/")):
            raise search.bad("actor", f"{actor!r} is not a Location or HealthcareService reference")
        site_ids = (site_ids or set()) | ({number} if number else set())

    def by_actor(site: Site, service: Service) -> bool:
        """Any actor value names the schedule's Location or its HealthcareService (the values are ORed)."""
        return actors is None or (
            site.id in (site_ids or set())
            or mapping.healthcare_service_id(service.code) in (service_ids or set())
        )

    unit = uow(write=False)
    with unit:
        pairs = [
            (site, service)
            for site, service in _schedules(unit, _sites(unit, site_ids if service_ids is None else None))
            if (ids is None or mapping.schedule_id(site.id, service.code) in ids)
            and (types is None or service.code in types)
            and by_actor(site, service)
        ]
        chosen, page = search.page_of(
            pairs, key=lambda pair: f"{pair[0].id:010d}-{pair[1].code}", size=search.count()
        )
        resources = _schedule_resources(unit, chosen)
    return search.searchset(base=base_url(), type_="Schedule", resources=resources, page=page, known=known)


def _schedule_resources(unit: UnitOfWork, pairs: list[tuple[Site, Service]]) -> list[dict]:
    """The Schedules with their site's walk-in wait now: the bulk files' extension, from the same shared estimate."""
    at = now()
    waits: dict[int, dict[str, mapping.LiveWait]] = {}
    resources = []
    for site, service in pairs:
        if site.id not in waits:
            waits[site.id] = site_live_waits(unit, site, at)
        wait = waits[site.id].get(service.code)
        resources.append(mapping.schedule_resource(site, service, public_url=public_url(), live_wait=wait))
    return resources


# Slot ----------------------------------------------------------------------------------

SLOT_STATUSES = frozenset({"free", "busy", "busy-unavailable", "busy-tentative", "entered-in-error"})


def read_slot(id_: str) -> dict:
    """Any slot of the derivation: free or busy while bookable, `busy-unavailable` once past the lead time."""
    search.start_search(frozenset())
    key = slot_key(id_)
    if key is None:
        raise FhirError(404, f"no Slot/{id_}")
    site_id, service_code, starts_at = key
    at = now()
    unit = uow(write=False)
    with unit:
        sites = _sites(unit, [site_id])
        services = [s for s in _services(unit) if s.code == service_code and s.bookable]
        if not sites or not services or not offered(sites[0], services):
            raise FhirError(404, f"no Slot/{id_}")
        site = sites[0]
        tz = schedule.zone(site.timezone)
        day = schedule.local_day(starts_at, tz)
        every = schedule.day_slots(
            day,
            hours=hours_of(site),
            plan=plan_of(site),
            tz=tz,
            slot_minutes=site.slot_minutes,
            closures=closures_of(site),
        )
        slot = next((s for s in every if s.starts_at == starts_at), None)
        if slot is None:
            raise FhirError(404, f"no Slot/{id_}")
        bookable = appointments.open_slots(site, tz, day, day, at)
        seats_left = max(
            slot.seats - appointments.seats_taken(unit, site.id, starts_at, starts_at)[starts_at], 0
        )
        resource = mapping.slot(
            site,
            services[0].code,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            seats_left=seats_left,
            public_url=public_url(),
        )
        if not any(s.starts_at == starts_at for s in bookable):
            _unavailable(resource)
        return resource


def _unavailable(resource: dict) -> None:
    """A slot no one can book any more (past, or inside the lead time): `busy-unavailable`, no booking link."""
    resource["status"] = "busy-unavailable"
    resource.pop("extension", None)


@dataclass(frozen=True, slots=True)
class Window:
    """The instants a Slot search's `start` values allow, in one site's zone."""

    lowest: datetime
    highest: datetime
    bounds: tuple[search.DateBound, ...]

    def allows(self, at: datetime, tz) -> bool:
        for bound in self.bounds:
            low, high, exclusive = bound.window_in(tz)
            if low is not None and at < low:
                return False
            if high is not None and (at > high or (exclusive and at == high)):
                return False
        return True


def window(bounds: list[search.DateBound], tz, at: datetime) -> Window:
    """From now (or the latest lower bound) to the earliest upper bound, at most MAX_SLOT_RANGE_DAYS days."""
    lows = [low for low, _, _ in (b.window_in(tz) for b in bounds) if low is not None]
    highs = [high for _, high, _ in (b.window_in(tz) for b in bounds) if high is not None]
    lowest = max([at, *lows])
    span = timedelta(days=MAX_SLOT_RANGE_DAYS)
    highest = min(highs) if highs else lowest + span
    if highest - lowest > span:
        raise search.bad("start", f"the range is longer than {MAX_SLOT_RANGE_DAYS} days; search it in parts")
    return Window(lowest, highest, tuple(bounds))


def search_slots() -> dict:
    known = frozenset({"schedule", "start", "status", "service-type"})
    search.start_search(known)
    given = search.values("schedule")
    if given is None:
        raise search.bad("schedule", "a Slot search names its schedule(s): schedule=Schedule/site-1-DRAW")
    refs = list(dict.fromkeys(schedule_ref(text, "schedule") for text in given))
    statuses = search.values("status")
    if statuses is not None and not set(statuses) <= SLOT_STATUSES:
        raise search.bad("status", f"one of {', '.join(sorted(SLOT_STATUSES))}")
    types = service_type_codes()
    bounds = search.date_bounds("start")
    size = search.count()
    at = now()
    unit = uow(write=False)
    found: list[tuple[str, dict]] = []
    with unit:
        sites = {site.id: site for site in _sites(unit, {ref.site_id for ref in refs})}
        services = {s.code: s for s in _services(unit)}
        for ref in refs:
            site, service = sites.get(ref.site_id), services.get(ref.service_code)
            if site is None or service is None or not service.bookable or not offered(site, [service]):
                continue
            if types is not None and service.code not in types:
                continue
            tz = schedule.zone(site.timezone)
            span = window(bounds, tz, at)
            first_day, last_day = schedule.local_day(span.lowest, tz), schedule.local_day(span.highest, tz)
            slots = [
                s
                for s in appointments.slots_with_seats(unit, site, tz, first_day, last_day, at)
                if span.allows(s.starts_at, tz) and s.starts_at <= span.highest
            ]
            for slot in slots:
                resource = mapping.slot(
                    site,
                    service.code,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    seats_left=slot.remaining,
                    public_url=public_url(),
                )
                if statuses is None or resource["status"] in statuses:
                    found.append((f"{slot.starts_at.astimezone(UTC):%Y%m%dT%H%MZ}.{ref.id}", resource))
    found.sort(key=lambda item: item[0])
    chosen, page = search.page_of(found, key=lambda item: item[0], size=size)
    return search.searchset(
        base=base_url(), type_="Slot", resources=[r for _, r in chosen], page=page, known=known
    )


SEARCH_DOC = "Comma-separated values are ORed; repeated `start` values are ANDed."

resource(
    "Location",
    documentation="A collection site: address, position, telecom, opening hours.",
    read=read_location,
    search=search_locations,
    parameters=[
        SearchParameter("_id", "token", "Location/site-{id}"),
        SearchParameter("address-state", "string", "the site's state or region code (MA), as in its address"),
    ],
    profiles=[mapping.SMART_PROFILES["Location"]],
)
resource(
    "HealthcareService",
    documentation="A service of the catalogue (DRAW, UDS…) with its preparation and the sites offering it.",
    read=read_healthcare_service,
    search=search_healthcare_services,
    parameters=[
        SearchParameter("_id", "token", "the service code in lower case"),
        SearchParameter("service-type", "token", "the catalogue code (DRAW), optionally with its system"),
    ],
)
resource(
    "Schedule",
    documentation="A site's schedule for one service it offers, with the site's walk-in wait now for a "
    "walk-in service (the walk-in-wait extension).",
    read=read_schedule,
    search=search_schedules,
    parameters=[
        SearchParameter("_id", "token", "site-{id}-{service code}"),
        SearchParameter("actor", "reference", "Location/site-{id} or HealthcareService/{code}"),
        SearchParameter("service-type", "token", "the catalogue code (DRAW), optionally with its system"),
    ],
    profiles=[mapping.SMART_PROFILES["Schedule"]],
)
resource(
    "Slot",
    documentation="Bookable slot times of a schedule, from the same derivation as the JSON API's slot list. "
    f"A search names its schedule(s) and spans at most {MAX_SLOT_RANGE_DAYS} days of start (default: the next "
    f"{MAX_SLOT_RANGE_DAYS} days). Pages follow the `next` link. {SEARCH_DOC}",
    read=read_slot,
    search=search_slots,
    parameters=[
        SearchParameter("schedule", "reference", "Schedule/site-{id}-{code} (required)"),
        SearchParameter(
            "start", "date", "eq, ge, gt, le, lt; a date is the site's local day, a dateTime has its offset"
        ),
        SearchParameter("status", "token", "free or busy"),
        SearchParameter("service-type", "token", "the catalogue code (DRAW), optionally with its system"),
        SearchParameter("_count", "number", f"entries per page (default {search.DEFAULT_COUNT})"),
    ],
    profiles=[mapping.SMART_PROFILES["Slot"]],
)
