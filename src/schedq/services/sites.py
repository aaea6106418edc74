"""Site configuration: sites, hours, closures, capacity plans, stations and the service catalogue."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from schedq.catalogues import with_translations
from schedq.db.models import (
    CapacityBlock,
    Closure,
    OpeningHours,
    Service,
    Site,
    SiteDay,
    Station,
    station_skills,
)
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.contact import normal_phone
from schedq.domain.enums import DisplayAnnounce
from schedq.domain.errors import Conflict, InvalidInput, NotFound
from schedq.domain.site_status import SiteStatus, site_status

SITE_SETTINGS = (
    "name",
    "address",
    "timezone",
    "grace_minutes",
    "walk_in_cutoff_minutes",
    "sla_minutes",
    "sla_percent",
    "booking_horizon_days",
    "min_lead_minutes",
    "no_show_after_minutes",
    "walk_ins_during_closure",
    "country",
    "phone",
    "latitude",
    "longitude",
    "email_from",
    "sms_from",
    "bookings_per_contact_per_day",
    "bookings_per_address_per_hour",
    "remote_joins_per_contact_per_day",
    "remote_joins_per_address_per_hour",
    "quiet_hours_start",
    "quiet_hours_end",
    "reminder_hour",
    "near_turn_position",
    "display_languages",
    "display_announce",
    "region",
    "state",
)


def get_site(uow: UnitOfWork, *, site_id: int) -> Site:
    with uow:
        return load_site(uow, site_id)


def load_site(uow: UnitOfWork, site_id: int) -> Site:
    site = uow.session.get(Site, site_id)
    if site is None:
        raise NotFound(f"no site {site_id}")
    return site


def site_to_read(uow: UnitOfWork, site_id: int) -> Site:
    """The site for a read that stays inside `uow`, its collections loaded when first used.

    A read whose estimate is made already needs only the hours and closures
    (its status), the display feed the stations too; the capacity plan and the
    stations' skills are the estimator's, when this state's estimate is made
    here. Not for a site shown after its unit of work ends (`load_site`).
    """
    site = uow.session.scalars(select(Site).where(Site.id == site_id).options(lazyload("*"))).one_or_none()
    if site is None:
        raise NotFound(f"no site {site_id}")
    return site


def lock_site(uow: UnitOfWork, site_id: int) -> Site:
    """The site, its row locked until the transaction ends: queue decisions at one site go one at a time."""
    site = uow.lock_site(site_id)
    if site is None:
        raise NotFound(f"no site {site_id}")
    return site


def tz_of(site: Site) -> ZoneInfo:
    return schedule.zone(site.timezone)


def service_day(site: Site, now: datetime) -> date:
    """The site's local day at `now`."""
    return schedule.local_day(now, tz_of(site))


def list_sites(uow: UnitOfWork) -> list[Site]:
    with uow:
        return list(uow.session.scalars(select(Site).order_by(Site.id)))


def create_site(uow: UnitOfWork, *, slug: str, now: datetime, **settings: Any) -> Site:
    schedule.zone(settings.get("timezone", ""))
    with uow:
        if uow.session.scalars(select(Site.id).where(Site.slug == slug)).first() is not None:
            raise Conflict(f"a site with slug {slug!r} exists")
        site = Site(
            slug=slug,
            created_at=now,
            hours=[],
            closures=[],
            capacity_blocks=[],
            stations=[],
            **_settings(settings, country=settings.get("country") or "US"),
        )
        _check_position(site)
        uow.session.add(site)
        uow.commit()
        return site


def update_site(uow: UnitOfWork, *, site_id: int, **settings: Any) -> Site:
    if "timezone" in settings:
        schedule.zone(settings["timezone"])
    with uow:
        site = load_site(uow, site_id)
        for name, value in _settings(settings, country=settings.get("country") or site.country).items():
            setattr(site, name, value)
        _check_position(site)
        uow.commit()
        return site


def _settings(settings: dict[str, Any], *, country: str) -> dict[str, Any]:
    """The settings as kept: a phone in E.164, read as a number of the site's country when it has no +code."""
    unknown = set(settings) - set(SITE_SETTINGS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "unknown setting")
    kept = dict(settings)
    if "phone" in kept:
        phone = kept["phone"]
        kept["phone"] = normal_phone(phone, country=country, field="phone") if phone else None
    sms_from = kept.get("sms_from")
    if sms_from is not None and not MESSAGING_SERVICE.fullmatch(sms_from):
        kept["sms_from"] = normal_phone(sms_from, country=country, field="sms_from") if sms_from else None
    if kept.get("email_from") == "":
        kept["email_from"] = None
    if kept.get("region") == "":
        kept["region"] = None
    if "state" in kept:
        kept["state"] = kept["state"].upper() if kept["state"] else None
    if "display_announce" in kept:
        kept["display_announce"] = DisplayAnnounce(kept["display_announce"])
    return kept


