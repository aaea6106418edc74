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
    # Strict JSON types: no 0 for false, no fractions or strings for integers.
    ("walk-in allowed as 0", "patch", "/api/v1/services/DRAW", {"walk_in_allowed": 0}, "walk_in_allowed"),
    ("bookable as a string", "patch", "/api/v1/services/DRAW", {"bookable": "yes"}, "bookable"),
    (
        "grace minutes as a fraction",
        "patch",
        "/api/v1/sites/{site}",
        {"grace_minutes": 15.7},
        "grace_minutes",
    ),
    ("grace minutes as a string", "patch", "/api/v1/sites/{site}", {"grace_minutes": "15"}, "grace_minutes"),
    ("minutes as a string", "patch", "/api/v1/services/DRAW", {"default_minutes": "6"}, "default_minutes"),
    # Names: never blank, no control or bidirectional-control characters, valid Unicode.
    ("site name of only spaces", "patch", "/api/v1/sites/{site}", {"name": "   "}, "name"),
    ("service name of only spaces", "patch", "/api/v1/services/DRAW", {"name": " \t "}, "name"),
    (
        "station name of only spaces",
        "post",
        "/api/v1/sites/{site}/stations",
        {"name": "  ", "services": ["DRAW"]},
        "name",
    ),
    (
        "contact name of only spaces",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "contact.name", "   "),
        "contact.name",
    ),
    (
        "right-to-left override in a contact name",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "contact.name", "Ann \u202egnp.exe"),
        "contact.name",
    ),
    ("right-to-left isolate in a site name", "patch", "/api/v1/sites/{site}", {"name": "X\u2067Y"}, "name"),
    ("control character in a station name", "patch", "/api/v1/stations/{station}", {"name": "S\x07"}, "name"),
    ("line break in a name", "patch", "/api/v1/sites/{site}", {"name": "Two\nLines"}, "name"),
    (
        "lone surrogate in a booking's name",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "contact.name", "Ann \ud800"),
        "contact.name",
    ),
    (
        "lone surrogate in a remote join's name",
        "post",
        "/api/v1/sites/{site}/remote-tickets",
        {
            "service": "DRAW",
            "contact": {"name": "\udfff", "phone": "+1 201 555 0100"},
            "expected_arrival_at": "2026-03-02T08:30:00-06:00",
        },
        "contact.name",
    ),
    (
        "NUL in a service code",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "service", "DR\x00AW"),
        "service",
    ),
    (
        "NUL in a closure reason",
        "post",
        "/api/v1/sites/{site}/closures",
        {"day": "2026-12-25", "reason": "a\x00"},
        "reason",
    ),
    # Time zones: real places only.
    (
        "timezone localtime",
        "post",
        "/api/v1/sites",
        {"slug": "x2", "name": "X", "timezone": "localtime"},
        "timezone",
    ),
    ("timezone Factory", "patch", "/api/v1/sites/{site}", {"timezone": "Factory"}, "timezone"),
    ("timezone posixrules", "patch", "/api/v1/sites/{site}", {"timezone": "posixrules"}, "timezone"),
    # Dates within 2000-01-01 … 2099-12-31.
    (
        "booking in year 9999",
        "post",
        "/api/v1/sites/{site}/appointments",
        with_(BOOKING, "starts_at", "9999-12-31T09:00:00-06:00"),
        "starts_at",
    ),
    ("day list in year 9999", "get", "/api/v1/sites/{site}/appointments?date=9999-12-31", None, "date"),
    ("events in year 9999", "get", "/api/v1/sites/{site}/events?date=9999-12-31", None, "date"),
    (
        "accuracy to year 9999",
        "get",
        "/api/v1/sites/{site}/accuracy?from=2026-03-01&to=9999-12-31",
        None,
        "to",
    ),
    (
        "accuracy from year 1",
        "get",
        "/api/v1/sites/{site}/accuracy?from=0001-01-01&to=2026-03-01",
        None,
        "from",
    ),
    (
        "slots to year 9999",
        "get",
        "/api/v1/sites/{site}/slots?service=DRAW&from=2026-03-03&to=9999-12-31",
        None,
        "to",
    ),
    ("closure in year 9999", "post", "/api/v1/sites/{site}/closures", {"day": "9999-12-31"}, "day"),
    ("reopening year 9999", "delete", "/api/v1/sites/{site}/closures/9999-12-31", None, "day"),
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
    url = path.format(site=site.site_id, station=site.station_ids["Station 1"])
    answer = getattr(client, method)(url, json=body, headers=headers)
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


# Issue 11's findings: ids, nesting, Unicode, dates, and answers as documented ---------------

PAST_THE_LARGEST_IDS = ["9223372036854775808", "2147483648", "0", "99999999999999999999999999"]


@pytest.mark.parametrize("id_", PAST_THE_LARGEST_IDS)
@pytest.mark.parametrize(
    "path",
    ["/api/v1/sites/{id}", "/api/v1/sites/{id}/display", "/api/v1/sites/{id}/wait", "/api/v1/tickets/{id}"],
)
def test_ids_past_the_largest_are_a_404_without_a_token(client, backend, path, id_):
    answer = client.get(path.format(id=id_))
    assert answer.status_code == 404
    assert answer.json["code"] == 404


def test_ids_past_the_largest_in_a_staff_path_are_a_404(client, site):
    answer = client.post("/api/v1/stations/9223372036854775808/open", headers=site.headers("staff"))
    assert answer.status_code == 404


