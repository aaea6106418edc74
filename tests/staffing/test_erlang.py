"""Erlang C staffing: the fewest stations of a steady M/M/c line that call a share of patients in time."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedq.estimator.staffing import erlang_c_stations, share_called_within


def share_by_the_textbook(per_hour: float, mean_minutes: float, c: int, t: float) -> float:
    """P(W <= t) of M/M/c from the factorial form of Erlang C (fine for small c)."""
    a = per_hour / 60.0 * mean_minutes
    top = a**c / math.factorial(c) * c / (c - a)
    waits = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return 1.0 - waits * math.exp(-(c - a) * t / mean_minutes)


@pytest.mark.parametrize(
    ("per_hour", "mean_minutes", "within", "share", "stations"),
    [
        (120, 1.0, 1.0, 0.80, 3),  # a = 2: C(3, 2) = 4/9, P(W <= 1) = 1 - 4/9 e^-1 = 0.837
        (120, 1.0, 1.0, 0.90, 4),  # C(4, 2) = 4/23, P(W <= 1) = 0.976
        (200, 3.0, 1 / 3, 0.80, 14),  # a = 10 Erlangs, 80 % answered within 20 s (the call-centre example)
        (0, 5.0, 10.0, 0.90, 1),  # nobody comes: one station keeps the site open
    ],
)
def test_erlang_c_stations_match_known_values(per_hour, mean_minutes, within, share, stations):
    assert (
        erlang_c_stations(
            arrivals_per_hour=per_hour, mean_service_minutes=mean_minutes, within_minutes=within, share=share
        )
        == stations
    )


@given(
    per_hour=st.floats(1, 400),
    mean_minutes=st.floats(1, 30),
    c_over=st.integers(1, 12),
    t=st.floats(0, 60),
)
def test_the_share_in_time_matches_the_factorial_form(per_hour, mean_minutes, c_over, t):
    c = math.floor(per_hour / 60.0 * mean_minutes) + c_over
    if c > 60:
        return  # factorials overflow floats there; the recursion does not
    ours = share_called_within(
        arrivals_per_hour=per_hour, mean_service_minutes=mean_minutes, stations=c, within_minutes=t
    )
    assert ours == pytest.approx(share_by_the_textbook(per_hour, mean_minutes, c, t), abs=1e-9)


LOADS = dict(per_hour=st.floats(0.5, 600), mean_minutes=st.floats(1, 30), within=st.floats(0, 60))


def stations(per_hour: float, mean_minutes: float, within: float, share: float) -> int:
    return erlang_c_stations(
        arrivals_per_hour=per_hour, mean_service_minutes=mean_minutes, within_minutes=within, share=share
    )


@given(**LOADS, share=st.floats(0.05, 0.99))
def test_erlang_c_stations_are_more_than_the_load_and_the_fewest_that_meet_the_share(
    per_hour, mean_minutes, within, share
):
    c = stations(per_hour, mean_minutes, within, share)
    load = per_hour / 60.0 * mean_minutes
    assert c > load
    kw = dict(arrivals_per_hour=per_hour, mean_service_minutes=mean_minutes, within_minutes=within)
    assert share_called_within(stations=c, **kw) >= share
    assert c == 1 or share_called_within(stations=c - 1, **kw) < share


@given(**LOADS, share=st.floats(0.05, 0.99), more=st.floats(1.0, 3.0))
def test_more_arrivals_never_need_fewer_stations(per_hour, mean_minutes, within, share, more):
    assert stations(per_hour * more, mean_minutes, within, share) >= stations(
        per_hour, mean_minutes, within, share
    )


@given(**LOADS, share=st.floats(0.05, 0.9), stricter=st.floats(0.0, 0.09))
def test_a_higher_target_never_needs_fewer_stations(per_hour, mean_minutes, within, share, stricter):
    assert stations(per_hour, mean_minutes, within, share + stricter) >= stations(
        per_hour, mean_minutes, within, share
    )


@given(**LOADS, share=st.floats(0.05, 0.99), longer=st.floats(0.0, 30.0))
def test_a_longer_allowed_wait_never_needs_more_stations(per_hour, mean_minutes, within, share, longer):
    assert stations(per_hour, mean_minutes, within + longer, share) <= stations(
        per_hour, mean_minutes, within, share
    )