MESSAGING_SERVICE = re.compile(r"MG[0-9a-f]{32}")
"""A provider's messaging service (a pool of sending numbers), as Twilio names it."""


def _check_position(site: Site) -> None:
    """A site is placed by both coordinates or by neither (then it is listed, never ranked by distance)."""
    if (site.latitude is None) != (site.longitude is None):
        raise InvalidInput("latitude", "give latitude and longitude together")


def set_hours(uow: UnitOfWork, *, site_id: int, intervals: Sequence[schedule.WeeklyInterval]) -> Site:
    """Replace the site's weekly opening hours."""
    schedule.validate_hours(intervals)
    with uow:
        site = load_site(uow, site_id)
        site.hours = [OpeningHours(weekday=i.weekday, opens=i.opens, closes=i.closes) for i in intervals]
        uow.commit()
        return site


def add_closure(uow: UnitOfWork, *, site_id: int, day: date, reason: str, today: date) -> Closure:
    if day < today:
        raise InvalidInput("day", "is in the past")
    with uow:
        site = load_site(uow, site_id)
        if any(c.day == day for c in site.closures):
            raise Conflict(f"{day.isoformat()} is already closed")
        closure = Closure(day=day, reason=reason)
        site.closures.append(closure)
        uow.commit()
        return closure


def remove_closure(uow: UnitOfWork, *, site_id: int, day: date) -> None:
    with uow:
        site = load_site(uow, site_id)
        closure = next((c for c in site.closures if c.day == day), None)
        if closure is None:
            raise NotFound(f"{day.isoformat()} is not a closure")
        site.closures.remove(closure)
        uow.commit()


def set_capacity_plan(
    uow: UnitOfWork, *, site_id: int, slot_minutes: int, blocks: Sequence[schedule.PlanBlock]
) -> Site:
    """Replace the site's capacity plan: slot length and the weekly blocks."""
    if not 5 <= slot_minutes <= 240:
        raise InvalidInput("slot_minutes", "must be between 5 and 240")
    schedule.validate_plan(blocks)
    with uow:
        site = load_site(uow, site_id)
        site.slot_minutes = slot_minutes
        site.capacity_blocks = [
            CapacityBlock(
                weekday=b.weekday,
                starts=b.starts,
                ends=b.ends,
                stations=b.stations,
                seats_per_slot=b.seats_per_slot,
            )
            for b in blocks
        ]
        uow.commit()
        return site


def status_of(uow: UnitOfWork, site: Site, now: datetime) -> SiteStatus:
    """The site's one status at `now` (open, midday break, opens at…, closed, cut-off), from the database."""
    tz = schedule.zone(site.timezone)
    return site_status(
        hours=hours_of(site),
        closures={c.day: c.reason for c in site.closures},
        walk_in_cutoff_minutes=site.walk_in_cutoff_minutes,
        closed_by_staff=_closed_by_staff(uow, site.id, schedule.local_day(now, tz)),
        walk_ins_during_closure=site.walk_ins_during_closure,
        tz=tz,
        now=now,
    )


def _closed_by_staff(uow: UnitOfWork, site_id: int, day: date) -> bool:
    """Whether staff closed the site's `day`; asked once per day in a read-only unit of work.

    A read's status is asked several times (the estimate, the view) and the day
    a read sees cannot change inside it; a write may close the day itself, so it
    asks each time.
    """
    if uow.sees_uncommitted:
        return uow.session.get(SiteDay, (site_id, day)) is not None
    seen = uow.session.info.setdefault("schedq.closed_days", {})
    if (site_id, day) not in seen:
        seen[(site_id, day)] = uow.session.get(SiteDay, (site_id, day)) is not None
    return seen[(site_id, day)]


def hours_of(site: Site) -> list[schedule.WeeklyInterval]:
    return [schedule.WeeklyInterval(h.weekday, h.opens, h.closes) for h in site.hours]


def plan_of(site: Site) -> list[schedule.PlanBlock]:
    return [
        schedule.PlanBlock(b.weekday, b.starts, b.ends, b.stations, b.seats_per_slot)
        for b in site.capacity_blocks
    ]


def closures_of(site: Site) -> frozenset[date]:
    return frozenset(c.day for c in site.closures)


# Stations ----------------------------------------------------------------------------


def create_station(uow: UnitOfWork, *, site_id: int, name: str, service_codes: Sequence[str]) -> Station:
    with uow:
        site = load_site(uow, site_id)
        if any(s.name == name for s in site.stations):
            raise Conflict(f"station {name!r} exists at this site")
        station = Station(name=name, services=_services(uow, service_codes, field="services"))
        site.stations.append(station)
        uow.commit()
        return station


