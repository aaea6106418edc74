"""Properties that hold for any state (Hypothesis), with common random numbers."""

from hypothesis import given, settings
from hypothesis import strategies as st

from schedq.estimator import SiteSnapshot, estimate
from schedq.estimator.__main__ import SERVICE_DEFAULTS, busy_site

from .builders import busy, idle, line, lognormal_model, snapshot

REPLICATIONS = 200
TOLERANCE = 1e-9

stations_st = st.lists(
    st.one_of(st.none(), st.floats(min_value=0.0, max_value=40.0)), min_size=1, max_size=4
)


def fcfs_site(elapsed: list[float | None], waiting: int) -> SiteSnapshot:
    """Walk-ins for one service, stations busy (elapsed minutes) or idle (None)."""
    stations = [idle(f"S{i}") if e is None else busy(f"S{i}", e) for i, e in enumerate(elapsed)]
    return snapshot(stations, line(waiting))


def fields(wait):
    return (wait.p10, wait.p50, wait.p90, wait.mean)


@settings(max_examples=40, deadline=None)
@given(elapsed=stations_st, waiting=st.integers(0, 8), seed=st.integers(0, 2**32 - 1))
def test_waits_are_never_negative(elapsed, waiting, seed):
    result = estimate(fcfs_site(elapsed, waiting), lognormal_model(), replications=REPLICATIONS, seed=seed)
    for wait in [*result.tickets.values(), *result.newcomer.values()]:
        assert min(fields(wait)) >= 0.0


@settings(max_examples=40, deadline=None)
@given(elapsed=stations_st, waiting=st.integers(1, 8), seed=st.integers(0, 2**32 - 1))
def test_further_back_in_the_walk_in_line_never_waits_less(elapsed, waiting, seed):
    result = estimate(fcfs_site(elapsed, waiting), lognormal_model(), replications=REPLICATIONS, seed=seed)
    waits = [result.tickets[i + 1] for i in range(waiting)] + [result.newcomer["DRAW"]]
    for ahead, behind in zip(waits, waits[1:]):
        for a, b in zip(fields(ahead), fields(behind)):
            assert b >= a - TOLERANCE


@settings(max_examples=40, deadline=None)
@given(elapsed=stations_st, waiting=st.integers(0, 8), seed=st.integers(0, 2**32 - 1))
def test_an_extra_station_never_lengthens_a_wait(elapsed, waiting, seed):
    base = fcfs_site(elapsed, waiting)
    more = snapshot([*base.stations, idle("Z-extra")], base.waiting)
    model = lognormal_model()
    fewer_result = estimate(base, model, replications=REPLICATIONS, seed=seed)
    more_result = estimate(more, model, replications=REPLICATIONS, seed=seed)
    for ticket_id, wait in fewer_result.tickets.items():
        for a, b in zip(fields(wait), fields(more_result.tickets[ticket_id])):
            assert b <= a + TOLERANCE
    for a, b in zip(fields(fewer_result.newcomer["DRAW"]), fields(more_result.newcomer["DRAW"])):
        assert b <= a + TOLERANCE


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_same_seed_gives_identical_estimates(seed):
    site, model = busy_site(waiting=20, stations=4), lognormal_model(SERVICE_DEFAULTS)
    first = estimate(site, model, replications=REPLICATIONS, seed=seed)
    assert estimate(site, model, replications=REPLICATIONS, seed=seed) == first


def test_different_seeds_differ():
    site, model = busy_site(waiting=20, stations=4), lognormal_model(SERVICE_DEFAULTS)
    assert estimate(site, model, seed=1) != estimate(site, model, seed=2)
