"""The fitted model of a site: service times, punctuality, no-shows, walk-in arrivals.

`FittedModel` is plain data, JSON-serialisable through `to_dict`/`from_dict`
so the service layer can store it in a database column. Treat its dicts as
read-only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any, Literal

import numpy as np

HALF_HOURS_PER_DAY = 48


def half_hour_of(wall: datetime | time) -> int:
    """Which of the day's `HALF_HOURS_PER_DAY` half hours a local wall time falls in (0 from midnight)."""
    return wall.hour * 2 + wall.minute // 30


DEFAULT_NO_SHOW_RATE = 0.1
DEFAULT_LATENESS_MEAN_MINUTES = -15.0  # patients mostly come 10–25 minutes early
DEFAULT_LATENESS_SD_MINUTES = 10.0
FALLBACK_SERVICE_MINUTES = 10.0
FALLBACK_CV = 0.5
MODEL_FORMAT_VERSION = 1
THIN_HISTORY_DAYS = 14
"""Below this many days of history, estimates say they rest on too little of it."""
PRIOR_LOAD_FRACTION = 0.5
"""The stated prior arrival profile: this fraction of the planned walk-in capacity per half hour."""
PRIOR_WEEKS = 2.0
"""The prior arrival profile counts as this many observed weeks of each weekday."""
PRIOR_OPENINGS = 10.0
"""The prior of opening delays counts as this many openings (two weeks of weekday mornings)."""
PRIOR_LATE_OPENING_SHARE = 0.25
"""The prior: one opening in four starts late, by a delay spread evenly up to
`PRIOR_LONGEST_OPENING_DELAY_MINUTES` (twice the sign-in grace); the others on time."""
PRIOR_LONGEST_OPENING_DELAY_MINUTES = 30.0


def prior_walk_in_profile(
    planned_stations: Sequence[Sequence[float]],
    mean_service_minutes: float,
    load_fraction: float = PRIOR_LOAD_FRACTION,
) -> tuple[tuple[float, ...], ...]:
    """Walk-ins per hour (7 weekdays x 48 local half hours) a site with no history is assumed to get.

    `planned_stations[weekday][half_hour]`: stations the capacity plan opens
    then (0 when closed). Each station serves 60 / `mean_service_minutes`
    patients an hour; the prior is `load_fraction` of that capacity.
    """
    per_station = load_fraction * 60.0 / max(mean_service_minutes, 1e-9)
    return tuple(tuple(float(count) * per_station for count in day) for day in planned_stations)


