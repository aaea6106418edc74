"""Scenarios: a site's configuration and the true behaviour of its patients and staff.

A scenario file (TOML, read with the standard library's `tomllib`) gives the
site (zone, opening hours, capacity plan, stations and their skills), the
services with their TRUE service-time distributions (lognormal by mean and
coefficient of variation) and the defaults the site starts from, the walk-in
arrival profile (arrivals per hour, piecewise constant from each listed local
time), and the appointments (share of seats booked, no-show rate, lateness).

    name = "rural"
    timezone = "America/Chicago"
    weekdays = [0, 1, 2, 3, 4]

    [[hours]]
    opens = "07:00"
    closes = "15:00"

    [[plan]]
    starts = "07:00"
    ends = "15:00"
    stations = 2
    seats_per_slot = 1

    [[stations]]
    name = "Chair 1"
    services = ["DRAW", "UDS"]

    [[services]]
    code = "DRAW"
    name = "Blood draw"
    default_minutes = 8.0     # what the site is configured with (the prior)
    mean_minutes = 5.5        # the truth the simulator draws from
    cv = 0.4

    [walk_ins]
    profile = [["07:00", 8.0], ["09:00", 5.0], ["15:00", 0.0]]
    mix = { DRAW = 0.9, UDS = 0.1 }

    [appointments]
    fill = 0.6
    no_show_rate = 0.12
    lateness_mean_minutes = -15.0
    lateness_sd_minutes = 9.0
    mix = { DRAW = 1.0 }
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, time
from importlib import resources
from pathlib import Path
from typing import Any

from schedq.domain.schedule import PlanBlock, WeeklyInterval
from schedq.estimator import FittedModel, LatenessModel, ServiceTimeModel
from schedq.estimator.model import HALF_HOURS_PER_DAY


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    code: str
    name: str
    default_minutes: float
    mean_minutes: float
    cv: float
    bookable: bool = True
    walk_in_allowed: bool = True

    @property
    def true_model(self) -> ServiceTimeModel:
        return ServiceTimeModel.from_mean(self.mean_minutes, self.cv)


@dataclass(frozen=True, slots=True)
class StationSpec:
    name: str
    services: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlanSpec:
    starts: time
    ends: time
    stations: int
    seats_per_slot: int = 0


@dataclass(frozen=True, slots=True)
class AppointmentSpec:
    fill: float = 0.0
    no_show_rate: float = 0.1
    lateness_mean_minutes: float = -15.0
    lateness_sd_minutes: float = 10.0
    mix: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    timezone: str
    weekdays: tuple[int, ...]
    hours: tuple[tuple[time, time], ...]
    plan: tuple[PlanSpec, ...]
    stations: tuple[StationSpec, ...]
    services: tuple[ServiceSpec, ...]
    walk_in_profile: tuple[tuple[time, float], ...]
    walk_in_mix: dict[str, float]
    appointments: AppointmentSpec
    slot_minutes: int = 15
    grace_minutes: int = 15
    walk_in_cutoff_minutes: int = 30

    # Derived configuration ----------------------------------------------------------

    def weekly_hours(self) -> list[WeeklyInterval]:
        return [WeeklyInterval(d, o, c) for d in self.weekdays for o, c in self.hours]

    def plan_blocks(self) -> list[PlanBlock]:
        return [PlanBlock(d, p.starts, p.ends, p.stations, p.seats_per_slot) for d in self.weekdays for p in self.plan]

    def service(self, code: str) -> ServiceSpec:
        return next(s for s in self.services if s.code == code)

    def walk_in_rate_per_hour(self, local: time) -> float:
        """True walk-in arrivals per hour at local wall time `local` (0 before the first entry)."""
        rate = 0.0
        for starts, value in self.walk_in_profile:
            if local >= starts:
                rate = value
        return rate

    def half_hour_rates(self) -> tuple[float, ...]:
        """True walk-in rate per hour for each of the 48 local half hours of an open day."""
        return tuple(self.walk_in_rate_per_hour(time(h // 2, 30 * (h % 2))) for h in range(HALF_HOURS_PER_DAY))

    def true_model(self, *, fitted_at: datetime | None = None) -> FittedModel:
        """The estimator's model with the scenario's TRUE parameters: its accuracy limit."""
        rates = self.half_hour_rates()
        zero = tuple(0.0 for _ in range(HALF_HOURS_PER_DAY))
        total = sum(self.walk_in_mix.values()) or 1.0
        return FittedModel(
            services={s.code: s.true_model for s in self.services},
            no_show_rate=self.appointments.no_show_rate,
            no_show_observations=10_000,
            lateness=LatenessModel(
                self.appointments.lateness_mean_minutes, self.appointments.lateness_sd_minutes, 10_000
            ),
            walk_in_rate_per_hour=tuple(rates if d in self.weekdays else zero for d in range(7)),
            walk_in_service_mix={c: w / total for c, w in self.walk_in_mix.items()},
            fitted_at=fitted_at,
            history_days=10_000,
        )


def _time(text: str) -> time:
    return time.fromisoformat(text)


def _mix(raw: dict[str, Any] | None) -> dict[str, float]:
    mix = {str(k): float(v) for k, v in (raw or {}).items() if float(v) > 0}
    total = sum(mix.values())
    return {k: v / total for k, v in mix.items()} if total else {}


def parse(data: dict[str, Any]) -> Scenario:
    """A scenario from the parsed TOML table (ValueError naming what is wrong)."""
    try:
        services = tuple(
            ServiceSpec(
                code=s["code"],
                name=s.get("name", s["code"]),
                default_minutes=float(s["default_minutes"]),
                mean_minutes=float(s["mean_minutes"]),
                cv=float(s["cv"]),
                bookable=bool(s.get("bookable", True)),
                walk_in_allowed=bool(s.get("walk_in_allowed", True)),
            )
            for s in data["services"]
        )
        walk_ins = data.get("walk_ins", {})
        appointments = data.get("appointments", {})
        scenario = Scenario(
            name=data["name"],
            description=data.get("description", ""),
            timezone=data.get("timezone", "America/Chicago"),
            weekdays=tuple(int(d) for d in data.get("weekdays", [0, 1, 2, 3, 4])),
            hours=tuple((_time(h["opens"]), _time(h["closes"])) for h in data["hours"]),
            plan=tuple(
                PlanSpec(_time(p["starts"]), _time(p["ends"]), int(p["stations"]), int(p.get("seats_per_slot", 0)))
                for p in data["plan"]
            ),
            stations=tuple(StationSpec(s["name"], tuple(s["services"])) for s in data["stations"]),
            services=services,
            walk_in_profile=tuple((_time(t), float(r)) for t, r in walk_ins.get("profile", [])),
            walk_in_mix=_mix(walk_ins.get("mix")),
            appointments=AppointmentSpec(
                fill=float(appointments.get("fill", 0.0)),
                no_show_rate=float(appointments.get("no_show_rate", 0.1)),
                lateness_mean_minutes=float(appointments.get("lateness_mean_minutes", -15.0)),
                lateness_sd_minutes=float(appointments.get("lateness_sd_minutes", 10.0)),
                mix=_mix(appointments.get("mix")),
            ),
            slot_minutes=int(data.get("slot_minutes", 15)),
            grace_minutes=int(data.get("grace_minutes", 15)),
            walk_in_cutoff_minutes=int(data.get("walk_in_cutoff_minutes", 30)),
        )
    except KeyError as error:
        raise ValueError(f"scenario is missing {error.args[0]!r}") from error
    _check(scenario)
    return scenario


def _check(scenario: Scenario) -> None:
    codes = {s.code for s in scenario.services}
    for station in scenario.stations:
        unknown = set(station.services) - codes
        if unknown:
            raise ValueError(f"station {station.name!r}: unknown services {sorted(unknown)}")
    for label, mix in (("walk_ins.mix", scenario.walk_in_mix), ("appointments.mix", scenario.appointments.mix)):
        if set(mix) - codes:
            raise ValueError(f"{label}: unknown services {sorted(set(mix) - codes)}")
    for spec in scenario.services:
        if not (spec.mean_minutes > 0 and spec.cv > 0 and math.isfinite(spec.cv)):
            raise ValueError(f"service {spec.code}: mean_minutes and cv must be positive")
    if scenario.appointments.fill > 0 and not scenario.appointments.mix:
        raise ValueError("appointments.mix is needed when appointments.fill > 0")
    if max((p.stations for p in scenario.plan), default=0) > len(scenario.stations):
        raise ValueError("the plan opens more stations than the site has")


def load(path: str | Path) -> Scenario:
    with open(path, "rb") as handle:
        return parse(tomllib.load(handle))


def builtin_names() -> list[str]:
    """Names of the scenarios shipped in `schedq/simulation/scenarios/`."""
    folder = resources.files("schedq.simulation") / "scenarios"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def builtin(name: str) -> Scenario:
    """A shipped scenario by name (e.g. "rural")."""
    path = resources.files("schedq.simulation") / "scenarios" / f"{name}.toml"
    with path.open("rb") as handle:
        return parse(tomllib.load(handle))
