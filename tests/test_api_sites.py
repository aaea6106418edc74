"""Site configuration through the API: what admins, staff and the public may do."""

from __future__ import annotations

import pytest

NEW_SITE = {
    "slug": "lakeside",
    "name": "Lakeside PSC",
    "timezone": "America/New_York",
    "address": "5 Lake St",
}


def test_admin_creates_a_site_and_sets_hours_plan_and_stations(client, site):
    admin = site.headers("admin")
    created = client.post("/api/v1/sites", json=NEW_SITE, headers=admin)
    assert created.status_code == 201, created.json
    site_id = created.json["id"]
    hours = {
        "hours": [
            {"weekday": 0, "opens": "07:00", "closes": "12:00"},
            {"weekday": 0, "opens": "13:00", "closes": "16:00"},
        ]
    }
    assert client.put(f"/api/v1/sites/{site_id}/hours", json=hours, headers=admin).status_code == 200
    plan = {
        "slot_minutes": 20,
        "blocks": [{"weekday": 0, "starts": "07:00", "ends": "16:00", "stations": 2, "seats_per_slot": 1}],
    }
    assert client.put(f"/api/v1/sites/{site_id}/capacity-plan", json=plan, headers=admin).status_code == 200
    station = client.post(
        f"/api/v1/sites/{site_id}/stations",
        json={"name": "Chair A", "services": ["DRAW", "UDS"]},
        headers=admin,
    )
    assert station.status_code == 201 and station.json["services"] == ["DRAW", "UDS"]

    shown = client.get(f"/api/v1/sites/{site_id}").json
    assert [(h["opens"], h["closes"]) for h in shown["hours"]] == [("07:00", "12:00"), ("13:00", "16:00")]
    assert shown["stations"][0]["state"] == "closed"
    assert client.get(f"/api/v1/sites/{site_id}/capacity-plan").json["slot_minutes"] == 20


def test_site_settings_can_be_changed_by_its_admin(client, site):
    changed = client.patch(
        f"/api/v1/sites/{site.site_id}",
        json={"grace_minutes": 10, "walk_in_cutoff_minutes": 20},
        headers=site.headers("admin"),
    )
    assert changed.status_code == 200
    assert (changed.json["grace_minutes"], changed.json["walk_in_cutoff_minutes"]) == (10, 20)


def test_a_site_has_a_phone_patients_can_call_and_a_place_on_the_map(client, site):
    admin = site.headers("admin")
    path = f"/api/v1/sites/{site.site_id}"
    placed = client.patch(
        path, json={"phone": "(217) 555-0100", "latitude": 39.799, "longitude": -89.644}, headers=admin
    )
    assert placed.status_code == 200, placed.json
    shown = client.get(path).json
    assert (shown["phone"], shown["latitude"], shown["longitude"]) == ("+12175550100", 39.799, -89.644)

    refused = client.patch(path, json={"phone": "555"}, headers=admin)
    assert refused.status_code == 422 and "phone" in str(refused.json)
    assert client.patch(path, json={"latitude": 91}, headers=admin).status_code == 422
    half = client.patch(path, json={"latitude": None}, headers=admin)
    assert half.status_code == 422 and "latitude" in str(half.json), "a site is placed by both coordinates"
    cleared = client.patch(path, json={"latitude": None, "longitude": None, "phone": None}, headers=admin)
    assert cleared.status_code == 200
    assert (cleared.json["phone"], cleared.json["latitude"]) == (None, None)


def test_a_site_may_send_its_messages_from_its_own_address_and_number(client, site):
    admin = site.headers("admin")
    path = f"/api/v1/sites/{site.site_id}"
    own = client.patch(
        path,
        json={"email_from": "Riverside Lab <riverside@lab.example>", "sms_from": "(217) 555-0100"},
        headers=admin,
    )
    assert own.status_code == 200, own.json
    assert (own.json["email_from"], own.json["sms_from"]) == (
        "Riverside Lab <riverside@lab.example>",
        "+12175550100",
    )
    pool = "MG" + "0" * 32
    assert client.patch(path, json={"sms_from": pool}, headers=admin).json["sms_from"] == pool
    assert (
        client.patch(path, json={"email_from": "Riverside <not an address>"}, headers=admin).status_code
        == 422
    )
    assert client.patch(path, json={"sms_from": "555"}, headers=admin).status_code == 422
    cleared = client.patch(path, json={"email_from": None, "sms_from": None}, headers=admin).json
    assert (cleared["email_from"], cleared["sms_from"]) == (None, None)


