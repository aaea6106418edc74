"""Concurrent calls and joins on separate connections, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from schedq.db.uow import UnitOfWork
from schedq.domain.enums import StationState
from schedq.services import sites, tickets
from schedq.services.queue import calling, corrections, stations
from tests.queue.conftest import SECRET, STAFF

pytestmark = pytest.mark.usefixtures("backend")

STATIONS = 8


def _all_at_once(count: int, work):
    """Run `work(i)` in `count` threads released together; return results in order."""
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait(timeout=30)
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_eight_stations_calling_at_once_get_the_first_eight_distinct_tickets(q, clock, database):
    station_ids = list(q.stations.values())
    for n in range(STATIONS - len(station_ids)):
        station_ids.append(
            sites.create_station(
                q.make_uow(), site_id=q.site_id, name=f"Extra {n}", service_codes=["DRAW", "UDS"]
            ).id
        )
    joined = []
    for _ in range(12):
        joined.append(q.walk_in("DRAW"))
        clock.advance(minutes=1)
    q.act(corrections.set_priority, joined[-1].id, priority=True)
    for station_id in station_ids:
        stations.set_station_state(
            q.make_uow(), station_id=station_id, state=StationState.OPEN, actor=STAFF, now=clock()
        )
    expected = [t.id for t in q.queue().tickets[:STATIONS]]

    called = _all_at_once(
        STATIONS,
        lambda i: (
            calling.call_next(UnitOfWork(database), station_id=station_ids[i], actor=STAFF, now=clock()).id
        ),
    )

    assert len(set(called)) == STATIONS
    assert sorted(called) == sorted(expected)
    assert joined[-1].id in called  # the priority ticket jumped the line


def test_ticket_codes_stay_unique_under_concurrent_joins(q, clock, database):
    joins = 20
    views = _all_at_once(
        joins,
        lambda i: tickets.join_walk_in(
            UnitOfWork(database),
            site_id=q.site_id,
            service_code="DRAW",
            actor="kiosk",
            now=clock() + timedelta(seconds=i),
            secret_key=SECRET,
        ),
    )
    assert sorted(v.code for v in views) == [f"A{n:03d}" for n in range(1, joins + 1)]
