"""Normal distribution helpers in plain numpy (the package does not import scipy).

`norm_sf` is exact to double precision through `math.erfc`; `norm_ppf` is
Acklam's rational approximation (relative error below 1.2e-9), vectorised.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


def norm_cdf(x: float) -> float:
    """Standard normal CDF of a scalar."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def norm_sf(x: float) -> float:
    """Standard normal survival function 1 - CDF of a scalar, accurate in the upper tail."""
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def _tail(q: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    c, d = _C, _D
    num = ((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]
    den = (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
    return num / den


def norm_ppf(p: np.ndarray) -> np.ndarray:
    """Standard normal quantile function, elementwise, for p in (0, 1)."""
    p = np.asarray(p, dtype=float)
    # The central formula for every element (most are central), then the tails over it.
    q = p - 0.5
    r = q * q
    a, b = _A, _B
    num = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
    den = ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0
    out = np.asarray(num / den, dtype=float)
    low = p < _P_LOW
    high = p > 1.0 - _P_LOW
    if low.any():
        out[low] = _tail(np.sqrt(-2.0 * np.log(p[low])))
    if high.any():
        out[high] = -_tail(np.sqrt(-2.0 * np.log1p(-p[high])))
    return out


def normal_above(mean: float, sd: float, lower: float, u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Map uniforms `u` in [0, 1) to draws of N(mean, sd) conditioned on exceeding `lower`.

    Inverse CDF on the upper tail: with a = (lower - mean) / sd and
    v = (1 - u) * P(Z > a), the draw is mean - sd * ppf(v). Working with the
    survival probability keeps it accurate when `lower` is far in the tail.
    """
    if sd <= 0.0:
        return np.full_like(np.asarray(u, dtype=float), max(mean, lower))
    tail = norm_sf((lower - mean) / sd) if math.isfinite(lower) else 1.0
    v = np.clip((1.0 - u) * tail, 1e-300, 1.0 - 2.0**-53)
    return np.maximum(mean - sd * norm_ppf(v), lower)
