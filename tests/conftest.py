"""Fixtures: an app on SQLite or PostgreSQL, a movable clock, tokens and a configured site.

PostgreSQL tests use a database of their own, created for the run on the server
named by SCHEDQ_TEST_POSTGRES_URL (default: the local `postgres` user). When
the server cannot be reached they are skipped locally and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from schedq import create_app
from schedq.db import migrate
from schedq.db.base import Base
from schedq.db.engine import Database
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import Role
from schedq.domain.schedule import PlanBlock, WeeklyInterval
from schedq.services import access, sites

POSTGRES_URL = os.environ.get(
    "SCHEDQ_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Monday 2 March 2026, 08:00 in Chicago (CST, UTC-6): the site is open.
MONDAY_8AM = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime = MONDAY_8AM) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


# Databases ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "schedq.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this run, dropped at the end."""
    admin_url = make_url(POSTGRES_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        message = f"PostgreSQL not reachable at {admin_url.render_as_string(hide_password=True)}: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    name = f"schedq_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request) -> str:
    """Parametrises a test over both databases."""
    return request.param


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """The URL of an empty, migrated database: SQLite unless the test asks for `backend`."""
    kind = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    if kind == "postgresql":
        url = request.getfixturevalue("postgres_database")
        _empty_postgres(url)
        return url
    path = tmp_path / "schedq.sqlite3"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(database_url, clock, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_DIR": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "SEED_DEMO": False,
            "CLOCK": clock,
            "ENGINE_OPTIONS": {"pool_size": 30, "max_overflow": 10}
            if database_url.startswith("postgresql")
            else {},
        }
    )
    yield app
    app.extensions["schedq.database"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def database(app) -> Database:
    return app.extensions["schedq.database"]


@pytest.fixture
def make_uow(database):
    """A unit-of-work factory, as the use cases take it."""

    def make(*, write: bool = True) -> UnitOfWork:
        return UnitOfWork(database, write=write)

    return make


# A configured site --------------------------------------------------------------------


@dataclass
class SiteSetup:
    site_id: int
    station_ids: dict[str, int]
    admin: str
    staff: str
    display: str
    other_staff: str
    other_site_id: int

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


CATALOGUE = [
    dict(code="DRAW", name="Blood draw", default_minutes=6.0, preparation="Drink water."),
    dict(code="UDS", name="Urine drug screen", default_minutes=10.0, preparation="Bring photo ID."),
    dict(
        code="GTT",
        name="Glucose tolerance",
        default_minutes=12.0,
        walk_in_allowed=False,
        preparation="Fast 8 hours.",
    ),
    dict(code="PED", name="Children's draw", default_minutes=10.0, bookable=False),
]


def build_site(make_uow, clock: Clock, *, seats_per_slot: int = 2, slug: str = "riverside") -> int:
    site = sites.create_site(
        make_uow(),
        slug=slug,
        name=f"{slug.title()} PSC",
        address="1200 River Road",
        timezone="America/Chicago",
        now=clock(),
        min_lead_minutes=30,
    )
    sites.set_hours(
        make_uow(),
        site_id=site.id,
        intervals=[
            WeeklyInterval(d, o, c) for d in range(5) for o, c in ((time(7), time(12)), (time(13), time(17)))
        ],
    )
    sites.set_capacity_plan(
        make_uow(),
        site_id=site.id,
        slot_minutes=15,
        blocks=[PlanBlock(d, time(7), time(17), 3, seats_per_slot) for d in range(5)],
    )
    return site.id


@pytest.fixture
def site(make_uow, clock) -> SiteSetup:
    for service in CATALOGUE:
        sites.create_service(make_uow(), **service)
    site_id = build_site(make_uow, clock)
    other_id = build_site(make_uow, clock, slug="hillside")
    stations = {}
    for name, codes in (
        ("Station 1", ["DRAW", "GTT"]),
        ("Station 2", ["DRAW", "GTT"]),
        ("Station 3", ["DRAW", "UDS", "PED"]),
    ):
        stations[name] = sites.create_station(make_uow(), site_id=site_id, name=name, service_codes=codes).id
    sites.create_station(make_uow(), site_id=other_id, name="Station 1", service_codes=["DRAW"])

    def token(role: Role, scope: list[int]) -> str:
        return access.create_token(
            make_uow(), name=f"{role.value} {scope}", role=role, site_ids=scope, now=clock()
        )[0]

    return SiteSetup(
        site_id=site_id,
        station_ids=stations,
        admin=token(Role.ADMIN, []),
        staff=token(Role.STAFF, [site_id]),
        display=token(Role.DISPLAY, [site_id]),
        other_staff=token(Role.STAFF, [other_id]),
        other_site_id=other_id,
    )
