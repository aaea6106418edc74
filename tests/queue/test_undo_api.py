"""Undo: staff take back a no-show or a cancel within 10 seconds, through the API."""

from __future__ import annotations

from tests.queue.test_queue_api import API, call_next, kiosk_join, open_station, post


def events_of(client, site, ticket_id):
    return client.get(f"{API}/tickets/{ticket_id}/events", headers=site.headers("staff")).json


def test_undone_cancel_is_back_in_its_old_place(client, site, clock):
    first = kiosk_join(client, site).json
    kiosk_join(client, site)
    post(client, site, f"/tickets/{first['id']}/cancel", json={"reason": "wrong patient"})
    clock.advance(seconds=9)
    answer = post(client, site, f"/tickets/{first['id']}/undo")
    assert answer.status_code == 200
    assert answer.json["status"] == "waiting" and answer.json["position"] == 1
    assert answer.json["end_reason"] is None


def test_undo_is_an_event_naming_what_it_undid(client, site):
    ticket = kiosk_join(client, site).json
    post(client, site, f"/tickets/{ticket['id']}/cancel", json={"reason": "slip"})
    post(client, site, f"/tickets/{ticket['id']}/undo")
    last = events_of(client, site, ticket["id"])[-1]
    assert (last["action"], last["from_status"], last["to_status"]) == ("undo", "cancelled", "waiting")
    assert last["detail"]["undid"] == "cancel" and last["actor"].startswith("staff")


def test_undone_no_show_is_called_again_at_its_free_station(client, site):
    ticket = kiosk_join(client, site).json
    open_station(client, site)
    call_next(client, site)
    post(client, site, f"/tickets/{ticket['id']}/no-show")
    answer = post(client, site, f"/tickets/{ticket['id']}/undo")
    assert answer.json["status"] == "called" and answer.json["station"] == "Station 1"
    assert answer.json["call_count"] == 1


def test_undone_no_show_waits_in_its_place_when_its_station_called_someone_else(client, site):
    ticket = kiosk_join(client, site).json
    later = kiosk_join(client, site).json
    kiosk_join(client, site)
    open_station(client, site)
    call_next(client, site)
    post(client, site, f"/tickets/{ticket['id']}/no-show")
    assert call_next(client, site).json["id"] == later["id"]
    answer = post(client, site, f"/tickets/{ticket['id']}/undo")
    assert answer.json["status"] == "waiting" and answer.json["station"] is None
    assert answer.json["position"] == 1


def test_undo_after_10_seconds_is_409(client, site, clock):
    ticket = kiosk_join(client, site).json
    post(client, site, f"/tickets/{ticket['id']}/cancel", json={"reason": "slip"})
    clock.advance(seconds=11)
    answer = post(client, site, f"/tickets/{ticket['id']}/undo")
    assert answer.status_code == 409 and "10 seconds" in answer.json["message"]
    assert client.get(f"{API}/tickets/{ticket['id']}", headers=site.headers("staff")).json["status"] == (
        "cancelled"
    )


def test_undo_with_nothing_to_undo_is_409(client, site):
    ticket = kiosk_join(client, site).json
    answer = post(client, site, f"/tickets/{ticket['id']}/undo")
    assert answer.status_code == 409 and answer.json["allowed_actions"] == [
        "call",
        "cancel",
        "leave",
        "set_priority",
        "mark_present",
    ]


def test_a_no_show_the_clock_made_cannot_be_undone(client, site, clock):
    ticket = kiosk_join(client, site).json
    open_station(client, site)
    call_next(client, site)
    clock.advance(minutes=60)  # far past the site's no-show minutes
    assert client.get(f"{API}/tickets/{ticket['id']}", headers=site.headers("staff")).json["status"] == (
        "no_show"
    )
    answer = post(client, site, f"/tickets/{ticket['id']}/undo")
    assert answer.status_code == 409 and "no staff no-show or cancel" in answer.json["message"]


def test_undo_needs_a_staff_token_of_the_site(client, site):
    ticket = kiosk_join(client, site).json
    post(client, site, f"/tickets/{ticket['id']}/cancel", json={"reason": "slip"})
    assert post(client, site, f"/tickets/{ticket['id']}/undo", role="display").status_code == 403
    assert post(client, site, f"/tickets/{ticket['id']}/undo", role="other_staff").status_code == 403
