"""Scoring promises against what happened."""

from __future__ import annotations

import pytest

from schedq.estimator.accuracy import score


def test_perfect_promises_score_zero_error_and_full_coverage():
    result = score([10, 20], [10, 20], [5, 15], [15, 25])
    assert (result.count, result.mae_minutes, result.bias_minutes, result.coverage, result.past_p90) == (
        2,
        0,
        0,
        1,
        0,
    )


def test_waits_longer_than_promised_show_positive_bias_and_past_p90():
    result = score([30, 10], [20, 10], [15, 5], [25, 15])
    assert result.mae_minutes == pytest.approx(5)
    assert result.bias_minutes == pytest.approx(5)
    assert result.rmse_minutes == pytest.approx((100 / 2) ** 0.5)
    assert result.coverage == pytest.approx(0.5) and result.past_p90 == pytest.approx(0.5)


def test_point_only_promises_have_no_coverage():
    result = score([1, 2], [1, 1])
    assert result.coverage is None and result.past_p90 is None


def test_nothing_to_score_is_said_as_none():
    assert score([], []).mae_minutes is None
