"""The first joins at a new site, all at once: each stores or reuses the site's one wait model."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from schedq.db.models import EstimatorModelRecord

pytestmark = pytest.mark.usefixtures("backend")


def test_sixteen_parallel_first_joins_at_a_new_site_all_get_tickets(app, site, make_uow):
    joins = 16
    barrier = threading.Barrier(joins)
    statuses: list[int] = []
    lock = threading.Lock()

    def join() -> None:
        client = app.test_client()
        barrier.wait()
        answer = client.post(
            f"/api/v1/sites/{site.site_id}/tickets", json={"service": "DRAW"}, headers=site.headers("display")
        )
        with lock:
            statuses.append(answer.status_code)

    threads = [threading.Thread(target=join) for _ in range(joins)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * joins
    with make_uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(EstimatorModelRecord)) == 1
