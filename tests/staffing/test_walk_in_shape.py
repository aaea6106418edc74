"""The shape of a weekday's walk-ins over the day, pooled across the weekdays with the same hours."""

from __future__ import annotations

import numpy as np
import pytest

from schedq.estimator import FittedModel
from schedq.estimator.staffing import at_observed_walk_in_level, pooled_walk_in_shape

OPEN = range(14, 34)  # 07:00 to 17:00, local half hours
FLAT = tuple(9.0 if k in OPEN else 0.0 for k in range(48))  # the model's profile: 90 walk-ins a day, flat
MODEL = FittedModel(services={}, walk_in_rate_per_hour=(FLAT,) * 7)
MORNING = np.array([3.0 if k < 24 else 1.0 for k in OPEN])  # three times as busy before noon
AFTERNOON = MORNING[::-1]


def counts(shape: np.ndarray, walk_ins: int) -> tuple[int, ...]:
    """`walk_ins` spread over the open half hours in `shape`, as whole walk-ins (48 local half hours)."""
    row = [0] * 48
    for k, share in zip(OPEN, shape / shape.sum()):
        row[k] = round(walk_ins * share)
    return tuple(row)


def shares(shape: tuple[float, ...]) -> np.ndarray:
    return np.array([shape[k] for k in OPEN])


def test_a_weekday_whose_own_counts_are_thin_takes_the_shape_the_weekdays_share():
    # Four weekdays of eight days each, 800 walk-ins in the morning shape; the asked one has 20, flat.
    rows = [counts(np.ones(len(OPEN)), 20)] + [counts(MORNING, 800)] * 4
    shape = shares(pooled_walk_in_shape(MODEL, 1, rows, [8] * 5))
    assert sum(shape) == pytest.approx(1.0)
    morning = MORNING / MORNING.sum()
    assert np.abs(shape - morning).max() < 0.1 * morning.max()  # the pooled morning, not its own flat day


def test_weekdays_that_share_a_shape_pool_it_so_each_is_learned_from_all():
    rng = np.random.default_rng(5)
    truth = MORNING / MORNING.sum()
    rows = []
    for _ in range(5):
        row = [0] * 48
        for k, n in zip(OPEN, rng.multinomial(800, truth)):
            row[k] = int(n)
        rows.append(tuple(row))
    pooled = shares(pooled_walk_in_shape(MODEL, 0, rows, [8] * 5))
    own = shares(rows[0]) / 800
    assert np.abs(pooled - truth).max() < np.abs(own - truth).max()  # five weekdays' counts beat one's
    assert pooled_walk_in_shape(MODEL, 0, rows, [8] * 5) == pooled_walk_in_shape(MODEL, 2, rows, [8] * 5)


def test_a_weekday_with_a_clearly_different_shape_keeps_its_own():
    # The asked weekday is busy in the afternoon; the other four in the morning.
    rows = [counts(AFTERNOON, 800)] + [counts(MORNING, 800)] * 4
    shape = shares(pooled_walk_in_shape(MODEL, 1, rows, [8] * 5))
    afternoon = AFTERNOON / AFTERNOON.sum()
    assert np.abs(shape / afternoon - 1).max() < 0.2  # its own, a little toward the others'
    assert shape[-1] / shape[0] > 2  # busy in the afternoon, where the others are quiet
    # and keeps it closer as its data grows
    more = [counts(AFTERNOON, 3200)] + [counts(MORNING, 800)] * 4
    closer = shares(pooled_walk_in_shape(MODEL, 1, more, [32, 8, 8, 8, 8]))
    assert np.abs(closer - afternoon).max() < np.abs(shape - afternoon).max()


def test_a_thin_history_leans_on_the_model_s_profile():
    # One day of ten walk-ins, all at 07:00: the model's flat profile (two weeks' worth) still counts.
    row = [0] * 48
    row[14] = 10
    shape = pooled_walk_in_shape(MODEL, 1, [tuple(row)], [1])
    assert 0 < shape[20] < shape[14] < 1
    assert shape[14] == pytest.approx((10 + 2 * 10 / 20) / (10 + 2 * 10))  # 2 days at 10 a day, flat


def test_no_past_walk_ins_leave_the_model_s_shape():
    assert pooled_walk_in_shape(MODEL, 1, [], []) == ()
    assert pooled_walk_in_shape(MODEL, 1, [(0,) * 48], [8]) == ()
    level = at_observed_walk_in_level(MODEL, 1, (100, 100), ())
    assert level.walk_in_rate_per_hour[1][14] == pytest.approx(10.0)  # the flat profile at 100 a day


def test_the_simulation_plans_the_past_days_level_in_the_pooled_shape():
    rows = [counts(MORNING, 800)] * 5
    shape = pooled_walk_in_shape(MODEL, 1, rows, [8] * 5)
    model = at_observed_walk_in_level(MODEL, 1, (95, 105, 100, 100), shape)
    rates = model.walk_in_rate_per_hour[1]
    assert sum(rates) / 2 == pytest.approx(100.0)  # the past days' mean
    # 60 and 20 walk-ins in those half hours on each weekday, and the model's flat 10 (two days of 100)
    assert rates[14] / rates[30] == pytest.approx((5 * 60 + 10) / (5 * 20 + 10))
    assert model.walk_in_rate_per_hour[2] == FLAT  # other weekdays as fitted


def test_a_weekday_with_no_walk_ins_of_its_own_takes_the_pooled_shape():
    rows = [(0,) * 48, counts(MORNING, 800), counts(AFTERNOON, 800)]
    shape = pooled_walk_in_shape(MODEL, 1, rows, [8] * 3)
    assert sum(shape) == pytest.approx(1.0)
    assert shape[14] == pytest.approx(shape[33])  # the morning and the afternoon weekdays together
