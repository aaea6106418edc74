"""Every queue endpoint against every kind of caller.

Callers: anonymous, the patient's own ticket token, another patient's ticket
token, the site's display token, the site's staff, staff of another site, and
an admin of all sites. Authorisation is checked before state, so an allowed
caller on a ticket whose state refuses the action gets 409, not 403.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from schedq.services.queue import corrections
from tests.conftest import MONDAY_8AM

API = "/api/v1"
CALLERS = ("anonymous", "other", "display", "staff", "other_staff", "admin", "own")


def expect(anonymous, own, other, display, staff, other_staff, admin):
    return dict(
        anonymous=anonymous,
        own=own,
        other=other,
        display=display,
        staff=staff,
        other_staff=other_staff,
        admin=admin,
    )


STAFF_ONLY = lambda ok: expect(401, 401, 401, 403, ok, 403, ok)  # noqa: E731
KIOSK = lambda ok: expect(401, 401, 401, ok, ok, 403, ok)  # noqa: E731
PATIENT_OR_STAFF = lambda ok: expect(401, ok, 404, 403, ok, 403, ok)  # noqa: E731
PATIENT_ONLY = lambda ok: expect(401, ok, 404, 401, 401, 401, 401)  # noqa: E731
PUBLIC = lambda ok: expect(ok, ok, ok, ok, ok, ok, ok)  # noqa: E731


@pytest.fixture
def world(q, clock):
    """A remote ticket (mine), another walk-in, a cancelled one, a booked appointment, and a closed station."""
    appointment = q.book(MONDAY_8AM + timedelta(hours=1))
    mine = q.remote()
    other = q.walk_in()
    cancelled = q.walk_in()
    q.act(corrections.cancel, cancelled.id)
    clock.advance(minutes=50)
    return dict(
        mine=mine, other=other, cancelled=cancelled, appointment=appointment, station=q.stations["Station 2"]
    )


def endpoints(site, w):
    s, mine, other, gone, st = site.site_id, w["mine"].id, w["other"].id, w["cancelled"].id, w["station"]
    phone = iter(range(100))
    return [
        ("POST", f"/sites/{s}/tickets", {"service": "DRAW"}, KIOSK(201)),
        (
            "POST",
            f"/sites/{s}/remote-tickets",
            lambda: {
                "service": "DRAW",
                "contact": {"name": "R", "phone": f"+1 201 555 01{next(phone):02d}"},
                "expected_arrival_at": "2026-03-02T09:30:00-06:00",
            },
            PUBLIC(201),
        ),
        ("POST", f"/sites/{s}/check-ins", {"reference": w["appointment"].reference}, KIOSK(201)),
        (
            "POST",
            f"/appointments/{w['appointment'].reference}/check-in",
            None,
            expect(401, 404, 404, 401, 401, 401, 401),
        ),
        ("GET", f"/tickets/{mine}", None, PATIENT_OR_STAFF(200)),
        ("POST", f"/tickets/{mine}/present", None, PATIENT_OR_STAFF(200)),
        ("POST", f"/tickets/{mine}/feedback", {"rating": 5}, PATIENT_ONLY(409)),
        ("POST", f"/tickets/{other}/call", {"station_id": st}, STAFF_ONLY(409)),
        ("POST", f"/tickets/{other}/recall", None, STAFF_ONLY(409)),
        ("POST", f"/tickets/{other}/start", None, STAFF_ONLY(409)),
        ("POST", f"/tickets/{other}/complete", None, STAFF_ONLY(409)),
        ("POST", f"/tickets/{other}/no-show", None, STAFF_ONLY(409)),
        ("POST", f"/tickets/{other}/requeue", None, STAFF_ONLY(409)),
        ("POST", f"/tickets/{gone}/cancel", {"reason": "again"}, STAFF_ONLY(409)),
        ("POST", f"/tickets/{gone}/undo", None, STAFF_ONLY(409)),
        ("POST", f"/tickets/{gone}/priority", {"priority": True}, STAFF_ONLY(409)),
        ("GET", f"/tickets/{other}/events", None, STAFF_ONLY(200)),
        ("POST", f"/stations/{st}/open", None, STAFF_ONLY(200)),
        ("POST", f"/stations/{st}/pause", None, STAFF_ONLY(200)),
        ("POST", f"/stations/{st}/close", None, STAFF_ONLY(200)),
        ("POST", f"/stations/{st}/call-next", None, STAFF_ONLY(409)),
        ("GET", f"/sites/{s}/queue", None, STAFF_ONLY(200)),
        ("GET", f"/sites/{s}/events", None, STAFF_ONLY(200)),
        ("GET", f"/sites/{s}/feedback", None, STAFF_ONLY(200)),
        ("GET", f"/sites/{s}/display", None, PUBLIC(200)),
        ("POST", f"/tickets/{mine}/leave", None, PATIENT_ONLY(200)),
        ("POST", f"/sites/{s}/close-day", {"reason": "end of test"}, STAFF_ONLY(200)),
    ]


def test_every_queue_endpoint_answers_each_caller_as_it_should(client, site, world):
    headers = {
        "anonymous": {},
        "own": {"X-Patient-Token": world["mine"].token},
        "other": {"X-Patient-Token": world["other"].token},
        "display": site.headers("display"),
        "staff": site.headers("staff"),
        "other_staff": site.headers("other_staff"),
        "admin": site.headers("admin"),
    }
    got, wanted = {}, {}
    for method, path, body, expected in endpoints(site, world):
        for caller in CALLERS:
            payload = body() if callable(body) else body
            answer = client.open(f"{API}{path}", method=method, json=payload, headers=headers[caller])
            got[(method, path, caller)] = answer.status_code
            wanted[(method, path, caller)] = expected[caller]
    assert {k: v for k, v in got.items() if v != wanted[k]} == {}


def test_the_matrix_covers_every_queue_route(app, site, world):
    covered = {(method, f"{API}{path}") for method, path, _, _ in endpoints(site, world)}
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("queue.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = [
        route
        for route in routes
        if not any(
            m == route[0] and re.fullmatch(re.sub(r"<[^>]+>", "[^/]+", route[1]), p) for m, p in covered
        )
    ]
    assert missing == [] and len(covered) == len(routes)
