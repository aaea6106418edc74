"""Properties that hold for any state (Hypothesis), with common random numbers."""

from hypothesis import given, settings
from hypothesis import strategies as st

from schedq.estimator import SiteSnapshot, estimate
from schedq.estimator.bench import SERVICE_DEFAULTS, busy_site

from .builders import busy, idle, line, lognormal_model, snapshot

REPLICATIONS = 200
TOLERANCE = 1e-9

stations_st = st.lists(st.one_of(st.none(), st.floats(min_value=0.0, max_value=40.0)), min_size=1, max_size=4)


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


SERVICES = ("DRAW", "UDS", "GTT")


@st.composite
def mixed_sites(draw) -> SiteSnapshot:
    """Any mix of skills, ticket kinds, appointments, remote tickets and a capacity plan."""
    from schedq.estimator import InService, StaffingBlock, StationState, UpcomingAppointment, WaitingTicket

    from .builders import NOW, minutes

    skills_st = st.frozensets(st.sampled_from(SERVICES), min_size=1)
    stations = [
        StationState(
            f"S{i}", skills, None if e is None else InService(900 + i, sorted(skills)[0], NOW - minutes(e))
        )
        for i, (skills, e) in enumerate(
            draw(st.lists(st.tuples(skills_st, st.one_of(st.none(), st.floats(0, 60))), max_size=4))
        )
    ]
    waiting = []
    for i in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["walk_in", "remote", "appointment"]))
        present = kind != "remote" or draw(st.booleans())
        waiting.append(
            WaitingTicket(
                ticket_id=i + 1,
                service_code=draw(st.sampled_from(SERVICES)),
                kind=kind,
                joined_at=NOW - minutes(draw(st.floats(0, 120))),
                priority=draw(st.booleans()),
                present=present,
                appointment_at=NOW + minutes(draw(st.floats(-15, 60))) if kind == "appointment" else None,
                expected_arrival_at=None
                if present or draw(st.booleans())
                else NOW + minutes(draw(st.floats(-10, 40))),
            )
        )
    upcoming = [
        UpcomingAppointment(
            f"A{i}", draw(st.sampled_from(SERVICES)), NOW + minutes(draw(st.floats(-20, 120)))
        )
        for i in range(draw(st.integers(0, 4)))
    ]
    staffing, cursor = [], draw(st.floats(-60, 30))
    for _ in range(draw(st.integers(0, 3))):
        length = draw(st.floats(5, 120))
        staffing.append(
            StaffingBlock(
                NOW + minutes(cursor),
                NOW + minutes(cursor + length),
                draw(st.integers(0, 5)),
                draw(st.one_of(st.none(), skills_st)),
            )
        )
        cursor += length + draw(st.sampled_from([0.0, 15.0]))
    return snapshot(
        stations,
        waiting,
        upcoming_appointments=upcoming,
        staffing=staffing,
        closes_at=NOW + minutes(draw(st.floats(0, 240))),
    )


@settings(max_examples=60, deadline=None)
@given(site=mixed_sites(), seed=st.integers(0, 2**32 - 1))
def test_any_site_gets_ordered_non_negative_ranges(site, seed):
    model = lognormal_model({"DRAW": 8.0, "UDS": 12.0, "GTT": 30.0})
    result = estimate(site, model, replications=50, seed=seed)
    assert set(result.tickets) == {t.ticket_id for t in site.waiting}
    assert set(result.newcomer) >= set(model.services)
    for wait in [*result.tickets.values(), *result.newcomer.values()]:
        assert 0.0 <= wait.p10 <= wait.p50 <= wait.p90
        assert wait.mean >= 0.0
        if wait.no_station_can_serve:
            assert wait.p10 == float("inf")


def test_a_generator_can_be_passed_instead_of_a_seed():
    import numpy as np

    site, model = busy_site(waiting=10, stations=2), lognormal_model(SERVICE_DEFAULTS)
    first = estimate(site, model, replications=100, seed=np.random.default_rng(7))
    assert estimate(site, model, replications=100, seed=np.random.default_rng(7)) == first
