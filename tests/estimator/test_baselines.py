"""The naive predictors schedq is compared against."""

import math

import pytest

from schedq.estimator import erlang_c_mean, past_waits_mean, position_times_mean
from schedq.estimator.baselines import erlang_c_probability

from .builders import busy, line, lognormal_model, snapshot


def test_erlang_c_single_server_is_m_m_1():
    # M/M/1, lambda 0.5/min, mean service 1 min: Wq = rho / (mu - lambda) = 1 minute.
    assert erlang_c_mean(0.5, 1.0, 1) == pytest.approx(1.0)


def test_erlang_c_known_values():
    # Two servers, offered load 1 Erlang: P(wait) = 1/3 and Wq = 1/3 of a service time.
    assert erlang_c_probability(1.0, 2) == pytest.approx(1 / 3)
    assert erlang_c_mean(1.0 / 6.0, 6.0, 2) == pytest.approx(2.0)
    # Textbook call-centre case: 10 agents, 8 Erlang offered: P(wait) ≈ 0.409.
    assert erlang_c_probability(8.0, 10) == pytest.approx(0.4092, abs=1e-3)


def test_erlang_c_is_infinite_when_arrivals_outpace_service():
    assert math.isinf(erlang_c_mean(1.0, 3.0, 3))


def test_position_times_mean_counts_people_ahead():
    snap = snapshot([busy("S1"), busy("S2")], line(6))
    model = lognormal_model({"DRAW": 10.0})
    assert position_times_mean(snap, model, newcomer_service="DRAW") == pytest.approx(30.0)
    assert position_times_mean(snap, model, ticket_id=3) == pytest.approx(10.0)


def test_past_waits_mean():
    assert past_waits_mean([10.0, 20.0, 30.0]) == pytest.approx(20.0)
    assert past_waits_mean([]) is None
