"""Generated requests against the live app on both databases: no 5xx, and every answer as documented.

Schemathesis reads the OpenAPI document the app serves and generates, for each
operation, `CASES_PER_OPERATION` requests (derandomized: the same ones every
run) — half valid by the document, half invalid — sent without a token, with
a staff or an admin token, or with the patient's token, to real ids of a site
with a booking and tickets as well as to made-up ones. Each answer must not be
a 5xx, must carry a status and a body the document declares (README: API, input
rules), and an invalid request must be refused.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from schedq import create_app
from schedq.db.base import Base
from schedq.db.engine import Database
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import Role
from schedq.services import access, sites
from tests.conftest import CATALOGUE, Clock, build_site

CASES_PER_OPERATION = 50
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]
CALLERS = ("anonymous", "staff", "admin", "patient")


@dataclass
class World:
    """A site with a booking, a called ticket, a finished one with feedback and a remote one, and the secrets."""

    app: object
    bearer: dict[str, str]
    known: dict[str, object]
    patient: dict[str, str] = field(default_factory=dict)


def _empty(url: str) -> None:
    database = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_database")
        _empty(url)
    else:
        path = tmp_path / "schedq.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    clock = Clock()
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_DIR": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "SEED_DEMO": False,
            "CLOCK": clock,
            "ESTIMATOR_WARM_UP": False,
            # The staffing answers' shape is what is checked here, not their accuracy (tests/staffing).
            "STAFFING_REPLICATIONS": 60,
        }
    )
    database = app.extensions["schedq.database"]

    def make_uow(*, write: bool = True) -> UnitOfWork:
        return UnitOfWork(database, write=write)

    for service in CATALOGUE:
        sites.create_service(make_uow(), **service)
    site_id = build_site(make_uow, clock)
    station = sites.create_station(make_uow(), site_id=site_id, name="Station 1", service_codes=["DRAW"])
    staff = access.create_token(make_uow(), name="staff", role=Role.STAFF, site_ids=[site_id], now=clock())[0]
    admin = access.create_token(make_uow(), name="admin", role=Role.ADMIN, site_ids=[], now=clock())[0]
    kiosk = {"Authorization": f"Bearer {staff}"}
    client = app.test_client()
    booked = client.post(
        f"/api/v1/sites/{site_id}/appointments",
        json={
            "service": "DRAW",
            "starts_at": "2026-03-02T11:00:00-06:00",
            "contact": {"name": "Ann Example", "email": "ann@example.org"},
        },
    ).json
    waiting = client.post(f"/api/v1/sites/{site_id}/tickets", json={"service": "DRAW"}, headers=kiosk).json
    called = client.post(f"/api/v1/sites/{site_id}/tickets", json={"service": "DRAW"}, headers=kiosk).json
    client.post(f"/api/v1/stations/{station.id}/open", headers=kiosk)
    client.post(f"/api/v1/tickets/{called['id']}/call", json={"station_id": station.id}, headers=kiosk)
    for action in ("start", "complete"):
        client.post(f"/api/v1/tickets/{called['id']}/{action}", headers=kiosk)
    client.post(
        f"/api/v1/tickets/{called['id']}/feedback",
        json={"rating": 4},
        headers={"X-Patient-Token": called["token"]},
    )
    client.post(f"/api/v1/tickets/{waiting['id']}/call", json={"station_id": station.id}, headers=kiosk)
    client.post(
        f"/api/v1/sites/{site_id}/remote-tickets",
        json={
            "service": "DRAW",
            "contact": {"name": "Remo Te", "phone": "+1 201 555 0100"},
            "expected_arrival_at": "2026-03-02T08:30:00-06:00",
        },
    )
    logging.getLogger(app.name).setLevel(logging.CRITICAL)  # the 5xx a failure shows is reported below
    yield World(
        app=app,
        bearer={"staff": staff, "admin": admin},
        known={
            "site_id": site_id,
            "station_id": station.id,
            "ticket_id": waiting["id"],
            "reference": booked["reference"],
            "code": "DRAW",
            "day": "2026-12-25",
        },
        patient={"ticket_id": waiting["token"], "reference": booked["manage_token"]},
    )
    database.dispose()


def _headers(world: World, caller: str, case) -> dict[str, str]:
    if caller in world.bearer:
        return {"Authorization": f"Bearer {world.bearer[caller]}"}
    if caller == "patient":
        for name, token in world.patient.items():
            if (case.path_parameters or {}).get(name) == world.known[name]:
                return {"X-Patient-Token": token}
    return {}


def _run(world: World, operation, mode: GenerationMode, failures: list[str]) -> None:
    names = {p.name for p in operation.path_parameters}
    known = {name: value for name, value in world.known.items() if name in names}
    strategy = operation.as_strategy(generation_mode=mode)
    if known and mode == GenerationMode.POSITIVE:
        strategy = st.one_of(strategy, operation.as_strategy(generation_mode=mode, path_parameters=known))
    checks = [*CHECKS, negative_data_rejection] if mode == GenerationMode.NEGATIVE else CHECKS

    @given(case=strategy, caller=st.sampled_from(CALLERS))
    @settings(
        max_examples=CASES_PER_OPERATION // 2,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case, caller):
        headers = _headers(world, caller, case)
        try:
            case.call_and_validate(headers=headers, checks=checks)
        except (FailureGroup, AssertionError) as failure:  # every failing case, reported together below
            found = failure.message if isinstance(failure, FailureGroup) else str(failure)
            request = case.as_curl_command(headers=headers)
            failures.append(f"{operation.label} [{mode.value}, {caller}]\n{request}\n{found}")

    try:
        send()
    except Unsatisfiable:
        assert mode == GenerationMode.NEGATIVE, operation.label  # nothing invalid can be written there


@pytest.mark.slow
def test_generated_requests_get_no_5xx_and_documented_answers(world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(world, operation, mode, failures)
    assert not failures, f"{len(failures)} failing cases:\n\n" + "\n\n".join(failures[:20])