def test_a_site_is_in_a_state_given_by_its_code(client, site):
    admin = site.headers("admin")
    created = client.post("/api/v1/sites", json={**NEW_SITE, "slug": "bayside", "state": "ma"}, headers=admin)
    assert created.status_code == 201, created.json
    path = f"/api/v1/sites/{created.json['id']}"
    assert client.get(path).json["state"] == "MA"
    for wrong in ("Massachusetts", "M.A.", "MA "):
        refused = client.patch(path, json={"state": wrong}, headers=admin)
        assert refused.status_code == 422 and "state" in str(refused.json), wrong
    assert client.patch(path, json={"state": "NY"}, headers=admin).json["state"] == "NY"
    assert client.patch(path, json={"state": ""}, headers=admin).json["state"] is None
    assert client.patch(path, json={"state": None}, headers=admin).json["state"] is None


def test_closures_are_added_listed_and_removed(client, site):
    admin = site.headers("admin")
    added = client.post(
        f"/api/v1/sites/{site.site_id}/closures",
        json={"day": "2026-12-25", "reason": "Christmas"},
        headers=admin,
    )
    assert added.status_code == 201
    assert client.get(f"/api/v1/sites/{site.site_id}").json["closures"] == [
        {"day": "2026-12-25", "reason": "Christmas"}
    ]
    assert (
        client.post(
            f"/api/v1/sites/{site.site_id}/closures", json={"day": "2026-12-25"}, headers=admin
        ).status_code
        == 409
    )
    assert (
        client.delete(f"/api/v1/sites/{site.site_id}/closures/2026-12-25", headers=admin).status_code == 204
    )
    assert client.get(f"/api/v1/sites/{site.site_id}").json["closures"] == []


def test_station_skills_can_be_changed(client, site):
    station_id = site.station_ids["Station 1"]
    changed = client.patch(
        f"/api/v1/stations/{station_id}", json={"services": ["DRAW"]}, headers=site.headers("admin")
    )
    assert changed.status_code == 200 and changed.json["services"] == ["DRAW"]


def test_service_catalogue_is_public_and_admin_managed(client, site):
    listed = client.get("/api/v1/services").json
    assert [s["code"] for s in listed] == ["DRAW", "GTT", "PED", "UDS"]
    added = client.post(
        "/api/v1/services",
        json={"code": "TB", "name": "TB skin test", "default_minutes": 5},
        headers=site.headers("admin"),
    )
    assert added.status_code == 201 and added.json["bookable"] is True
    changed = client.patch(
        "/api/v1/services/TB", json={"preparation": "No preparation needed."}, headers=site.headers("admin")
    )
    assert changed.json["preparation"] == "No preparation needed."
    assert (
        client.post(
            "/api/v1/services",
            json={"code": "TB", "name": "again", "default_minutes": 5},
            headers=site.headers("admin"),
        ).status_code
        == 409
    )


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/api/v1/sites", NEW_SITE),
        ("patch", "/api/v1/sites/{site}", {"grace_minutes": 5}),
        ("put", "/api/v1/sites/{site}/hours", {"hours": []}),
        ("post", "/api/v1/sites/{site}/closures", {"day": "2026-12-24"}),
        ("put", "/api/v1/sites/{site}/capacity-plan", {"slot_minutes": 15, "blocks": []}),
        ("post", "/api/v1/sites/{site}/stations", {"name": "X", "services": ["DRAW"]}),
        ("post", "/api/v1/services", {"code": "ZZ", "name": "z", "default_minutes": 5}),
    ],
)
def test_configuration_needs_an_admin_token(client, site, method, path, body):
    url = path.format(site=site.site_id)
    assert getattr(client, method)(url, json=body).status_code == 401
    assert (
        getattr(client, method)(url, json=body, headers={"Authorization": "Bearer not-a-token"}).status_code
        == 401
    )
    for role in ("staff", "display", "other_staff"):
        assert getattr(client, method)(url, json=body, headers=site.headers(role)).status_code == 403
    assert getattr(client, method)(url, json=body, headers=site.headers("admin")).status_code in (200, 201)


def test_revoked_token_is_refused(client, site, make_uow, clock):
    from schedq.domain.enums import Role
    from schedq.services import access

    plain, token = access.create_token(make_uow(), name="temp", role=Role.ADMIN, site_ids=[], now=clock())
    access.revoke_token(make_uow(), token_id=token.id, now=clock())
    answer = client.patch(
        f"/api/v1/sites/{site.site_id}",
        json={"grace_minutes": 5},
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"


def test_appointments_of_a_day_are_for_staff_of_the_site(client, site):
    url = f"/api/v1/sites/{site.site_id}/appointments?date=2026-03-03"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=site.headers("display")).status_code == 403
    assert client.get(url, headers=site.headers("other_staff")).status_code == 403
    assert client.get(url, headers=site.headers("staff")).status_code == 200
