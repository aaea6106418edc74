"""When a patient who saved a spot from afar should be at the site (README: "Save my spot")."""

from __future__ import annotations

import math
from datetime import datetime, timedelta


def arrive_by(
    expected_arrival_at: datetime, *, estimate_at: datetime | None, p10_minutes: float | None
) -> datetime:
    """The earlier of the arrival the patient gave and the earliest their turn could plausibly come.

    The earliest is the estimate's instant plus the range's low end (its 10th
    percentile, in whole minutes), so never before that instant. Without an
    estimate (or with no range: no station can do the service) the arrival the
    patient gave stands.
    """
    if estimate_at is None or p10_minutes is None or not math.isfinite(p10_minutes):
        return expected_arrival_at
    earliest = estimate_at + timedelta(minutes=math.floor(max(p10_minutes, 0.0)))
    return min(earliest, expected_arrival_at)
