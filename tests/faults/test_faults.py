"""Faults under load: a worker killed, the database restarted. Nothing stuck, nothing lost, nothing doubled.

Patients join with Idempotency-Keys and staff at every station call, start
and complete, each retrying the same key until they get an answer, as the
pages and a careful client do. Afterwards no reservation is left behind,
every station can call the next patient, every ticket agrees with its
station and its history, each key made at most one ticket, and every
error while the database was away was a 503 with Retry-After.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from schedq.api.idempotency import PENDING

LOAD_SECONDS = 2.0  # of load before the fault and again after it
RETRY_BUDGET_SECONDS = 25.0  # less than the idempotency lease: a key still unanswered by then is stuck
STILL_PROCESSING = 409


@dataclass
class Answer:
    status: int  # 0: the connection failed (a killed worker)
    retry_after: str | None
    body: dict | None


@dataclass
class Load:
    """Patients and staff hammering one site, every write keyed and retried until it is answered."""

    server: object
    stations: list[int]
    answers: list[Answer] = field(default_factory=list)
    joined: list[int] = field(default_factory=list)  # ticket ids answered 201, one per key
    unanswered: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, path: str, body: dict | None, role: str, key: str) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        headers = {
            "Authorization": f"Bearer {self.server.tokens[role]}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        }
        try:
            connection.request(
                "POST",
                f"/api/v1{path}",
                body=json.dumps(body or {}) if body is not None else None,
                headers=headers,
            )
            response = connection.getresponse()
            raw = response.read()
            answer = Answer(
                response.status, response.getheader("Retry-After"), json.loads(raw) if raw else None
            )
        except (OSError, http.client.HTTPException):
            answer = Answer(0, None, None)
        finally:
            connection.close()
        with self.lock:
            self.answers.append(answer)
        return answer

    def keyed(self, path: str, body: dict | None, role: str) -> Answer | None:
        """POST with a fresh key, retried with the same key until answered; None if never."""
        key = uuid.uuid4().hex
        deadline = time.monotonic() + RETRY_BUDGET_SECONDS
        while time.monotonic() < deadline:
            answer = self.send(path, body, role, key)
            if answer.status not in (0, 503) and not (
                answer.status == STILL_PROCESSING and answer.retry_after
            ):
                return answer
            time.sleep(0.1)
        with self.lock:
            self.unanswered.append(f"{path} key {key}")
        return None

    def patient(self) -> None:
        while not self.stop.is_set():
            joined = self.keyed(f"/sites/{self.server.site_id}/tickets", {"service": "DRAW"}, "display")
            if joined is not None and joined.status == 201:
                with self.lock:
                    self.joined.append(joined.body["id"])
            time.sleep(0.05)

    def staff(self, station_id: int) -> None:
        while not self.stop.is_set():
            called = self.keyed(f"/stations/{station_id}/call-next", None, "staff")
            if called is None or called.status != 200:
                if called is not None and called.status != 404:  # 404: nobody waiting for this station
                    with self.lock:
                        self.refusals.append(f"call-next at {station_id}: {called.status} {called.body}")
                time.sleep(0.1)
                continue
            for action in ("start", "complete"):
                done = self.keyed(f"/tickets/{called.body['id']}/{action}", None, "staff")
                if done is not None and done.status != 200:
                    with self.lock:
                        self.refusals.append(
                            f"{action} of ticket {called.body['id']}: {done.status} {done.body}"
                        )

    def run(self, fault) -> None:
        threads = [threading.Thread(target=self.patient) for _ in range(3)]
        threads += [threading.Thread(target=self.staff, args=(station,)) for station in self.stations]
        for thread in threads:
            thread.start()
        try:
            time.sleep(LOAD_SECONDS)
            fault()
            time.sleep(LOAD_SECONDS)
        finally:
            self.stop.set()
            for thread in threads:
                thread.join()


def open_stations(server) -> list[int]:
    _, site = server.api("GET", f"/sites/{server.site_id}")
    stations = [s["id"] for s in site["stations"]]
    for station in stations:
        status, body = server.api("POST", f"/stations/{station}/open", role="staff")
        assert status == 200, body
    return stations


def workers_of(process_id: int) -> list[int]:
    children = Path(f"/proc/{process_id}/task/{process_id}/children").read_text().split()
    return [int(child) for child in children]


def ticket_ids(engine, site_id: int) -> set[int]:
    with engine.connect() as db:
        return set(db.execute(text("SELECT id FROM tickets WHERE site_id = :s"), {"s": site_id}).scalars())


def assert_nothing_stuck_lost_or_doubled(load: Load, engine, server, before: set[int]) -> None:
    assert load.unanswered == [], "keys never answered"
    assert load.refusals == [], "a station or ticket refused what its state allows"
    assert [a.status for a in load.answers if a.status >= 500 and a.status != 503] == []
    assert all(a.retry_after for a in load.answers if a.status == 503)
    with engine.connect() as db:
        pending = db.execute(
            text("SELECT count(*) FROM idempotency_records WHERE status_code = :p"), {"p": PENDING}
        ).scalar()
        assert pending == 0, "a reservation was left behind"
        tickets = db.execute(
            text("SELECT id, status, station_id FROM tickets WHERE site_id = :s"), {"s": server.site_id}
        ).all()
        last_event = dict(
            db.execute(
                text(
                    "SELECT DISTINCT ON (ticket_id) ticket_id, to_status FROM visit_events WHERE ticket_id IS NOT NULL AND to_status IS NOT NULL ORDER BY ticket_id, id DESC"
                )
            ).all()
        )
        joins = dict(
            db.execute(
                text("SELECT ticket_id, count(*) FROM visit_events WHERE action = 'join' GROUP BY ticket_id")
            ).all()
        )
    made = {ticket.id for ticket in tickets} - before
    assert len(load.joined) == len(set(load.joined)), "two keys were answered with one ticket"
    assert made == set(load.joined), "a ticket answered 201 is missing, or a retry made a second"
    for ticket in tickets:
        if ticket.status in ("called", "in_service", "done"):
            assert ticket.station_id is not None, f"ticket {ticket.id} is {ticket.status} at no station"
        if ticket.status == "waiting":
            assert ticket.station_id is None, (
                f"ticket {ticket.id} waits, yet is held at station {ticket.station_id}"
            )
        assert last_event.get(ticket.id) == ticket.status, (
            f"ticket {ticket.id} is {ticket.status}, its history says {last_event.get(ticket.id)}"
        )
        assert joins.get(ticket.id, 0) <= 1
    busy = [t.station_id for t in tickets if t.status in ("called", "in_service")]
    assert len(busy) == len(set(busy)), "two patients at one station"
    for station in load.stations:
        server.walk_in()
        status, body = server.api("POST", f"/stations/{station}/call-next", role="staff")
        assert status == 200, f"station {station} cannot call: {status} {body}"
        for action in ("start", "complete"):
            assert server.api("POST", f"/tickets/{body['id']}/{action}", role="staff")[0] == 200


def test_a_worker_killed_under_load_leaves_nothing_stuck(served, engine):
    load = Load(served, open_stations(served))
    before = ticket_ids(engine, served.site_id)

    def kill_a_worker() -> None:
        os.kill(workers_of(served.process.pid)[0], signal.SIGKILL)

    load.run(kill_a_worker)
    assert load.joined, "the load made no tickets"
    assert any(a.status == 0 for a in load.answers), "the kill dropped no request: it tested nothing"
    assert_nothing_stuck_lost_or_doubled(load, engine, served, before)


def test_a_database_restart_under_load_answers_503_and_leaves_nothing_stuck(served, engine, cluster):
    load = Load(served, open_stations(served))
    before = ticket_ids(engine, served.site_id)

    def restart_the_database() -> None:
        cluster.stop("fast")
        time.sleep(1.0)
        cluster.start()

    load.run(restart_the_database)
    assert any(a.status == 503 for a in load.answers), "no request met the outage: it tested nothing"
    assert_nothing_stuck_lost_or_doubled(load, engine, served, before)
