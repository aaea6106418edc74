"""The stopping rule: replications end once every percentile is pinned down, never before the floor."""

from __future__ import annotations

import numpy as np

from schedq.estimator import estimate
from schedq.estimator.bench import SERVICE_DEFAULTS, busy_site
from schedq.estimator.model import FittedModel
from schedq.estimator.montecarlo import STABLE_FLOOR
from schedq.estimator.quantiles import STABLE_FRACTION, STABLE_MINUTES, quantiles_stable, sorted_columns

MODEL = FittedModel.from_defaults(SERVICE_DEFAULTS)
Q = [0.1, 0.5, 0.9]


def figures(result):
    return {
        key: (w.p10, w.p50, w.p90, w.mean)
        for key, w in [*result.tickets.items(), *(("new " + c, w) for c, w in result.newcomer.items())]
    }


def test_narrow_columns_are_stable_and_a_spread_one_is_not():
    rng = np.random.default_rng(1)
    narrow = 30.0 + rng.normal(0.0, 1.0, (500, 3))
    assert quantiles_stable(sorted_columns(narrow), Q)
    # Half arrive early, half late: the median could be anywhere between.
    split = np.hstack([narrow, np.where(rng.random((500, 1)) < 0.5, 5.0, 60.0) + rng.random((500, 1))])
    assert not quantiles_stable(sorted_columns(split), Q)


def test_never_called_in_every_replication_counts_as_pinned_down():
    assert quantiles_stable(sorted_columns(np.full((500, 2), np.inf)), Q)


def test_the_demo_site_stops_early_within_the_rules_tolerance():
    site = busy_site()
    stopped = estimate(site, MODEL, replications=1000, seed=5)
    every = estimate(site, MODEL, replications=1000, seed=5, stop_when_stable=False)
    assert STABLE_FLOOR <= stopped.replications < every.replications == 1000
    for key, (p10, p50, p90, _) in figures(every).items():
        s10, s50, s90, _ = figures(stopped)[key]
        allowed = max(STABLE_MINUTES, STABLE_FRACTION * p50)
        assert abs(s10 - p10) <= allowed and abs(s50 - p50) <= allowed and abs(s90 - p90) <= allowed


def test_a_run_the_rule_does_not_stop_gives_exactly_every_replication():
    site = busy_site(waiting=30, stations=3)  # absent remote tickets: split call times, never stable early
    stopped = estimate(site, MODEL, replications=1000, seed=0)
    every = estimate(site, MODEL, replications=1000, seed=0, stop_when_stable=False)
    assert stopped.replications == 1000
    assert figures(stopped) == figures(every)


def test_asking_for_the_floor_or_fewer_plays_them_all():
    assert estimate(busy_site(), MODEL, replications=STABLE_FLOOR, seed=2).replications == STABLE_FLOOR
    assert estimate(busy_site(), MODEL, replications=200, seed=2).replications == 200
