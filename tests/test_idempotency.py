"""Every write a client may retry answers once per Idempotency-Key."""

from __future__ import annotations

import threading

import pytest


def kiosk_join(client, site, key=None, service="DRAW"):
    headers = dict(site.headers("display"))
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"/api/v1/sites/{site.site_id}/tickets", json={"service": service}, headers=headers)


def staff_queue(client, site):
    return client.get(f"/api/v1/sites/{site.site_id}/queue", headers=site.headers("staff")).json


def test_retried_kiosk_join_returns_the_same_ticket_and_makes_no_second(client, site):
    first = kiosk_join(client, site, key="kiosk-1")
    again = kiosk_join(client, site, key="kiosk-1")
    assert first.status_code == again.status_code == 201
    assert again.json["code"] == first.json["code"] and again.json["token"] == first.json["token"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert staff_queue(client, site)["waiting"] == 1


def test_without_a_key_each_join_is_a_new_ticket(client, site):
    assert kiosk_join(client, site).json["code"] != kiosk_join(client, site).json["code"]


def test_same_key_with_another_body_is_refused(client, site):
    kiosk_join(client, site, key="kiosk-2")
    answer = kiosk_join(client, site, key="kiosk-2", service="UDS")
    assert answer.status_code == 422 and "Idempotency-Key" in answer.json["errors"]["headers"]


def test_retried_call_next_returns_the_same_call(client, site):
    kiosk_join(client, site)
    kiosk_join(client, site)
    station = site.station_ids["Station 1"]
    client.post(f"/api/v1/stations/{station}/open", headers=site.headers("staff"))
    headers = {**site.headers("staff"), "Idempotency-Key": "call-1"}
    first = client.post(f"/api/v1/stations/{station}/call-next", headers=headers)
    again = client.post(f"/api/v1/stations/{station}/call-next", headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json["code"] == again.json["code"]
    assert staff_queue(client, site)["waiting"] == 1


def test_a_failed_first_attempt_frees_its_key(client, site):
    station = site.station_ids["Station 1"]
    headers = {**site.headers("staff"), "Idempotency-Key": "call-2"}
    assert client.post(f"/api/v1/stations/{station}/call-next", headers=headers).status_code == 409  # station closed
    client.post(f"/api/v1/stations/{station}/open", headers=site.headers("staff"))
    kiosk_join(client, site)
    assert client.post(f"/api/v1/stations/{station}/call-next", headers=headers).status_code == 200


def test_keys_are_scoped_to_the_caller(client, site):
    kiosk_join(client, site, key="shared")
    staff = client.post(f"/api/v1/sites/{site.site_id}/tickets", json={"service": "DRAW"}, headers={**site.headers("staff"), "Idempotency-Key": "shared"})
    assert staff.status_code == 201 and "Idempotent-Replayed" not in staff.headers
    assert staff_queue(client, site)["waiting"] == 2


@pytest.mark.usefixtures("backend")
def test_concurrent_retries_of_a_join_make_one_ticket(app, site):
    results: list[tuple[int, str | None]] = []
    barrier = threading.Barrier(5)

    def attempt() -> None:
        client = app.test_client()
        barrier.wait()
        answer = kiosk_join(client, site, key="burst")
        results.append((answer.status_code, (answer.json or {}).get("code")))

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {code for status, code in results if status == 201} == {"A001"}
    assert all(status in (201, 409) for status, _ in results)
    assert staff_queue(app.test_client(), site)["waiting"] == 1
