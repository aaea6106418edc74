"""Bad input gets a 4xx naming the field, never a 500, and writes nothing."""

from __future__ import annotations

import pytest

BOOKING = {
    "service": "DRAW",
    "starts_at": "2026-03-03T09:00:00-06:00",
    "contact": {"name": "Ann", "phone": "+1 201 555 0100"},
}
HOURS = {"hours": [{"weekday": 0, "opens": "07:00", "closes": "12:00"}]}
PLAN = {
    "slot_minutes": 15,
    "blocks": [{"weekday": 0, "starts": "07:00", "ends": "12:00", "stations": 2, "seats_per_slot": 1}],
}


def with_(base: dict, path: str, value) -> dict:
    """A deep copy of `base` with the dotted `path` set to `value`."""
    import copy

    body = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def error_fields(answer) -> set[str]:
    """Every field path named in an error answer, dotted (`hours.0.closes`)."""
    found: set[str] = set()

    def walk(node, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
        else:
            found.add(prefix)

    for location in (answer.json or {}).get("errors", {}).values():
        walk(location, "")
    return found


CASES = [
    # (name, method, path, body, field)
    (
        "unknown timezone",
        "post",
        "/api/v1/sites",
        {"slug": "x1", "name": "X", "timezone": "Mars/Base"},
        "timezone",
    ),
    ("unknown timezone on change", "patch", "/api/v1/sites/{site}", {"timezone": "Nowhere/Else"}, "timezone"),
    ("bad slug", "post", "/api/v1/sites", {"slug": "Not A Slug", "name": "X", "timezone": "UTC"}, "slug"),
    (
        "inverted hours",
        "put",
        "/api/v1/sites/{site}/hours",
        with_(HOURS, "hours.0.closes", "06:00"),
        "hours.0.closes",
    ),
    (
        "overlapping hours",
        "put",
        "/api/v1/sites/{site}/hours",
        {"hours": HOURS["hours"] + [{"weekday": 0, "opens": "11:00", "closes": "14:00"}]},
        "hours.1.opens",
    ),
    (
        "hour out of range",
        "put",
        "/api/v1/sites/{site}/hours",
        with_(HOURS, "hours.0.opens", "25:00"),
        "hours.0.opens",
    ),
    (
        "weekday out of range",
        "put",
        "/api/v1/sites/{site}/hours",
        with_(HOURS, "hours.0.weekday", 9),
        "hours.0.weekday",
    ),
    (
        "zero stations",
        "put",
        "/api/v1/sites/{site}/capacity-plan",
        with_(PLAN, "blocks.0.stations", 0),
        "blocks.0.stations",
    ),
    (
        "negative seats",
        "put",
        "/api/v1/sites/{site}/capacity-plan",
        with_(PLAN, "blocks.0.seats_per_slot", -1),
        "blocks.0.seats_per_slot",
    ),
    (
        "zero slot length",
        "put",
        "/api/v1/sites/{site}/capacity-plan",
        with_(PLAN, "slot_minutes", 0),
        "slot_minutes",
    ),
    (
        "overlapping blocks",
        "put",
        "/api/v1/sites/{site}/capacity-plan",
        {"slot_minutes": 15, "blocks": PLAN["blocks"] * 2},
        "blocks.1.starts",
    ),
    ("negative grace", "patch", "/api/v1/sites/{site}", {"grace_minutes": -5}, "grace_minutes"),
    ("closure in the past", "post", "/api/v1/sites/{site}/closures", {"day": "2020-01-01"}, "day"),
    (
        "station with unknown service",
        "post",
        "/api/v1/sites/{site}/stations",
        {"name": "Z", "services": ["DRAW", "NOPE"]},
        "services.1",
    ),
    (
        "station without services",
        "post",
        "/api/v1/sites/{site}/stations",
        {"name": "Z", "services": []},
        "services",
    ),
    (
        "service with zero minutes",
        "post",
        "/api/v1/services",
        {"code": "ZZ", "name": "Z", "default_minutes": 0},
        "default_minutes",
    ),
    (
        "start off the slot grid",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "starts_at", "2026-03-03T09:07:00-06:00"),
        "starts_at",
    ),
    (
        "start in the past",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "starts_at", "2026-02-02T09:00:00-06:00"),
        "starts_at",
    ),
    (
        "start without offset",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "starts_at", "2026-03-03T09:00:00"),
        "starts_at",
    ),
    (
        "start not a date",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "starts_at", "tomorrow"),
        "starts_at",
    ),
    (
        "unknown service",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "service", "NOPE"),
        "service",
    ),
    (
        "no way to reach the patient",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "contact", {"name": "Ann"}),
        "contact.phone",
    ),
    (
        "bad email",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "contact", {"name": "Ann", "email": "not-mail"}),
        "contact.email",
    ),
    (
        "oversized name",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "contact.name", "A" * 5000),
        "contact.name",
    ),
    ("oversized address", "patch", "/api/v1/sites/{site}", {"address": "x" * 1000}, "address"),
    ("unknown field", "patch", "/api/v1/sites/{site}", {"colour": "blue"}, "colour"),
    ("slots from the past", "get", "/api/v1/sites/{site}/slots?service=DRAW&from=2026-02-01", None, "from"),
    (
        "slots for unknown service",
        "get",
        "/api/v1/sites/{site}/slots?service=NOPE&from=2026-03-03",
        None,
        "service",
    ),
    (
        "slots with to before from",
        "get",
        "/api/v1/sites/{site}/slots?service=DRAW&from=2026-03-05&to=2026-03-03",
        None,
        "to",
    ),
    ("slots with a bad date", "get", "/api/v1/sites/{site}/slots?service=DRAW&from=03/05/2026", None, "from"),
    ("oversized idempotency key", "post", "/api/v1/sites/{site}/appointments", BOOKING, "Idempotency-Key"),
]


