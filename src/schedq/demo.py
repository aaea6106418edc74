"""The demo site the run command seeds into an empty database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import select

from schedq.db.models import Site
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import Role
from schedq.domain.schedule import PlanBlock, WeeklyInterval, local_day, zone
from schedq.services import access, sites

SERVICES: list[dict[str, Any]] = [
    dict(
        code="DRAW",
        name="Blood draw",
        default_minutes=6.0,
        preparation="Drink water beforehand. If your test needs fasting, eat nothing for 8–12 hours before.",
        translations={
            "es": {
                "name": "Extracción de sangre",
                "preparation": "Beba agua antes. Si su análisis pide ayuno, no coma nada de 8 a 12 horas antes.",
            }
        },
    ),
    dict(
        code="UDS",
        name="Urine drug screen",
        default_minutes=10.0,
        preparation="Bring photo ID and your employer's form. Do not drink large amounts of water beforehand.",
        translations={
            "es": {
                "name": "Prueba de drogas en orina",
                "preparation": "Traiga una identificación con foto y el formulario de su empleador. No beba mucha agua antes.",
            }
        },
    ),
    dict(
        code="GTT",
        name="Glucose tolerance test",
        default_minutes=12.0,
        bookable=True,
        walk_in_allowed=False,
        preparation="Fast for 8–12 hours. Plan to stay about 2–3 hours.",
        translations={
            "es": {
                "name": "Prueba de tolerancia a la glucosa",
                "preparation": "No coma nada de 8 a 12 horas antes. Cuente con quedarse unas 2 o 3 horas.",
            }
        },
    ),
    dict(
        code="PED",
        name="Children's blood draw",
        default_minutes=10.0,
        preparation="Bring a comfort item; a parent or guardian must come along.",
        translations={
            "es": {
                "name": "Extracción de sangre para niños",
                "preparation": "Traiga algo que calme al niño. Debe venir uno de sus padres o su tutor.",
            }
        },
    ),
]

WEEKDAY_HOURS = [(time(7, 0), time(12, 0)), (time(13, 0), time(17, 0))]
SATURDAY_HOURS = [(time(8, 0), time(12, 0))]


@dataclass(frozen=True)
class DemoSite:
    """A demo site: where it is, its week, its capacity plan and its stations."""

    settings: dict[str, Any]
    hours: list[WeeklyInterval]
    blocks: list[PlanBlock]
    stations: list[tuple[str, list[str]]]


RIVERSIDE = DemoSite(
    settings=dict(
        slug="riverside",
        name="Riverside Patient Service Center",
        address="1200 River Road, Suite 4, Springfield",
        state="IL",
        phone="(217) 555-0100",
        latitude=39.7990,
        longitude=-89.6440,
    ),
    hours=[WeeklyInterval(day, o, c) for day in range(5) for o, c in WEEKDAY_HOURS]
    + [WeeklyInterval(5, o, c) for o, c in SATURDAY_HOURS],
    blocks=[PlanBlock(day, time(7, 0), time(12, 0), 3, 2) for day in range(5)]
    + [PlanBlock(day, time(13, 0), time(17, 0), 2, 1) for day in range(5)]
    + [PlanBlock(5, time(8, 0), time(12, 0), 2, 1)],
    stations=[
        ("Station 1", ["DRAW", "GTT"]),
        ("Station 2", ["DRAW", "GTT"]),
        ("Station 3", ["DRAW", "UDS", "PED"]),
    ],
)

# A smaller neighbour 3 km north, open straight through weekdays: "Where should I go now?" compares the two.
NORTHSIDE = DemoSite(
    settings=dict(
        slug="northside",
        name="Northside Patient Service Center",
        address="850 North Grand Avenue, Springfield",
        state="IL",
        phone="(217) 555-0142",
        latitude=39.8262,
        longitude=-89.6408,
    ),
    hours=[WeeklyInterval(day, time(8, 0), time(16, 0)) for day in range(5)],
    blocks=[PlanBlock(day, time(8, 0), time(16, 0), 2, 1) for day in range(5)],
    stations=[("Chair 1", ["DRAW", "UDS"]), ("Chair 2", ["DRAW", "PED"])],
)


@dataclass
class DemoSeed:
    site_id: int
    site_name: str
    tokens: dict[str, str] = field(default_factory=dict)


def seed_if_empty(make_uow: Callable[..., UnitOfWork], *, now: datetime) -> DemoSeed | None:
    """Seed services, two sites with stations, hours and plan (Riverside plays), and a token per role."""
    with make_uow(write=False) as uow:
        if uow.session.scalars(select(Site.id)).first() is not None:
            return None
    existing = {s.code for s in sites.list_services(make_uow(write=False))}
    for service in SERVICES:
        if service["code"] not in existing:
            sites.create_service(make_uow(), **service)
    site = _seed_site(make_uow, RIVERSIDE, now=now)
    neighbour = _seed_site(make_uow, NORTHSIDE, now=now)
    seed = DemoSeed(site.id, site.name)
    both = [site.id, neighbour.id]
    for role, scope in ((Role.ADMIN, []), (Role.STAFF, both), (Role.DISPLAY, both)):
        plain, _ = access.create_token(
            make_uow(), name=f"demo {role.value}", role=role, site_ids=scope, now=now
        )
        seed.tokens[role.value] = plain
    return seed


def _seed_site(make_uow: Callable[..., UnitOfWork], demo: DemoSite, *, now: datetime) -> Site:
    site = sites.create_site(
        make_uow(), timezone="America/Chicago", now=now, min_lead_minutes=30, **demo.settings
    )
    sites.set_hours(make_uow(), site_id=site.id, intervals=demo.hours)
    sites.set_capacity_plan(make_uow(), site_id=site.id, slot_minutes=15, blocks=demo.blocks)
    for name, codes in demo.stations:
        sites.create_station(make_uow(), site_id=site.id, name=name, service_codes=codes)
    return site


def urls(make_uow: Callable[..., UnitOfWork], *, now: datetime) -> list[tuple[str, str]]:
    """Where to look once the service runs."""
    found = [("pages", "/"), ("API docs", "/api/v1/docs"), ("sites", "/api/v1/sites")]
    for site in sites.list_sites(make_uow(write=False)):
        today = local_day(now, zone(site.timezone)).isoformat()
        found += [
            (f"{site.name} lobby display", f"/display/{site.id}"),
            (f"{site.name} staff console", f"/staff/{site.id}"),
            (f"{site.name} messages sent (log sink)", f"/staff/{site.id}/messages"),
            (f"{site.name} wait now", f"/api/v1/sites/{site.id}/wait"),
            (f"{site.name} slots", f"/api/v1/sites/{site.id}/slots?service=DRAW&from={today}"),
        ]
    return found
