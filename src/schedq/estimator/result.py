"""What the estimator returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """Minutes from the snapshot's `now` until the patient is called.

    Percentiles and mean are `math.inf` when, in some replications, the
    patient is never called (no station, open or planned, can do the service).
    `runs_past_close`: the 90th percentile falls after closing time.
    `no_station_can_serve`: no station open now or planned later today has
    the skill for this service.
    `thin_history`: the model rests on fewer than `THIN_HISTORY_DAYS` days of
    the site's history (`history_days`); the figures lean on the priors.
    """

    p10: float
    p50: float
    p90: float
    mean: float
    runs_past_close: bool = False
    no_station_can_serve: bool = False
    thin_history: bool = False
    history_days: int | None = None


@dataclass(frozen=True, slots=True)
class SiteEstimate:
    """Estimates for every waiting ticket and for a present walk-in joining now, per service."""

    tickets: dict[int, WaitEstimate]
    newcomer: dict[str, WaitEstimate]
    people_waiting: int
    stations_open: int
    replications: int = 0
    """Replications played: the stopping rule may end before the number asked for (docs/estimator.md, "Speed")."""
