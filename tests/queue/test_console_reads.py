"""What the staff console reads from the queue: whom each station could call now, and the server's clock."""

from __future__ import annotations

from datetime import datetime

from tests.queue.test_queue_api import API, kiosk_join, open_station, remote_join


def queue(client, site):
    return client.get(f"{API}/sites/{site.site_id}/queue", headers=site.headers("staff")).json


def callable_now(client, site):
    return {s["name"]: s["callable_now"] for s in queue(client, site)["stations"]}


def test_callable_now_is_zero_with_an_empty_line(client, site):
    assert callable_now(client, site) == {"Station 1": 0, "Station 2": 0, "Station 3": 0}


def test_callable_now_counts_only_patients_here_for_a_service_the_station_does(client, site):
    kiosk_join(client, site, service="UDS")
    kiosk_join(client, site, service="DRAW")
    remote_join(client, site)  # not here yet: passed over by Call next
    assert callable_now(client, site) == {"Station 1": 1, "Station 2": 1, "Station 3": 2}


def test_a_called_patient_is_no_longer_callable(client, site):
    kiosk_join(client, site, service="DRAW")
    open_station(client, site)
    client.post(f"{API}/stations/{site.station_ids['Station 1']}/call-next", headers=site.headers("staff"))
    assert callable_now(client, site)["Station 2"] == 0


def test_the_queue_read_carries_the_servers_clock(client, site, clock):
    clock.advance(minutes=7, seconds=3)
    assert datetime.fromisoformat(queue(client, site)["as_of"]) == clock()