def state(client, site) -> tuple:
    """Everything the bad requests could have touched."""
    return (
        client.get("/api/v1/sites").json,
        client.get(f"/api/v1/sites/{site.site_id}/capacity-plan").json,
        client.get("/api/v1/services").json,
        client.get(
            f"/api/v1/sites/{site.site_id}/appointments?date=2026-03-03", headers=site.headers("staff")
        ).json,
    )


@pytest.mark.parametrize("name, method, path, body, field", CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_field_and_writes_nothing(client, site, name, method, path, body, field):
    before = state(client, site)
    headers = dict(site.headers("admin"))
    if name == "oversized idempotency key":
        headers["Idempotency-Key"] = "k" * 500
    answer = getattr(client, method)(path.format(site=site.site_id), json=body, headers=headers)
    assert 400 <= answer.status_code < 500, answer.json
    assert field in error_fields(answer), answer.json
    assert state(client, site) == before


def test_malformed_json_is_a_400(client, site):
    answer = client.post(
        f"/api/v1/sites/{site.site_id}/appointments",
        data='{"service": "DRAW",',
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "json" in answer.json["errors"]


def test_body_that_is_not_an_object_is_refused(client, site):
    answer = client.post(f"/api/v1/sites/{site.site_id}/appointments", json=["DRAW"])
    assert answer.status_code == 422


def test_oversized_body_is_a_413(client, site):
    answer = client.post(
        f"/api/v1/sites/{site.site_id}/appointments", data="x" * 100_000, content_type="application/json"
    )
    assert answer.status_code == 413


def test_unknown_site_is_a_404(client, site):
    assert client.get("/api/v1/sites/999").status_code == 404
    assert client.get("/api/v1/sites/999/slots?service=DRAW&from=2026-03-03").status_code == 404
    assert client.post("/api/v1/sites/999/appointments", json=BOOKING).status_code == 404
