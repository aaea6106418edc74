"""How far a day's walk-in rate may be from the learned one, from the walk-ins of the past days."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedq.estimator import FittedModel
from schedq.estimator.staffing import at_observed_walk_in_level, walk_in_rate_variance


def test_no_past_walk_ins_say_nothing_about_the_rate():
    assert walk_in_rate_variance(()) == 0.0
    assert walk_in_rate_variance((0, 0, 0)) == 0.0


def test_days_as_even_as_poisson_leave_only_the_learned_rate_s_own_uncertainty():
    # 800 walk-ins on 8 days: the rate's posterior is a gamma of shape 800.
    assert walk_in_rate_variance((100, 96, 104, 99, 101, 98, 102, 100)) == pytest.approx(1 / 800)


def test_days_that_differ_more_than_poisson_add_their_spread():
    counts = (60, 140, 80, 120, 70, 130, 90, 110)  # mean 100, variance about 886
    spread = np.var(counts, ddof=1)
    mean_error = spread / 8 / 100**2  # the mean's standard error from the counts, squared, over 100 squared
    extra = (spread - 100) / 100**2
    assert walk_in_rate_variance(counts) == pytest.approx(mean_error + extra + mean_error * extra)


def test_the_learned_mean_is_as_uncertain_as_the_counts_spread_even_when_that_is_not_overdispersion():
    # The demo's eight past Tuesdays: dispersion index 1.58, within what Poisson gives on 19 sets in 20.
    counts = (110, 105, 94, 91, 80, 106, 99, 121)
    mean_error = np.var(counts, ddof=1) / 8 / np.mean(counts) ** 2
    assert mean_error > 1 / sum(counts)
    assert walk_in_rate_variance(counts) == pytest.approx(mean_error)  # 4.4 %, not Poisson's 3.5 %


def test_poisson_days_rarely_count_as_spread_out():
    rng = np.random.default_rng(7)
    samples = [rng.poisson(100, 8) for _ in range(1000)]
    mean_errors = [max(np.var(c, ddof=1), c.mean()) / 8 / c.mean() ** 2 for c in samples]
    spread_out = sum(walk_in_rate_variance(c) > e + 1e-12 for c, e in zip(samples, mean_errors))
    assert spread_out < 100  # about 1 in 20 by the test's level


@given(st.lists(st.integers(0, 500), min_size=1, max_size=12))
def test_the_variance_is_never_below_the_learned_rate_s_own(counts):
    total = sum(counts)
    value = walk_in_rate_variance(counts)
    assert value >= (1 / total if total else 0.0)


def test_the_simulation_plans_for_as_many_walk_ins_as_the_past_days_brought():
    # The fitted profile, shrunk toward its prior, expects 90 a Tuesday; the past Tuesdays brought 100.
    profile = tuple(9.0 if 14 <= k < 34 else 0.0 for k in range(48))  # 10 hours of 9 an hour
    model = FittedModel(services={}, walk_in_rate_per_hour=(profile,) * 7)
    level = at_observed_walk_in_level(model, 1, (95, 105, 100, 100))
    assert sum(level.walk_in_rate_per_hour[1]) / 2 == pytest.approx(100.0)
    assert level.walk_in_rate_per_hour[1][14] / level.walk_in_rate_per_hour[1][20] == 1.0  # same shape
    assert level.walk_in_rate_per_hour[2] == profile  # other weekdays as fitted
    assert at_observed_walk_in_level(model, 1, ()) is model
