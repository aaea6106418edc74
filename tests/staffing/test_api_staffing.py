"""The staffing and what-if endpoints: the contract the manager's pages call."""

from __future__ import annotations

LUNCH = ("12:00", "12:30")


def staffing(client, site, role="staff", **query):
    return client.get(
        f"/api/v1/sites/{site.site_id}/staffing",
        query_string={"weekday": 1, **query},
        headers=site.headers(role),
    )


def what_if(client, site, role="staff", **query):
    return client.get(
        f"/api/v1/sites/{site.site_id}/what-if",
        query_string={"weekday": 0, **query},
        headers=site.headers(role),
    )


def test_staffing_answers_every_half_hour_of_the_day_beside_the_current_plan(client, fitted_site):
    answer = staffing(client, fitted_site)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["site_id"], body["weekday"], body["simulated_days"]) == (fitted_site.site_id, 1, 60)
    assert body["target"] == {"sla_minutes": 20, "sla_percent": 90, "days_percent": 95}
    assert (body["thin_history"], body["history_days"]) == (False, 40)
    rows = body["half_hours"]
    assert [rows[0]["starts"], rows[0]["ends"], rows[-1]["starts"]] == ["07:00", "07:30", "16:30"]
    for row in rows:
        if row["starts"] in LUNCH:  # closed for lunch: no station, no walk-in
            assert (row["current_stations"], row["recommended_stations"], row["walk_ins"]) == (0, 0, 0.0)
        else:
            assert row["current_stations"] == 3 and row["recommended_stations"] >= 1
    assert rows[2]["walk_ins"] == 10.0  # 20 an hour
    assert body["current"]["station_hours"] == 27.0
    assert body["recommended"]["days_meeting_target"] >= 0.95


def test_a_stricter_target_needs_at_least_as_many_station_hours(client, fitted_site):
    loose = staffing(client, fitted_site, sla_minutes=30, sla_percent=80).json
    strict = staffing(client, fitted_site, sla_minutes=5, sla_percent=90).json
    assert strict["target"]["sla_minutes"] == 5
    assert strict["recommended"]["station_hours"] > loose["recommended"]["station_hours"]


def test_adopting_the_recommendation_makes_it_the_current_plan(client, fitted_site):
    body = staffing(client, fitted_site).json
    put = client.put(
        f"/api/v1/sites/{fitted_site.site_id}/capacity-plan",
        json=body["capacity_plan"],
        headers=fitted_site.headers("admin"),
    )
    assert put.status_code == 200, put.json
    again = staffing(client, fitted_site).json
    assert [h["current_stations"] for h in again["half_hours"]] == [
        h["recommended_stations"] for h in body["half_hours"]
    ]
    assert again["current"] == body["recommended"] == again["recommended"]
    assert [b for b in put.json["blocks"] if b["weekday"] != 1] == [
        {"weekday": d, "starts": "07:00", "ends": "17:00", "stations": 3, "seats_per_slot": 2}
        for d in (0, 2, 3, 4)
    ]
    assert all(b["seats_per_slot"] == 2 for b in put.json["blocks"])


def test_a_closed_weekday_answers_no_half_hours(client, fitted_site):
    body = staffing(client, fitted_site, weekday=6).json
    assert body["half_hours"] == [] and body["current"]["station_hours"] == 0.0
    assert body["capacity_plan"]["blocks"][0]["weekday"] == 0


def test_staffing_refuses_a_bad_weekday_or_target_and_strangers(client, fitted_site):
    assert staffing(client, fitted_site, weekday=7).status_code == 422
    assert staffing(client, fitted_site, sla_percent=0).status_code == 422
    assert staffing(client, fitted_site, days_percent=101).status_code == 422
    assert staffing(client, fitted_site, role="other_staff").status_code == 403
    assert staffing(client, fitted_site, role="display").status_code == 403
    assert client.get(f"/api/v1/sites/{fitted_site.site_id}/staffing?weekday=1").status_code == 401
    admin = fitted_site.headers("admin")
    assert client.get("/api/v1/sites/999/staffing?weekday=1", headers=admin).status_code == 404


def test_an_earlier_walk_in_cut_off_turns_walk_ins_away(client, fitted_site):
    answer = what_if(client, fitted_site, walk_in_cutoff="15:00")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["changes"] == {"walk_in_cutoff": "15:00", "missing_stations": 0}
    assert body["baseline"]["walk_ins_turned_away"] == 0.0
    assert body["what_if"]["walk_ins_turned_away"] > 0
    assert body["what_if"]["walk_ins"] < body["baseline"]["walk_ins"]
    late = next(h for h in body["half_hours"] if h["starts"] == "15:30")
    assert late["what_if"]["walk_ins"] == 0.0 and late["baseline"]["walk_ins"] == 10.0


def test_a_missing_station_lengthens_waits(client, fitted_site):
    body = what_if(client, fitted_site, missing_stations=1).json
    assert body["changes"] == {"walk_in_cutoff": None, "missing_stations": 1}
    first = body["half_hours"][0]
    assert (first["baseline"]["stations"], first["what_if"]["stations"]) == (3, 2)
    assert body["what_if"]["wait_p90_minutes"] > body["baseline"]["wait_p90_minutes"]
    assert body["what_if"]["within_target"] < body["baseline"]["within_target"]


def test_what_if_needs_a_change(client, fitted_site):
    assert what_if(client, fitted_site).status_code == 422
    assert what_if(client, fitted_site, missing_stations=0).status_code == 422
    assert what_if(client, fitted_site, walk_in_cutoff="25:00").status_code == 422
