from datetime import UTC, datetime

import pytest

from schedq import estimator
from schedq.simulation.ciw_adapter import CiwSite, simulate_day, snapshot_at_arrival, visit_records

SITE = CiwSite(
    "test",
    servers=2,
    open_minutes=120.0,
    rate_endpoints=(60.0, 120.0),
    rates_per_hour=(24.0, 18.0),
    mean_service_minutes=6.0,
    service_cv=0.4,
)
OPENS = datetime(2026, 1, 5, 8, tzinfo=UTC)


def test_waits_match_ciw_records():
    visits = simulate_day(SITE, seed=3)

    assert len(visits) > 20
    for visit in visits:
        assert visit.waiting_time == pytest.approx(visit.service_start - visit.arrival)
        assert visit.waiting_time >= 0


def test_same_seed_same_day():
    assert simulate_day(SITE, seed=5) == simulate_day(SITE, seed=5)


def test_snapshot_is_ciws_state_at_the_arrival():
    visits = simulate_day(SITE, seed=3)

    for index, visit in enumerate(visits):
        snapshot = snapshot_at_arrival(SITE, visits, index, opens_at=OPENS)
        busy = [s for s in snapshot.stations if s.busy_with is not None]
        ahead = [t for t in snapshot.waiting if t.ticket_id != visit.customer_id]
        in_service = [
            v for v in visits if v.service_start <= visit.arrival < v.service_end and v is not visit
        ]
        assert len(busy) == len(in_service)
        # First come, first served: waiting for a station means every station is busy.
        assert not ahead or len(busy) == SITE.servers
        if visit.waiting_time > 0:
            assert len(busy) == SITE.servers
        assert visit.customer_id in {t.ticket_id for t in snapshot.waiting}


def test_an_arrival_at_a_free_station_is_promised_no_wait():
    visits = simulate_day(SITE, seed=3)
    index = 0  # the first patient of the day finds both stations free

    result = estimator.estimate(
        snapshot_at_arrival(SITE, visits, index, opens_at=OPENS), SITE.true_model(), replications=200, seed=0
    )

    assert result.tickets[visits[0].customer_id].p90 == 0.0 == visits[0].waiting_time


def test_history_records_carry_ciws_times():
    visits = simulate_day(SITE, seed=3)

    records = visit_records(visits, opens_at=OPENS)

    assert [(r.called_at - r.joined_at).total_seconds() / 60 for r in records] == pytest.approx(
        [v.waiting_time for v in visits]
    )
