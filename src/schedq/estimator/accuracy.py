"""How well promised ranges came true: the scores the site report and the benchmark print."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class AccuracyScore:
    """Promises against the waits that happened.

    `mae_minutes` and `rmse_minutes` score the point promise (the median when a
    range was given); `bias_minutes` is the mean of actual minus promised, so
    positive means waits ran longer than promised. `coverage` is the share of
    waits inside the promised 10–90 range and `past_p90` the share longer than
    its upper end (None when no ranges were given).
    """

    count: int
    mae_minutes: float | None
    rmse_minutes: float | None
    bias_minutes: float | None
    coverage: float | None
    past_p90: float | None


def score(
    actual: Sequence[float],
    point: Sequence[float],
    p10: Sequence[float] | None = None,
    p90: Sequence[float] | None = None,
) -> AccuracyScore:
    """Score point promises (and ranges, when given) against actual waits, all in minutes."""
    actual_a = np.asarray(actual, dtype=float)
    point_a = np.asarray(point, dtype=float)
    n = actual_a.size
    if n == 0:
        return AccuracyScore(0, None, None, None, None, None)
    error = actual_a - point_a
    coverage = past = None
    if p10 is not None and p90 is not None:
        low, high = np.asarray(p10, dtype=float), np.asarray(p90, dtype=float)
        coverage = float(np.mean((actual_a >= low) & (actual_a <= high)))
        past = float(np.mean(actual_a > high))
    return AccuracyScore(
        count=int(n),
        mae_minutes=float(np.mean(np.abs(error))),
        rmse_minutes=float(math.sqrt(np.mean(error**2))),
        bias_minutes=float(np.mean(error)),
        coverage=coverage,
        past_p90=past,
    )
