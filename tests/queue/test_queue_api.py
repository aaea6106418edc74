"""The queue through the HTTP API, as kiosks, patients, staff consoles and lobby screens use it."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import MONDAY_8AM

API = "/api/v1"


def kiosk_join(client, site, service="DRAW", role="display"):
    return client.post(
        f"{API}/sites/{site.site_id}/tickets", json={"service": service}, headers=site.headers(role)
    )


def remote_join(client, site, phone="+1 201 555 0100", name="Remo Te"):
    body = {
        "service": "DRAW",
        "contact": {"name": name, "phone": phone},
        "expected_arrival_at": "2026-03-02T08:30:00-06:00",
    }
    return client.post(f"{API}/sites/{site.site_id}/remote-tickets", json=body)


def post(client, site, path, role="staff", json=None):
    return client.post(f"{API}{path}", json=json, headers=site.headers(role))


def open_station(client, site, name="Station 1"):
    return post(client, site, f"/stations/{site.station_ids[name]}/open")


def call_next(client, site, name="Station 1"):
    return post(client, site, f"/stations/{site.station_ids[name]}/call-next")


def test_kiosk_join_answers_with_code_and_token_once(client, site):
    answer = kiosk_join(client, site)
    assert answer.status_code == 201
    assert answer.json["code"] == "A001" and answer.json["token"]
    assert answer.json["position"] == 1 and answer.json["estimate"]["message"]["en"]
    status = client.get(
        f"{API}/tickets/{answer.json['id']}", headers={"X-Patient-Token": answer.json["token"]}
    )
    assert status.status_code == 200 and "token" not in status.json


def test_patient_sees_the_station_once_called(client, site):
    ticket = kiosk_join(client, site).json
    open_station(client, site)
    call_next(client, site)
    status = client.get(f"{API}/tickets/{ticket['id']}?token={ticket['token']}").json
    assert status["status"] == "called" and status["station"] == "Station 1" and status["position"] is None


def test_disallowed_action_is_409_naming_allowed_actions(client, site):
    ticket = kiosk_join(client, site).json
    answer = post(client, site, f"/tickets/{ticket['id']}/complete")
    assert answer.status_code == 409
    assert answer.json["allowed_actions"] == ["call", "cancel", "leave", "set_priority", "mark_present"]


def test_call_next_with_nobody_waiting_is_404_in_words(client, site):
    open_station(client, site)
    answer = call_next(client, site)
    assert answer.status_code == 404 and "nobody waiting" in answer.json["message"]


def test_staff_run_a_visit_from_call_to_complete(client, site):
    ticket = kiosk_join(client, site).json
    open_station(client, site)
    assert call_next(client, site).json["id"] == ticket["id"]
    assert post(client, site, f"/tickets/{ticket['id']}/recall").json["call_count"] == 2
    assert post(client, site, f"/tickets/{ticket['id']}/start").json["status"] == "in_service"
    done = post(client, site, f"/tickets/{ticket['id']}/complete").json
    assert done["status"] == "done" and done["allowed_actions"] == []
    events = client.get(f"{API}/tickets/{ticket['id']}/events", headers=site.headers("staff")).json
    assert [e["action"] for e in events] == ["join", "call", "recall", "start", "complete"]
    assert {e["actor"] for e in events} == {"display:display [1]", "staff:staff [1]"}


def test_staff_call_a_given_ticket(client, site):
    kiosk_join(client, site)
    second = kiosk_join(client, site).json
    open_station(client, site)
    answer = post(
        client, site, f"/tickets/{second['id']}/call", json={"station_id": site.station_ids["Station 1"]}
    )
    assert answer.status_code == 200 and answer.json["station"] == "Station 1"


def test_remote_patient_says_im_here(client, site):
    ticket = remote_join(client, site).json
    assert ticket["code"] == "R001" and ticket["present"] is False
    here = client.post(f"{API}/tickets/{ticket['id']}/present", headers={"X-Patient-Token": ticket["token"]})
    assert here.status_code == 200 and here.json["present"] is True


def test_remote_joins_beyond_the_limit_get_429(client, site):
    assert remote_join(client, site).status_code == 201
    assert remote_join(client, site).status_code == 201
    answer = remote_join(client, site)
    assert answer.status_code == 429 and "remote joins" in answer.json["message"]


def test_remote_join_needs_a_way_to_reach_the_patient(client, site):
    body = {
        "service": "DRAW",
        "contact": {"name": "No Contact"},
        "expected_arrival_at": "2026-03-02T08:30:00-06:00",
    }
    answer = client.post(f"{API}/sites/{site.site_id}/remote-tickets", json=body)
    assert answer.status_code == 422 and "phone" in answer.json["errors"]["json"]["contact"]


def test_join_after_the_cutoff_is_409_in_plain_words(client, site, clock):
    clock.set(MONDAY_8AM + timedelta(hours=8, minutes=45))
    answer = kiosk_join(client, site)
    assert answer.status_code == 409 and answer.json["message"].startswith(
        "No more walk-ins today: the line closed to new patients at 16:30"
    )


def test_kiosk_and_self_check_in_of_an_appointment(client, site, clock):
    body = {
        "service": "DRAW",
        "starts_at": "2026-03-02T09:00:00-06:00",
        "contact": {"name": "Ann", "phone": "+1 201 555 0100"},
    }
    booked = client.post(f"{API}/sites/{site.site_id}/appointments", json=body).json
    clock.advance(minutes=50)
    answer = client.post(
        f"{API}/appointments/{booked['reference']}/check-in",
        headers={"X-Patient-Token": booked["manage_token"]},
    )
    assert (
        answer.status_code == 201 and answer.json["code"] == "B001" and answer.json["kind"] == "appointment"
    )
    again = post(
        client,
        site,
        f"/sites/{site.site_id}/check-ins",
        role="display",
        json={"reference": booked["reference"]},
    )
    assert again.json["id"] == answer.json["id"]
    mine = client.get(
        f"{API}/appointments/{booked['reference']}", headers={"X-Patient-Token": booked["manage_token"]}
    )
    assert mine.json["status"] == "checked_in"


def test_display_feed_has_etag_and_304_until_a_call(client, site):
    ticket = kiosk_join(client, site).json
    url = f"{API}/sites/{site.site_id}/display"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    assert (
        first.json["waiting"] == 1
        and first.json["now_called"] == []
        and first.json["estimate"]["service"] == "DRAW"
    )
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    open_station(client, site)
    call_next(client, site)
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert (
        changed.json["now_called"][0]["code"] == ticket["code"]
        and changed.json["now_called"][0]["station"] == "Station 1"
    )
    assert changed.json["recent_calls"][0]["code"] == ticket["code"]
    assert changed.json["stations_open"] == ["Station 1"]


def test_feedback_once_after_the_visit(client, site):
    ticket = kiosk_join(client, site).json
    url = f"{API}/tickets/{ticket['id']}/feedback"
    token = {"X-Patient-Token": ticket["token"]}
    assert client.post(url, json={"rating": 5}, headers=token).status_code == 409
    open_station(client, site)
    call_next(client, site)
    post(client, site, f"/tickets/{ticket['id']}/start")
    post(client, site, f"/tickets/{ticket['id']}/complete")
    assert client.post(url, json={"rating": 6}, headers=token).status_code == 422
    assert (
        client.post(url, json={"rating": 4, "comment": "Quick and kind."}, headers=token).status_code == 201
    )
    assert client.post(url, json={"rating": 1}, headers=token).status_code == 409
    listed = client.get(f"{API}/sites/{site.site_id}/feedback", headers=site.headers("staff")).json
    assert [(f["rating"], f["comment"], f["ticket_code"]) for f in listed] == [(4, "Quick and kind.", "A001")]


def test_patient_leaves_and_leaving_again_changes_nothing(client, site):
    ticket = kiosk_join(client, site).json
    url = f"{API}/tickets/{ticket['id']}/leave"
    assert client.post(url, headers={"X-Patient-Token": ticket["token"]}).json["status"] == "left"
    assert client.post(url, headers={"X-Patient-Token": ticket["token"]}).status_code == 200


def test_staff_queue_lists_positions_and_contacts(client, site):
    remote_join(client, site, name="Remo Te")
    kiosk_join(client, site)
    queue = client.get(f"{API}/sites/{site.site_id}/queue", headers=site.headers("staff")).json
    assert [(t["code"], t["position"]) for t in queue["tickets"]] == [("R001", 1), ("A001", 2)]
    assert queue["tickets"][0]["contact_name"] == "Remo Te"
    assert [s["state"] for s in queue["stations"]] == ["closed", "closed", "closed"]


def test_close_day_closes_out_and_stops_joins(client, site):
    kiosk_join(client, site)
    answer = post(client, site, f"/sites/{site.site_id}/close-day", json={"reason": "snow storm"})
    assert answer.status_code == 200
    assert [(t["code"], t["status"], t["end_reason"]) for t in answer.json["closed_out"]] == [
        ("A001", "cancelled", "snow storm")
    ]
    assert kiosk_join(client, site).status_code == 409
    day = client.get(f"{API}/sites/{site.site_id}/events?date=2026-03-02", headers=site.headers("staff")).json
    assert [e["action"] for e in day] == ["join", "close_out", "close_day"]


def test_cli_sweep_marks_overdue_calls(client, site, runner, clock):
    kiosk_join(client, site)
    open_station(client, site)
    call_next(client, site)
    clock.advance(minutes=11)
    result = runner.invoke(args=["queue", "sweep"])
    assert result.exit_code == 0 and "1 no-show(s)" in result.output
