"""What an event's messages may say, kept with the event when the change happens.

The facts are a snapshot of the change's own transaction (the station that
called, the time before a reschedule), so a message delivered later still
tells what happened. Links carry the patient's token and are made only when a
message is delivered, never stored.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from datetime import datetime
from typing import Any

from schedq.db.models import Appointment, Service, Site, Station, Ticket
from schedq.domain import geo
from schedq.domain.contact import phone_for_people
from schedq.notify.events import Facts

_INSTANTS = ("starts_at", "previous_starts_at", "arrive_by")
_LINKS = ("link", "unsubscribe_link", "map_link")


def site_facts(site: Site) -> Facts:
    map_link = None
    if site.latitude is not None and site.longitude is not None:
        map_link = geo.map_link(site.latitude, site.longitude)
    return Facts(
        site_name=site.name,
        site_timezone=site.timezone,
        site_address=site.address,
        site_phone=phone_for_people(site.phone, site.country) if site.phone else None,
        map_link=map_link,
    )


def names_of(service: Service, station: Station | None = None) -> dict[str, dict[str, str]]:
    """The service's (and station's) words in each language an admin named them in."""
    languages = set(service.translations or {}) | set((station.translations or {}) if station else {})
    names: dict[str, dict[str, str]] = {}
    for language in sorted(languages):
        named = {"service_name": service.name_in(language)}
        if service.preparation:
            named["preparation"] = service.preparation_in(language)
        if station is not None:
            named["station"] = station.name_in(language)
        names[language] = named
    return names


def appointment_facts(site: Site, appointment: Appointment, **more: Any) -> Facts:
    return replace(
        site_facts(site),
        reference=appointment.reference,
        service_name=appointment.service.name,
        preparation=appointment.service.preparation or None,
        names=names_of(appointment.service),
        starts_at=appointment.starts_at,
        # The calendar file's length and the lateness rule (`notify.content`).
        extra={"slot_minutes": str(site.slot_minutes), "grace_minutes": str(site.grace_minutes)},
        **more,
    )


def ticket_facts(site: Site, ticket: Ticket, **more: Any) -> Facts:
    appointment = ticket.appointment
    return replace(
        site_facts(site),
        code=ticket.code,
        reference=appointment.reference if appointment is not None else None,
        service_name=ticket.service.name,
        preparation=ticket.service.preparation or None,
        station=ticket.station.name if ticket.station is not None else None,
        names=names_of(ticket.service, ticket.station),
        arrive_by=ticket.expected_arrival_at,
        **more,
    )


def to_json(facts: Facts) -> dict[str, Any]:
    """The facts as kept with the event (links dropped: they hold a secret)."""
    kept = {k: v for k, v in asdict(facts).items() if k not in _LINKS or k == "map_link"}
    for name in _INSTANTS:
        if kept.get(name) is not None:
            kept[name] = kept[name].isoformat()
    return kept


def from_json(kept: dict[str, Any], **links: str | None) -> Facts:
    known = {f.name for f in fields(Facts)}
    values = {k: v for k, v in kept.items() if k in known}
    for name in _INSTANTS:
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    values.update(links)
    return Facts(**values)