@pytest.mark.parametrize("path", ["wait", "display", "best-times?service=DRAW"])
def test_public_reads_of_a_site_that_is_not_there_are_a_404(client, backend, site, path):
    assert client.get(f"/api/v1/sites/999/{path}").status_code == 404


@pytest.mark.parametrize("station_id", [2**63, 2**31, 0, True, 1.5])
def test_a_station_id_in_a_body_out_of_range_names_the_field(client, site, station_id):
    ticket = client.post(
        f"/api/v1/sites/{site.site_id}/tickets", json={"service": "DRAW"}, headers=site.headers("staff")
    ).json
    answer = client.post(
        f"/api/v1/tickets/{ticket['id']}/call", json={"station_id": station_id}, headers=site.headers("staff")
    )
    assert answer.status_code == 422
    assert "station_id" in error_fields(answer)


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/api/v1/sites/{site}/appointments", None),
        ("/api/v1/sites/{site}/remote-tickets", None),
        ("/api/v1/sites", "admin"),
        ("/api/v1/tickets/1/feedback", None),
    ],
)
def test_deeply_nested_json_is_a_400_before_it_is_parsed(client, site, path, headers):
    body = '{"service": ' + "[" * 980 + "]" * 980 + "}"
    answer = client.post(
        path.format(site=site.site_id),
        data=body,
        content_type="application/json",
        headers=site.headers(headers) if headers else {},
    )
    assert answer.status_code == 400
    assert "json" in answer.json["errors"]


def test_nesting_up_to_the_limit_reaches_the_schema(client, site):
    from schedq.api.bodies import MAX_DEPTH

    body = '{"service": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    answer = client.post(
        f"/api/v1/sites/{site.site_id}/appointments", data=body, content_type="application/json"
    )
    assert answer.status_code == 422 and "service" in error_fields(answer)


def _json_values():
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:')
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    )


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def test_nesting_depth_counts_brackets_outside_strings_only():
    import json

    from hypothesis import given

    from schedq.api.bodies import nesting_depth

    @given(_json_values())
    def check(value):
        assert nesting_depth(json.dumps(value).encode(), stop_above=10**6) == _depth(value)

    check()


def _book(client, site, **contact) -> dict:
    body = with_(BOOKING, "contact", {"name": "Ann", **contact})
    answer = client.post(f"/api/v1/sites/{site.site_id}/appointments", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def test_reschedule_to_year_9999_names_the_field(client, site):
    booked = _book(client, site, phone="+1 201 555 0100")
    answer = client.post(
        f"/api/v1/appointments/{booked['reference']}/reschedule",
        json={"starts_at": "9999-12-31T09:00:00-06:00"},
        headers={"X-Patient-Token": booked["manage_token"]},
    )
    assert answer.status_code == 422 and "starts_at" in error_fields(answer)


def test_names_are_kept_trimmed(client, site):
    booked = _book(client, site, name="  Ann Example  ", phone="+1 201 555 0100")
    assert booked["contact_name"] == "Ann Example"
    renamed = client.patch(
        f"/api/v1/sites/{site.site_id}", json={"name": "  Riverside  "}, headers=site.headers("admin")
    )
    assert renamed.json["name"] == "Riverside"


def test_a_405_names_the_allowed_methods(client, site):
    answer = client.put("/api/v1/sites")
    assert answer.status_code == 405 and answer.json["code"] == 405
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_an_idempotency_key_outside_printable_ascii_names_the_header(client, site):
    answer = client.post(
        f"/api/v1/sites/{site.site_id}/appointments", json=BOOKING, headers={"Idempotency-Key": "k\x00ey"}
    )
    assert answer.status_code == 422 and "Idempotency-Key" in error_fields(answer)


# The document tells the truth -------------------------------------------------------------------


@pytest.fixture
def documented(app):
    """Validate a test-client answer against the response the OpenAPI document declares for it."""
    import schemathesis
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    def validate(method: str, template: str, answer, **path_parameters) -> None:
        case = schema[template][method.upper()].Case(path_parameters=path_parameters)
        case.validate_response(answer, checks=[response_schema_conformance, status_code_conformance])

    return validate


def test_a_409_naming_allowed_actions_is_as_documented(client, site, documented):
    ticket = client.post(
        f"/api/v1/sites/{site.site_id}/tickets", json={"service": "DRAW"}, headers=site.headers("staff")
    ).json
    answer = client.post(f"/api/v1/tickets/{ticket['id']}/complete", headers=site.headers("staff"))
    assert answer.status_code == 409 and answer.json["allowed_actions"]
    documented("post", "/api/v1/tickets/{ticket_id}/complete", answer, ticket_id=ticket["id"])


def test_an_appointment_without_a_phone_is_as_documented(client, site, documented):
    booked = _book(client, site, email="ann@example.org")
    assert booked["contact_phone"] is None
    answer = client.get(
        f"/api/v1/appointments/{booked['reference']}", headers={"X-Patient-Token": booked["manage_token"]}
    )
    documented("get", "/api/v1/appointments/{reference}", answer, reference=booked["reference"])


def test_the_document_asks_for_a_phone_or_an_email(client):
    contact = client.get("/api/v1/openapi.json").json["components"]["schemas"]["Contact"]
    assert contact["anyOf"] == [{"required": ["phone"]}, {"required": ["email"]}]
