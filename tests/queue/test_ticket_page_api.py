"""What the ticket page reads from the API: the server's clock, and when a remote patient should arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schedq.domain.arrival import arrive_by
from tests.conftest import MONDAY_8AM

API = "/api/v1"
AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def remote_join(client, site, arrive_at: str = "2026-03-02T08:30:00-06:00"):
    body = {
        "service": "DRAW",
        "contact": {"name": "Remo Te", "phone": "+1 201 555 0100"},
        "expected_arrival_at": arrive_at,
    }
    answer = client.post(f"{API}/sites/{site.site_id}/remote-tickets", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def status_of(client, ticket):
    answer = client.get(f"{API}/tickets/{ticket['id']}", headers={"X-Patient-Token": ticket["token"]})
    assert answer.status_code == 200, answer.json
    return answer.json


def test_arrive_by_is_the_stated_arrival_when_the_turn_cannot_come_sooner():
    stated = AT + timedelta(minutes=30)
    assert arrive_by(stated, estimate_at=AT, p10_minutes=45.0) == stated


def test_arrive_by_is_the_earliest_turn_when_it_comes_before_the_stated_arrival():
    stated = AT + timedelta(minutes=30)
    assert arrive_by(stated, estimate_at=AT, p10_minutes=12.7) == AT + timedelta(minutes=12)


def test_arrive_by_is_never_before_the_estimates_instant():
    assert arrive_by(AT + timedelta(minutes=30), estimate_at=AT, p10_minutes=-3.0) == AT


def test_arrive_by_without_an_estimate_is_the_stated_arrival():
    stated = AT + timedelta(minutes=30)
    assert arrive_by(stated, estimate_at=None, p10_minutes=None) == stated
    assert arrive_by(stated, estimate_at=AT, p10_minutes=float("inf")) == stated


def test_the_ticket_status_tells_the_servers_time_in_the_sites_zone(client, site, clock):
    ticket = client.post(
        f"{API}/sites/{site.site_id}/tickets", json={"service": "DRAW"}, headers=site.headers("display")
    ).json
    clock.set(MONDAY_8AM + timedelta(minutes=7, seconds=5))
    assert status_of(client, ticket)["as_of"] == "2026-03-02T08:07:05-06:00"


def test_save_my_spot_and_the_ticket_status_give_the_same_arrive_by(client, site):
    client.post(f"{API}/stations/{site.station_ids['Station 1']}/open", headers=site.headers("staff"))
    joined = remote_join(client, site)
    status = status_of(client, joined)
    # Nobody ahead and a station open: the turn could come at once, before the stated 08:30.
    assert joined["arrive_by"] == status["arrive_by"]
    assert "2026-03-02T08:00:00-06:00" <= status["arrive_by"] < "2026-03-02T08:30:00-06:00"
    expected = arrive_by(
        datetime.fromisoformat(status["expected_arrival_at"]),
        estimate_at=datetime.fromisoformat(status["estimate_as_of"]),
        p10_minutes=status["estimate"]["p10_minutes"],
    )
    assert datetime.fromisoformat(status["arrive_by"]) == expected


def test_arrive_by_is_only_for_a_remote_ticket_not_yet_here(client, site):
    joined = remote_join(client, site)
    here = client.post(f"{API}/tickets/{joined['id']}/present", headers={"X-Patient-Token": joined["token"]})
    assert here.json["arrive_by"] is None and status_of(client, joined)["arrive_by"] is None
    walk_in = client.post(
        f"{API}/sites/{site.site_id}/tickets", json={"service": "DRAW"}, headers=site.headers("display")
    ).json
    assert walk_in["arrive_by"] is None


def test_the_status_of_a_done_visit_says_once_it_is_rated(client, site):
    ticket = client.post(
        f"{API}/sites/{site.site_id}/tickets", json={"service": "DRAW"}, headers=site.headers("display")
    ).json
    staff = site.headers("staff")
    client.post(f"{API}/stations/{site.station_ids['Station 1']}/open", headers=staff)
    client.post(f"{API}/stations/{site.station_ids['Station 1']}/call-next", headers=staff)
    client.post(f"{API}/tickets/{ticket['id']}/start", headers=staff)
    client.post(f"{API}/tickets/{ticket['id']}/complete", headers=staff)
    before = client.get(f"{API}/tickets/{ticket['id']}", headers={"X-Patient-Token": ticket["token"]})
    assert before.json["status"] == "done" and before.json["feedback_given"] is False

    rated = client.post(
        f"{API}/tickets/{ticket['id']}/feedback",
        json={"rating": 4, "comment": "Quick and kind."},
        headers={"X-Patient-Token": ticket["token"]},
    )
    assert rated.status_code == 201, rated.json
    # The same instant and site state: the answer held before is no longer current.
    after = client.get(
        f"{API}/tickets/{ticket['id']}",
        headers={"X-Patient-Token": ticket["token"], "If-None-Match": before.headers["ETag"]},
    )
    assert after.status_code == 200 and after.json["feedback_given"] is True
