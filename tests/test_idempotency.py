"""Every write a client may retry answers once per Idempotency-Key."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from schedq.api import idempotency
from schedq.db.models import IdempotencyRecord


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
    assert (
        client.post(f"/api/v1/stations/{station}/call-next", headers=headers).status_code == 409
    )  # station closed
    client.post(f"/api/v1/stations/{station}/open", headers=site.headers("staff"))
    kiosk_join(client, site)
    assert client.post(f"/api/v1/stations/{station}/call-next", headers=headers).status_code == 200


def test_keys_are_scoped_to_the_caller(client, site):
    kiosk_join(client, site, key="shared")
    staff = client.post(
        f"/api/v1/sites/{site.site_id}/tickets",
        json={"service": "DRAW"},
        headers={**site.headers("staff"), "Idempotency-Key": "shared"},
    )
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
    assert results == [(201, "A001")] * 5  # retries wait for the first attempt and get its answer
    assert staff_queue(app.test_client(), site)["waiting"] == 1


def remote_join(client, site, key, address):
    body = {
        "service": "DRAW",
        "contact": {"name": "Ann Example", "phone": "+1 201 555 0100"},
        "expected_arrival_at": "2026-03-02T08:30:00-06:00",
    }
    return client.post(
        f"/api/v1/sites/{site.site_id}/remote-tickets",
        json=body,
        headers={"Idempotency-Key": key},
        environ_base={"REMOTE_ADDR": address},
    )


def stored_records(make_uow) -> list[IdempotencyRecord]:
    with make_uow(write=False) as uow:
        return list(uow.session.scalars(select(IdempotencyRecord)))


def test_another_client_sending_the_same_key_and_body_gets_a_ticket_of_its_own(client, site):
    first = remote_join(client, site, "save-1", "10.0.0.1")
    other = remote_join(client, site, "save-1", "10.0.0.2")
    assert first.status_code == other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers
    assert (other.json["id"], other.json["token"]) != (first.json["id"], first.json["token"])


def test_the_same_client_retrying_a_remote_join_gets_its_ticket_and_token_again(client, site):
    first = remote_join(client, site, "save-2", "10.0.0.1")
    again = remote_join(client, site, "save-2", "10.0.0.1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (again.json["id"], again.json["token"]) == (first.json["id"], first.json["token"])


def test_stored_answers_keep_no_patient_token(client, site, make_uow):
    token = kiosk_join(client, site, key="kiosk-3").json["token"]
    [record] = stored_records(make_uow)
    assert record.status_code == 201 and token not in json.dumps(record.response)


def reserve_alone(app, site, make_uow, *, age: timedelta, clock) -> None:
    """A reservation committed on its own, as an older release left behind when a worker died."""
    headers = {**site.headers("display"), "Idempotency-Key": "orphan"}
    with app.test_request_context(
        f"/api/v1/sites/{site.site_id}/tickets", method="POST", headers=headers, json={"service": "DRAW"}
    ):
        scope, fingerprint = idempotency.request_scope(), idempotency.request_fingerprint()
    with make_uow() as uow:
        uow.session.add(
            IdempotencyRecord(
                scope=scope,
                key="orphan",
                fingerprint=fingerprint,
                status_code=idempotency.PENDING,
                response={},
                created_at=clock() - age,
            )
        )
        uow.commit()


def test_a_reservation_left_past_its_lease_is_taken_over_by_the_retry(app, client, site, make_uow, clock):
    reserve_alone(app, site, make_uow, age=idempotency.LEASE + timedelta(seconds=1), clock=clock)
    answer = kiosk_join(client, site, key="orphan")
    assert answer.status_code == 201 and "Idempotent-Replayed" not in answer.headers
    assert [r.status_code for r in stored_records(make_uow)] == [201]


def test_a_reservation_within_its_lease_asks_the_retry_to_come_back(app, client, site, make_uow, clock):
    reserve_alone(app, site, make_uow, age=timedelta(seconds=5), clock=clock)
    answer = kiosk_join(client, site, key="orphan")
    assert answer.status_code == 409 and answer.headers["Retry-After"].isdigit()
    assert staff_queue(client, site)["waiting"] == 0