def update_station(
    uow: UnitOfWork,
    *,
    station_id: int,
    name: str | None = None,
    service_codes: Sequence[str] | None = None,
    translations: Mapping[str, Mapping[str, str]] | None = None,
) -> Station:
    with uow:
        station = load_station(uow, station_id)
        if name is not None and name != station.name:
            if any(s.name == name for s in station.site.stations):
                raise Conflict(f"station {name!r} exists at this site")
            station.name = name
        if service_codes is not None:
            station.services = _services(uow, service_codes, field="services")
        if translations is not None:
            station.translations = with_translations(station.translations, translations)
        uow.commit()
        return station


def get_station(uow: UnitOfWork, *, station_id: int) -> Station:
    with uow:
        return load_station(uow, station_id)


def load_station(uow: UnitOfWork, station_id: int) -> Station:
    station = uow.session.get(Station, station_id)
    if station is None:
        raise NotFound(f"no station {station_id}")
    return station


def _services(uow: UnitOfWork, codes: Sequence[str], *, field: str) -> list[Service]:
    wanted = list(dict.fromkeys(codes))
    found = {s.code: s for s in uow.session.scalars(select(Service).where(Service.code.in_(wanted)))}
    for index, code in enumerate(wanted):
        if code not in found:
            raise InvalidInput(f"{field}.{index}", f"unknown service {code!r}")
    return [found[c] for c in wanted]


# Service catalogue ---------------------------------------------------------------------


def list_services(uow: UnitOfWork) -> list[Service]:
    with uow:
        return list(uow.session.scalars(select(Service).order_by(Service.code)))


def find_service(uow: UnitOfWork, code: str, *, field: str = "service") -> Service:
    service = uow.session.scalars(select(Service).where(Service.code == code)).one_or_none()
    if service is None:
        raise InvalidInput(field, f"unknown service {code!r}")
    return service


def offered_service(uow: UnitOfWork, site: Site, code: str, *, field: str = "service") -> Service:
    """The service `code` when some station at `site` can do it; InvalidInput naming `field` otherwise."""
    if "stations" not in inspect(site).unloaded:
        service = find_service(uow, code, field=field)
        offered = any(service in station.services for station in site.stations)
    else:
        # The site's stations are not loaded (a locked site, `UnitOfWork.lock_site`): ask, rather than load them.
        can_do = (
            select(station_skills.c.station_id)
            .join(Station, Station.id == station_skills.c.station_id)
            .where(Station.site_id == site.id, station_skills.c.service_id == Service.id)
            .exists()
        )
        row = uow.session.execute(select(Service, can_do).where(Service.code == code)).one_or_none()
        if row is None:
            raise InvalidInput(field, f"unknown service {code!r}")
        service, offered = row
    if not offered:
        raise InvalidInput(field, f"{code} is not offered at {site.name}")
    return service


def bookable_service(uow: UnitOfWork, site: Site, code: str) -> Service:
    service = offered_service(uow, site, code)
    if not service.bookable:
        raise InvalidInput("service", f"{code} cannot be booked; walk in instead")
    return service


def bookable_services(uow: UnitOfWork, site_id: int) -> list[Service]:
    """The services a patient may book at a site: bookable, and some station there can do them."""
    with uow:
        site = load_site(uow, site_id)
        offered = {service.id for station in site.stations for service in station.services}
        services = uow.session.scalars(select(Service).order_by(Service.code))
        return [s for s in services if s.bookable and s.id in offered]


def walk_in_service(uow: UnitOfWork, site: Site, code: str) -> Service:
    service = offered_service(uow, site, code)
    if not service.walk_in_allowed:
        raise InvalidInput("service", f"{code} needs an appointment")
    return service


def create_service(uow: UnitOfWork, *, code: str, **fields: Any) -> Service:
    fields["translations"] = with_translations({}, fields.get("translations") or {})
    with uow:
        service = Service(code=code, **fields)
        uow.session.add(service)
        try:
            uow.commit()
        except IntegrityError as error:
            raise Conflict(f"service {code!r} exists") from error
        return service


def update_service(uow: UnitOfWork, *, code: str, **fields: Any) -> Service:
    with uow:
        service = uow.session.scalars(select(Service).where(Service.code == code)).one_or_none()
        if service is None:
            raise NotFound(f"no service {code!r}")
        translations = fields.pop("translations", None)
        for name, value in fields.items():
            setattr(service, name, value)
        if translations is not None:
            service.translations = with_translations(service.translations, translations)
        if uow.session.is_modified(service):
            # Every site's public reads name the service: their kept answers are stale now.
            uow.session.execute(update(Site).values(state_version=Site.state_version + 1))
        uow.commit()
        return service


def first_sites(uow: UnitOfWork, *, limit: int) -> list[Site]:
    """Up to `limit` sites, by name (a page that lists a few without loading a whole chain)."""
    with uow:
        return list(uow.session.scalars(select(Site).order_by(Site.name, Site.id).limit(limit)))