@dataclass(frozen=True, slots=True)
class ServiceTimeModel:
    """Service-time distribution of one service, in minutes.

    `kind="lognormal"`: log of the duration is N(mu, sigma). `kind="exponential"`
    (used to check the simulation against queueing theory): the mean is
    exp(mu) and sigma is ignored. `n_observations` is how many visits the
    site's own history contributed (0 for a prior).
    """

    mu: float
    sigma: float
    n_observations: int = 0
    kind: Literal["lognormal", "exponential"] = "lognormal"

    @classmethod
    def from_mean(cls, mean_minutes: float, cv: float = 0.4, n_observations: int = 0) -> ServiceTimeModel:
        """Lognormal with the given mean and coefficient of variation."""
        sigma2 = math.log1p(cv * cv)
        return cls(
            mu=math.log(mean_minutes) - sigma2 / 2, sigma=math.sqrt(sigma2), n_observations=n_observations
        )

    @classmethod
    def exponential(cls, mean_minutes: float) -> ServiceTimeModel:
        return cls(mu=math.log(mean_minutes), sigma=0.0, kind="exponential")

    @property
    def mean_minutes(self) -> float:
        if self.kind == "exponential":
            return math.exp(self.mu)
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def median_minutes(self) -> float:
        if self.kind == "exponential":
            return math.exp(self.mu) * math.log(2.0)
        return math.exp(self.mu)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Fresh service durations."""
        if self.kind == "exponential":
            return math.exp(self.mu) * rng.standard_exponential(size)
        return np.exp(self.mu + self.sigma * rng.standard_normal(size))


@dataclass(frozen=True, slots=True)
class LatenessModel:
    """Appointment arrival offset (arrival minus appointment time, minutes): N(mean, sd).

    Negative is early. `n_observations` is the number of check-ins it was fitted on.
    """

    mean_minutes: float = DEFAULT_LATENESS_MEAN_MINUTES
    sd_minutes: float = DEFAULT_LATENESS_SD_MINUTES
    n_observations: int = 0


def _flat_rates() -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(0.0 for _ in range(HALF_HOURS_PER_DAY)) for _ in range(7))


@dataclass(frozen=True, slots=True)
class FittedModel:
    """What a site's history says, falling back to service defaults.

    `walk_in_rate_per_hour[weekday][half_hour]`: weekday 0 is Monday, half hour
    0 is 00:00–00:30 site local time; walk-ins and remote joins per hour.
    `walk_in_service_mix`: share of walk-ins per service code (sums to 1).
    """

    services: dict[str, ServiceTimeModel]
    no_show_rate: float = DEFAULT_NO_SHOW_RATE
    no_show_observations: int = 0
    lateness: LatenessModel = field(default_factory=LatenessModel)
    walk_in_rate_per_hour: tuple[tuple[float, ...], ...] = field(default_factory=_flat_rates)
    walk_in_service_mix: dict[str, float] = field(default_factory=dict)
    fitted_at: datetime | None = None
    history_days: int = 0
    closure_overrun_minutes: tuple[float, ...] = ()
    """Past closures: how many minutes staff kept calling after each began (0: on time); fit.py."""
    opening_delay_minutes: tuple[float, ...] = ()
    """Past openings with someone waiting: minutes from opening to the first call; fit.py."""
    opening_delay_prior_weight: float = 0.0
    """How many openings the prior of opening delays counts as (`PRIOR_OPENINGS` once fitted or from
    the defaults; 0: the site's own openings alone); docs/estimator.md."""

    @classmethod
    def from_defaults(
        cls,
        service_defaults: dict[str, float],
        cv: float = 0.4,
        *,
        fitted_at: datetime | None = None,
        walk_in_rate_per_hour: tuple[tuple[float, ...], ...] | None = None,
    ) -> FittedModel:
        """The prior: each service lognormal with its default mean duration (minutes) and `cv`.

        `walk_in_rate_per_hour`: the prior arrival profile (`prior_walk_in_profile`); none given, no walk-ins.
        """
        services = {code: ServiceTimeModel.from_mean(mean, cv) for code, mean in service_defaults.items()}
        share = 1.0 / len(service_defaults) if service_defaults else 0.0
        return cls(
            services=services,
            walk_in_rate_per_hour=walk_in_rate_per_hour or _flat_rates(),
            walk_in_service_mix=dict.fromkeys(service_defaults, share),
            fitted_at=fitted_at,
            opening_delay_prior_weight=PRIOR_OPENINGS,
        )

    @property
    def thin_history(self) -> bool:
        """Too little history to stand on its own: the estimates lean on the priors."""
        return self.history_days < THIN_HISTORY_DAYS

    def service_model(self, service_code: str) -> ServiceTimeModel:
        """The model of `service_code`; an unknown service gets the average known mean, cv 0.5."""
        found = self.services.get(service_code)
        if found is not None:
            return found
        means = [m.mean_minutes for m in self.services.values()]
        mean = float(np.mean(means)) if means else FALLBACK_SERVICE_MINUTES
        return ServiceTimeModel.from_mean(mean, FALLBACK_CV)

    def mean_service_minutes(self) -> float:
        """Site-wide average service time, weighted by the walk-in service mix."""
        mix = {c: w for c, w in self.walk_in_service_mix.items() if w > 0}
        if not mix:
            mix = dict.fromkeys(self.services, 1.0)
        if not mix:
            return FALLBACK_SERVICE_MINUTES
        total = sum(mix.values())
        return sum(w * self.service_model(c).mean_minutes for c, w in mix.items()) / total

    def walk_in_rate_at(self, weekday: int, half_hour: int) -> float:
        return self.walk_in_rate_per_hour[weekday][half_hour]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "version": MODEL_FORMAT_VERSION,
            "services": {
                code: {"kind": m.kind, "mu": m.mu, "sigma": m.sigma, "n_observations": m.n_observations}
                for code, m in sorted(self.services.items())
            },
            "no_show_rate": self.no_show_rate,
            "no_show_observations": self.no_show_observations,
            "lateness": {
                "mean_minutes": self.lateness.mean_minutes,
                "sd_minutes": self.lateness.sd_minutes,
                "n_observations": self.lateness.n_observations,
            },
            "walk_in_rate_per_hour": [list(day) for day in self.walk_in_rate_per_hour],
            "walk_in_service_mix": dict(sorted(self.walk_in_service_mix.items())),
            "fitted_at": self.fitted_at.isoformat() if self.fitted_at else None,
            "history_days": self.history_days,
            "closure_overrun_minutes": list(self.closure_overrun_minutes),
            "opening_delay_minutes": list(self.opening_delay_minutes),
            "opening_delay_prior_weight": self.opening_delay_prior_weight,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FittedModel:
        if data.get("version") != MODEL_FORMAT_VERSION:
            raise ValueError(f"unsupported model format version {data.get('version')!r}")
        fitted_at = data.get("fitted_at")
        rates = data["walk_in_rate_per_hour"]
        if len(rates) != 7 or any(len(day) != HALF_HOURS_PER_DAY for day in rates):
            raise ValueError("walk_in_rate_per_hour must be 7 x 48")
        return cls(
            services={
                code: ServiceTimeModel(
                    mu=float(m["mu"]),
                    sigma=float(m["sigma"]),
                    n_observations=int(m["n_observations"]),
                    kind=m["kind"],
                )
                for code, m in data["services"].items()
            },
            no_show_rate=float(data["no_show_rate"]),
            no_show_observations=int(data["no_show_observations"]),
            lateness=LatenessModel(**data["lateness"]),
            walk_in_rate_per_hour=tuple(tuple(float(x) for x in day) for day in rates),
            walk_in_service_mix={c: float(w) for c, w in data["walk_in_service_mix"].items()},
            fitted_at=datetime.fromisoformat(fitted_at).astimezone(UTC) if fitted_at else None,
            history_days=int(data["history_days"]),
            closure_overrun_minutes=tuple(float(x) for x in data.get("closure_overrun_minutes", ())),
            opening_delay_minutes=tuple(float(x) for x in data.get("opening_delay_minutes", ())),
            opening_delay_prior_weight=float(data.get("opening_delay_prior_weight", 0.0)),
        )
