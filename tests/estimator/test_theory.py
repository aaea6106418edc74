"""The simulation against closed forms from queueing theory."""

import math

import numpy as np
import pytest
from scipy import stats

from schedq.estimator import ServiceTimeModel, estimate
from schedq.estimator.montecarlo import remaining_service, simulate_call_times

from .builders import busy, exponential_model, line, lognormal_model, snapshot

MEAN = 10.0


@pytest.mark.parametrize(("c", "n"), [(1, 0), (1, 3), (3, 0), (3, 5), (5, 9)])
def test_nth_in_line_waits_erlang_with_all_stations_busy(c, n):
    """FCFS, exponential service, c busy stations: n waiting ahead means Erlang(n+1, c/mean)."""
    snap = snapshot([busy(f"S{i}", elapsed_minutes=7 * i) for i in range(c)], line(n + 1))
    result = estimate(snap, exponential_model(MEAN), replications=20000, seed=1)
    theory = stats.gamma(a=n + 1, scale=MEAN / c)
    wait = result.tickets[n + 1]
    assert wait.mean == pytest.approx(theory.mean(), rel=0.05)
    assert wait.p10 == pytest.approx(theory.ppf(0.1), rel=0.05)
    assert wait.p50 == pytest.approx(theory.ppf(0.5), rel=0.05)
    assert wait.p90 == pytest.approx(theory.ppf(0.9), rel=0.05)


@pytest.mark.parametrize(("c", "n"), [(2, 0), (2, 4)])
def test_newcomer_waits_erlang_behind_the_whole_line(c, n):
    snap = snapshot([busy(f"S{i}") for i in range(c)], line(n))
    wait = estimate(snap, exponential_model(MEAN), replications=20000, seed=2).newcomer["DRAW"]
    theory = stats.gamma(a=n + 1, scale=MEAN / c)
    assert wait.mean == pytest.approx(theory.mean(), rel=0.05)
    assert wait.p50 == pytest.approx(theory.ppf(0.5), rel=0.05)
    assert wait.p90 == pytest.approx(theory.ppf(0.9), rel=0.05)


def test_first_in_line_waits_the_conditional_remaining_service():
    """20 minutes into a service with a 5-minute median: the wait is T - 20 given T > 20."""
    model = lognormal_model({"DRAW": 5.0}, cv=0.8)
    service = model.services["DRAW"]
    snap = snapshot([busy("S1", elapsed_minutes=20)], line(1))
    calls, _, _, _ = simulate_call_times(snap, model, replications=5000, seed=3)
    dist = stats.lognorm(s=service.sigma, scale=math.exp(service.mu))

    def conditional_cdf(x):
        return 1.0 - dist.sf(20.0 + np.asarray(x)) / dist.sf(20.0)

    assert stats.kstest(calls[:, 0], conditional_cdf).pvalue > 0.01


def test_remaining_service_is_never_negative_even_far_in_the_tail():
    service = ServiceTimeModel.from_mean(5.0, cv=0.3)
    u = np.random.default_rng(0).random(10000)
    for elapsed in (0.0, 5.0, 60.0, 600.0):
        draws = remaining_service(service, elapsed, u)
        assert np.all(np.isfinite(draws)) and np.all(draws >= 0.0)


def test_exponential_remaining_ignores_elapsed_time():
    model = exponential_model(MEAN)
    fresh = estimate(snapshot([busy("S1", 0)], line(1)), model, replications=4000, seed=4).tickets[1]
    old = estimate(snapshot([busy("S1", 45)], line(1)), model, replications=4000, seed=4).tickets[1]
    assert old == fresh
