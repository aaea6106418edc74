"""Where should I go now: the sites near a place, and who sees a walk-in soonest counting travel."""

from __future__ import annotations

from datetime import date

import pytest

from schedq.services import sites

RIVERSIDE = (39.7990, -89.6440)
HILLSIDE = (39.8890, -89.6440)  # 10.01 km north of Riverside: 20.02 minutes at 30 km/h, shown as 21


@pytest.fixture
def placed(site, make_uow):
    """Riverside and Hillside 10 km apart, each with a station open for walk-ins."""
    for site_id, (lat, lon), phone in (
        (site.site_id, RIVERSIDE, "(217) 555-0100"),
        (site.other_site_id, HILLSIDE, "(217) 555-0199"),
    ):
        sites.update_site(make_uow(), site_id=site_id, latitude=lat, longitude=lon, phone=phone)
    return site


def open_station(client, site, name: str = "Station 1", *, other: bool = False) -> None:
    site_id = site.other_site_id if other else site.site_id
    shown = client.get(f"/api/v1/sites/{site_id}").json
    station = next(s["id"] for s in shown["stations"] if s["name"] == name)
    staff = {"Authorization": f"Bearer {site.other_staff if other else site.staff}"}
    assert client.post(f"/api/v1/stations/{station}/open", headers=staff).status_code == 200


def walk_ins(client, site, count: int, service: str = "DRAW") -> None:
    for _ in range(count):
        joined = client.post(
            f"/api/v1/sites/{site.site_id}/tickets",
            json={"service": service},
            headers=site.headers("display"),
        )
        assert joined.status_code == 201, joined.json


def nearby(client, **query) -> dict:
    answer = client.get("/api/v1/nearby", query_string=query)
    assert answer.status_code == 200, answer.json
    return answer.json


def soonest(answer: dict) -> dict[str, str]:
    return {found["service"]: found["site_name"] for found in answer["soonest"]}


def test_sites_are_listed_nearest_first_with_distance_travel_status_and_wait(client, placed):
    open_station(client, placed)
    open_station(client, placed, other=True)
    answer = nearby(client, lat=HILLSIDE[0] - 0.01, lon=HILLSIDE[1])
    assert [s["name"] for s in answer["sites"]] == ["Hillside PSC", "Riverside PSC"]
    near, far = answer["sites"]
    assert far["distance_km"] == pytest.approx(8.9, abs=0.1)
    assert far["distance_unit"] == "mi" and far["distance"] == pytest.approx(5.5, abs=0.1)
    assert far["travel_minutes"] == 18  # 8.9 km at 30 km/h, rounded up
    assert far["phone"] == "+12175550100" and far["latitude"] == RIVERSIDE[0]
    assert far["wait"]["status"]["state"] == "open"
    assert far["wait"] == client.get(f"/api/v1/sites/{placed.site_id}/wait").json
    assert answer["speed_kmh"] == 30 and "30 km/h" in answer["travel_note"]["en"]
    assert "línea recta" in answer["travel_note"]["es"]


def test_the_soonest_site_counts_travel_plus_the_wait(client, placed):
    open_station(client, placed)
    open_station(client, placed, other=True)
    at_riverside = {"lat": RIVERSIDE[0], "lon": RIVERSIDE[1]}
    assert soonest(nearby(client, **at_riverside))["DRAW"] == "Riverside PSC"  # no line: no travel wins

    walk_ins(client, placed, 25)  # two hours of line at Riverside's one open station
    answer = nearby(client, **at_riverside)
    found = next(f for f in answer["soonest"] if f["service"] == "DRAW")
    assert found["site_name"] == "Hillside PSC" and found["travel_minutes"] == 21
    assert found["seen_p50_minutes"] == pytest.approx(21 + found["wait"]["p50_minutes"], abs=0.11)
    assert found["seen_message"]["en"].startswith("About ") and "más o menos" in found["seen_message"]["es"]
    riverside_wait = answer["sites"][0]["wait"]["services"][0]["estimate"]["p50_minutes"]
    assert riverside_wait > found["seen_p50_minutes"]


def test_a_closed_site_or_one_without_walk_ins_for_the_service_is_never_soonest(client, placed, clock):
    open_station(client, placed)
    open_station(client, placed, other=True)
    at_riverside = {"lat": RIVERSIDE[0], "lon": RIVERSIDE[1]}
    found = soonest(nearby(client, **at_riverside))
    assert found == {
        "DRAW": "Riverside PSC",
        "UDS": "Riverside PSC",
        "PED": "Riverside PSC",
    }  # GTT: booked only
    today = date(2026, 3, 2).isoformat()
    closed = client.post(
        f"/api/v1/sites/{placed.site_id}/closures", json={"day": today}, headers=placed.headers("admin")
    )
    assert closed.status_code in (200, 201), closed.json
    answer = nearby(client, **at_riverside)
    assert soonest(answer) == {"DRAW": "Hillside PSC"}  # Hillside's one station draws blood only
    riverside = next(s for s in answer["sites"] if s["name"] == "Riverside PSC")
    assert riverside["wait"]["status"]["state"] == "closed_today"


