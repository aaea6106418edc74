"""schedq's sites, services and derived slots as FHIR R4 resources (plain dicts, ready for JSON).

Ids are stable, so a resource keeps its id from one publication to the next and a
reference never dangles (README: "FHIR and SMART Scheduling Links"):

| resource | id | e.g. |
|---|---|---|
| Location | `site-{site id}` | `Location/site-1` |
| HealthcareService | the service code, lower case | `HealthcareService/draw` |
| Schedule | `site-{site id}-{service code}` | `Schedule/site-1-DRAW` |
| Slot | `site-{site id}-{service code}-{UTC start, yyyymmddThhmmZ}` | `Slot/site-1-DRAW-20261202T1500Z` |

In an id a code's `_` is written `-`: FHIR ids hold no `_`, and no code holds a `-`.

Slot ids carry the start in UTC, not local time: on the night clocks go back the
local 01:00 happens twice and both are slots (`domain.schedule`).

One Slot per slot time and service: a site's seats at a time are shared by every
bookable service, so each service's Slot at that time says `free` while a seat is
left (with the seats left in the `slot-capacity` extension) and `busy` when none is.

Code systems: a service is coded in `{public url}/fhir/CodeSystem/service` with the
catalogue's code (`DRAW`, `UDS`…); the live wait's status in
`{public url}/fhir/CodeSystem/site-status` with `domain.site_status.SiteState`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from schedq.db.models import Service, Site
from schedq.domain import schedule

Resource = dict[str, Any]

SMART_BASE = "http://hl7.org/fhir/uv/smart-scheduling-links/StructureDefinition/"
BOOKING_DEEP_LINK = SMART_BASE + "booking-deep-link"
BOOKING_PHONE = SMART_BASE + "booking-phone"
SLOT_CAPACITY = "http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity"
"""The number of seats left in a free slot (the guide's original extension; STU 1 keeps it optional)."""

SMART_PROFILES = {
    "Location": SMART_BASE + "smart-scheduling-location",
    "Schedule": SMART_BASE + "smart-scheduling-schedule",
    "Slot": SMART_BASE + "smart-scheduling-slot",
}
UCUM = "http://unitsofmeasure.org"
WALK_IN_WAIT_ID = "walk-in-wait"
WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def fhir_base(public_url: str) -> str:
    """The FHIR base of a schedq deployment: `{public url}/fhir`."""
    return public_url.rstrip("/") + "/fhir"


def service_system(public_url: str) -> str:
    """The code system of schedq's catalogue services."""
    return fhir_base(public_url) + "/CodeSystem/service"


def site_status_system(public_url: str) -> str:
    """The code system of a site's status (`domain.site_status.SiteState`)."""
    return fhir_base(public_url) + "/CodeSystem/site-status"


def walk_in_wait_url(public_url: str) -> str:
    """The canonical URL of the live walk-in wait extension (served there, README)."""
    return fhir_base(public_url) + "/StructureDefinition/" + WALK_IN_WAIT_ID


def location_id(site_id: int) -> str:
    return f"site-{site_id}"


def _id_part(service_code: str) -> str:
    """A service code as part of an id: FHIR ids hold no `_`, and codes hold no `-`, so none collide."""
    return service_code.replace("_", "-")


def service_code_of(id_part: str) -> str:
    """The service code an id's code part names (the reverse of `_id_part`, either case)."""
    return id_part.replace("-", "_").upper()


def healthcare_service_id(service_code: str) -> str:
    return _id_part(service_code).lower()


def schedule_id(site_id: int, service_code: str) -> str:
    return f"site-{site_id}-{_id_part(service_code)}"


def slot_id(site_id: int, service_code: str, starts_at: datetime) -> str:
    return f"{schedule_id(site_id, service_code)}-{starts_at.astimezone(UTC):%Y%m%dT%H%MZ}"


def instant(at: datetime) -> str:
    """A FHIR instant in UTC, to the second."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_instant(at: datetime, timezone: str) -> str:
    """A FHIR instant with the site's own offset (what a person at the site reads)."""
    return at.astimezone(_zone(timezone)).isoformat(timespec="seconds")


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return schedule.zone(name)


def service_coding(service: Service, public_url: str) -> dict[str, str]:
    return {"system": service_system(public_url), "code": service.code, "display": service.name}


def booking_url(public_url: str, site_id: int, service_code: str, starts_at: datetime) -> str:
    """The booking page of the site with the service and the slot chosen (the deep link)."""
    # Cheaper than urlencode, and the same text: a code is letters, digits and `_`, an instant needs no escape.
    return f"{public_url.rstrip('/')}/sites/{site_id}/book?service={quote(service_code)}&start={instant(starts_at)}"


def location(site: Site, *, public_url: str) -> Resource:
    """A site as a Location: address (with its state), position, telecom, opening hours (closed dates in `availabilityExceptions`)."""
    telecom = [{"system": "url", "value": f"{public_url.rstrip('/')}/sites/{site.id}", "use": "work"}]
    if site.phone:
        telecom.insert(0, {"system": "phone", "value": site.phone, "use": "work"})
    resource: Resource = {
        "resourceType": "Location",
        "id": location_id(site.id),
        "meta": {"profile": [SMART_PROFILES["Location"]]},
        "identifier": [{"system": fhir_base(public_url) + "/site-slug", "value": site.slug}],
        "status": "active",
        "name": site.name,
        "mode": "instance",
        "telecom": telecom,
        "address": _address(site),
        "hoursOfOperation": hours_of_operation(site.hours),
    }
    if site.latitude is not None and site.longitude is not None:
        resource["position"] = {"latitude": site.latitude, "longitude": site.longitude}
    if not resource["hoursOfOperation"]:
        del resource["hoursOfOperation"]
    return resource


def _address(site: Site) -> dict[str, Any]:
    address: dict[str, Any] = {"use": "work", "type": "physical", "country": site.country}
    if site.address:
        address["text"] = site.address
        address["line"] = [site.address]
    if site.state:
        address["state"] = site.state
    return address


def hours_of_operation(hours: Iterable[Any]) -> list[dict[str, Any]]:
    """Weekly intervals as `hoursOfOperation`, one entry per interval (a lunch closure is two entries)."""
    return [
        {
            "daysOfWeek": [WEEKDAY_CODES[interval.weekday]],
            "openingTime": interval.opens.strftime("%H:%M:%S"),
            "closingTime": interval.closes.strftime("%H:%M:%S"),
        }
        for interval in sorted(hours, key=lambda h: (h.weekday, h.opens))
    ]


def healthcare_service(service: Service, *, public_url: str, site_ids: Iterable[int] = ()) -> Resource:
    """A catalogue service as a HealthcareService: its name, how to prepare, and the sites offering it."""
    resource: Resource = {
        "resourceType": "HealthcareService",
        "id": healthcare_service_id(service.code),
        "active": True,
        "type": [{"coding": [service_coding(service, public_url)]}],
        "name": service.name,
        "appointmentRequired": not service.walk_in_allowed,
    }
    if service.preparation:
        resource["extraDetails"] = service.preparation  # markdown: the preparation text as written
        resource["comment"] = service.preparation.splitlines()[0]
    locations = [{"reference": "Location/" + location_id(site_id)} for site_id in sorted(set(site_ids))]
    if locations:
        resource["location"] = locations
    return resource


def schedule_resource(
    site: Site, service: Service, *, public_url: str, live_wait: LiveWait | None = None
) -> Resource:
    """A site's schedule for one service: its serviceType and the Location it belongs to (with the live wait)."""
    resource: Resource = {
        "resourceType": "Schedule",
        "id": schedule_id(site.id, service.code),
        "meta": {"profile": [SMART_PROFILES["Schedule"]]},
        "active": True,
        "serviceType": [{"coding": [service_coding(service, public_url)]}],
        "actor": [
            {"reference": "Location/" + location_id(site.id), "display": site.name},
            {
                "reference": "HealthcareService/" + healthcare_service_id(service.code),
                "display": service.name,
            },
        ],
    }
    if live_wait is not None:
        resource["extension"] = [walk_in_wait_extension(live_wait, public_url=public_url)]
    return resource


def slot(
    site: Site, service_code: str, *, starts_at: datetime, ends_at: datetime, seats_left: int, public_url: str
) -> Resource:
    """One slot time of a site's schedule for a service: free with its seats left, or busy when full."""
    resource: Resource = {
        "resourceType": "Slot",
        "id": slot_id(site.id, service_code, starts_at),
        "schedule": {"reference": "Schedule/" + schedule_id(site.id, service_code)},
        "status": "free" if seats_left > 0 else "busy",
        "start": local_instant(starts_at, site.timezone),
        "end": local_instant(ends_at, site.timezone),
    }
    if seats_left > 0:
        extensions: list[dict[str, Any]] = [
            {"url": BOOKING_DEEP_LINK, "valueUrl": booking_url(public_url, site.id, service_code, starts_at)}
        ]
        if site.phone:
            extensions.append({"url": BOOKING_PHONE, "valueString": site.phone})
        extensions.append({"url": SLOT_CAPACITY, "valueInteger": seats_left})
        resource["extension"] = extensions
    return resource


@dataclass(frozen=True, slots=True)
class LiveWait:
    """A walk-in's wait at a site now, as GET /sites/{id}/wait tells it, for the `walk-in-wait` extension.

    `status` is a `SiteState` value; `until` is when that state ends when it is a
    midday break (the reopening) or open (when walk-ins stop); `opens_at` the next
    opening while closed. The range is None while no station can serve the service
    or the range runs to never.
    """

    status: str
    as_of: datetime
    p10_minutes: float | None
    p90_minutes: float | None
    until: datetime | None = None
    opens_at: datetime | None = None


def walk_in_wait_extension(wait: LiveWait, *, public_url: str) -> dict[str, Any]:
    """The `walk-in-wait` extension: status (open; lunch until; opens at), the p10-p90 range, as of when."""
    parts: list[dict[str, Any]] = [
        {
            "url": "status",
            "valueCoding": {"system": site_status_system(public_url), "code": wait.status},
        },
        {"url": "asOf", "valueInstant": instant(wait.as_of)},
    ]
    if wait.until is not None:
        parts.append({"url": "until", "valueInstant": instant(wait.until)})
    if wait.opens_at is not None:
        parts.append({"url": "opensAt", "valueInstant": instant(wait.opens_at)})
    for name, minutes in (("p10", wait.p10_minutes), ("p90", wait.p90_minutes)):
        if minutes is not None:
            parts.append({"url": name, "valueDuration": _minutes(minutes)})
    return {"url": walk_in_wait_url(public_url), "extension": parts}


def _minutes(value: float) -> dict[str, Any]:
    return {"value": round(value), "unit": "min", "system": UCUM, "code": "min"}


def walk_in_wait_definition(public_url: str) -> Resource:
    """The StructureDefinition of the `walk-in-wait` extension, at its canonical URL on this deployment.

    Kept in `walk-in-wait.json` beside this module; only its canonical URL (the
    deployment's own, `walk_in_wait_url`) is filled in here.
    """
    definition = json.loads(resources.files("schedq.fhir").joinpath("walk-in-wait.json").read_text("utf-8"))
    url = walk_in_wait_url(public_url)
    definition["url"] = url
    elements = definition["differential"]["element"]
    elements.insert(len(elements) - 1, {"id": "Extension.url", "path": "Extension.url", "fixedUri": url})
    return definition
