"""Per-column quantiles of replications, the same numbers as `np.quantile` (linear method), cheaper.

`np.quantile(x, q, axis=0)` partitions each column of a replications x
patients array along its strided axis; sorting the transposed (contiguous)
columns once and reading the order statistics is about half the CPU time
for the three quantiles an estimate needs. The interpolation repeats
numpy's: the virtual index `(n - 1) q`, its floor and the next order
statistic, and numpy's two-sided linear interpolation.

"Never called" (`inf`) stands in as a huge finite value (1e15) while
interpolating, and any quantile that reaches it reads `inf`, as before.

`quantiles_stable` is the estimator's stopping rule (docs/estimator.md, "Speed").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_NEVER = 1e15
"""What `inf` stands in for while interpolating; results at or above `_NEVER_READS_INF` read inf."""
_NEVER_READS_INF = 1e14


def sorted_columns(minutes: np.ndarray) -> np.ndarray:
    """Each column of `minutes` (replications x columns) in order, as rows: (columns, replications); inf last."""
    return np.sort(minutes.T, axis=1)


def merge_sorted(ordered: np.ndarray, more: np.ndarray) -> np.ndarray:
    """`sorted_columns` of the replications of `ordered` and those of `more` (replications x columns) together.

    numpy's stable sort of floats is a timsort, which merges the two sorted
    runs in linear time.
    """
    return np.sort(np.hstack([ordered, sorted_columns(more)]), axis=1, kind="stable")


def column_quantiles(
    minutes: np.ndarray, q: Sequence[float], *, ordered: np.ndarray | None = None
) -> np.ndarray:
    """Quantiles `q` of each column of `minutes` (replications x columns): shape (len(q), columns).

    `ordered`: `sorted_columns(minutes)` when the caller has it already.
    """
    n, columns = minutes.shape
    quantiles = np.asarray(q, dtype=float)
    if n == 0:
        raise ValueError("quantiles of no replications")
    if ordered is None:
        ordered = sorted_columns(minutes)
    virtual = (n - 1) * quantiles  # numpy's linear method
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= n - 1
    previous[above], following[above] = -1, -1
    below = virtual < 0
    previous[below], following[below] = 0, 0
    gamma = (virtual - previous)[:, None]
    previous, following = previous.astype(np.intp), following.astype(np.intp)
    a = ordered[:, previous].T
    b = ordered[:, following].T
    a[~np.isfinite(a)] = _NEVER
    b[~np.isfinite(b)] = _NEVER
    diff = b - a
    out: np.ndarray = a + diff * gamma
    upper = np.broadcast_to(gamma >= 0.5, out.shape)
    out[upper] = (b - diff * (1 - gamma))[upper]
    out[out >= _NEVER_READS_INF] = np.inf
    return out


STABLE_Z = 1.96
"""Confidence intervals of the stopping rule are 95 %."""
STABLE_MINUTES = 1.0
STABLE_FRACTION = 0.05
"""A quantile is pinned down when its interval is within ± max(1 minute, 5 % of the column's median)."""


def quantiles_stable(ordered: np.ndarray, q: Sequence[float]) -> bool:
    """Whether every column's quantiles `q` are pinned down by the replications so far (`ordered`:
    their `sorted_columns`).

    For each quantile the distribution-free 95 % confidence interval runs
    between the order statistics of ranks k q ± 1.96 √(k q (1 − q)) of the
    k replications; it must lie within ± max(`STABLE_MINUTES`,
    `STABLE_FRACTION` × the column's median). Equal bounds (both "never
    called" included) count as pinned down.
    """
    columns, k = ordered.shape
    if columns == 0:
        return True
    if k == 0:
        return False
    with np.errstate(invalid="ignore"):
        allowed = 2.0 * np.maximum(STABLE_MINUTES, STABLE_FRACTION * ordered[:, (k - 1) // 2])
        for quantile in q:
            half = STABLE_Z * np.sqrt(k * quantile * (1.0 - quantile))
            low = ordered[:, int(np.clip(np.floor(k * quantile - half), 0, k - 1))]
            high = ordered[:, int(np.clip(np.ceil(k * quantile + half), 0, k - 1))]
            width = np.where(low == high, 0.0, high - low)
            if not (width <= allowed).all():
                return False
    return True