def test_a_site_whose_walk_ins_stop_before_you_arrive_is_not_soonest(client, placed, clock):
    open_station(client, placed)
    open_station(client, placed, other=True)
    clock.advance(hours=3, minutes=50)  # 11:50: both sites close for lunch at 12:00
    near_hillside = {
        "lat": HILLSIDE[0] - 0.005,
        "lon": HILLSIDE[1],
    }  # 1 minute from Hillside, 19 from Riverside
    assert soonest(nearby(client, **near_hillside)) == {"DRAW": "Hillside PSC"}


def test_a_site_without_a_position_is_listed_but_not_ranked(client, site, make_uow):
    sites.update_site(make_uow(), site_id=site.site_id, latitude=RIVERSIDE[0], longitude=RIVERSIDE[1])
    open_station(client, site)
    open_station(client, site, other=True)  # Hillside: no line, but no position
    walk_ins(client, site, 25)
    answer = nearby(client, lat=RIVERSIDE[0], lon=RIVERSIDE[1])
    assert [(s["name"], s["distance_km"], s["travel_minutes"]) for s in answer["sites"]] == [
        ("Riverside PSC", 0.0, 0),
        ("Hillside PSC", None, None),
    ]
    hillside_draw = answer["sites"][1]["wait"]["services"][0]["estimate"]["p50_minutes"]
    riverside_draw = answer["sites"][0]["wait"]["services"][0]["estimate"]["p50_minutes"]
    assert hillside_draw < riverside_draw
    assert soonest(answer)["DRAW"] == "Riverside PSC"  # the only site that can be ranked


def test_typed_places_are_read_without_any_outside_geocoder(client, placed):
    zip_code = nearby(client, near="62701")
    assert zip_code["place"]["kind"] == "zip" and zip_code["place"]["label"] == "62701 (Springfield, IL)"
    assert zip_code["place"]["latitude"] == pytest.approx(39.80, abs=0.01)
    assert zip_code["sites"][0]["name"] == "Riverside PSC"

    city = nearby(client, near="springfield il")
    assert city["place"]["kind"] == "city" and city["place"]["label"] == "Springfield, IL"
    assert city["place"]["latitude"] == pytest.approx(39.8, abs=0.2)

    typed = nearby(client, near="39.889, -89.644")
    assert typed["place"]["kind"] == "coordinates" and typed["sites"][0]["name"] == "Hillside PSC"

    by_name = nearby(client, near="hillside")
    assert by_name["place"] == {
        "latitude": HILLSIDE[0],
        "longitude": HILLSIDE[1],
        "kind": "site",
        "label": "Hillside PSC",
    }


@pytest.mark.parametrize("typed", ["Atlantis", "00000", "Springfield, ZZ", "91, 10"])
def test_an_unknown_place_is_refused_in_plain_words(client, placed, typed):
    answer = client.get("/api/v1/nearby", query_string={"near": typed})
    assert answer.status_code == 422
    assert "near" in answer.json["errors"]["query"]


def test_half_a_position_is_refused(client, placed):
    assert client.get("/api/v1/nearby?lat=39.8").status_code == 422
    assert client.get("/api/v1/nearby?lat=39.8&lon=-89.6&near=62701").status_code == 422
    assert client.get("/api/v1/nearby?lat=nan&lon=-89.6").status_code == 422


def test_sites_too_far_away_are_not_listed(client, placed):
    answer = nearby(client, near="10001")  # New York
    assert answer["sites"] == [] and answer["soonest"] == []


def test_without_a_place_every_site_is_listed_by_name(client, placed):
    answer = nearby(client)
    assert answer["place"] is None and answer["soonest"] == []
    assert [s["name"] for s in answer["sites"]] == ["Hillside PSC", "Riverside PSC"]
    assert all(s["distance_km"] is None for s in answer["sites"])


def test_travel_is_counted_at_the_configured_speed(app, client, placed):
    app.config["TRAVEL_KMH"] = 60
    answer = nearby(client, lat=RIVERSIDE[0], lon=RIVERSIDE[1])
    assert answer["sites"][1]["travel_minutes"] == 11 and "60 km/h" in answer["travel_note"]["en"]


def test_an_unchanged_answer_is_not_sent_again(client, placed):
    first = client.get("/api/v1/nearby?near=62701")
    again = client.get("/api/v1/nearby?near=62701", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert first.headers["Cache-Control"] == "public, max-age=2"
