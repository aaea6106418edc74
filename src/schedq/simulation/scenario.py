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

Walk-in profile entries outside the opening hours (before opening, over a
lunch closure) are people who come while the site is closed: they try the
kiosk, and if the service refuses them they wait outside and join when the
site reopens, or leave with probability `walk_ins.leave_when_closed`.

Staff deviations from the plan (all optional; each day draws its own,
independently and reproducibly from `deviations.seed` and the date):

    history_days = 3                  # open days of history before the scored days (benchmark)

    [deviations]
    seed = 11
    late_opening = { probability = 0.3, minutes = [5, 20] }   # stations open late at the start of the day
    late_reopening = { probability = 0.3, minutes = [5, 15] } # ... and after a closure (lunch)
    late_to_closure = { probability = 0.5, minutes = [2, 8] } # keep calling past a closure's start
    sick_call = { probability = 0.2, until = "13:00" }        # one planned station missing (no "until": all day)
    extra_station = { probability = 0.2, starts = "07:30", ends = "09:30" }  # one station beyond the plan
    closed_open_days = [7]            # the 8th open day from the first simulated one is closed (a closure)
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

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
class DayDeviations:
    """How staff strayed from the plan on one day (zero minutes / False: as planned)."""

    late_opening_minutes: float = 0.0
    late_reopening_minutes: float = 0.0
    late_to_closure_minutes: float = 0.0
    sick_call: bool = False
    extra_station: bool = False

    def tags(self) -> tuple[str, ...]:
        """Names of the deviations of the day, for reports ("as planned" when none)."""
        tags = [
            name
            for name, happened in (
                ("late opening", self.late_opening_minutes > 0),
                ("late reopening", self.late_reopening_minutes > 0),
                ("late to closure", self.late_to_closure_minutes > 0),
                ("sick call", self.sick_call),
                ("extra station", self.extra_station),
            )
            if happened
        ]
        return tuple(tags) or ("as planned",)


@dataclass(frozen=True, slots=True)
class DeviationSpec:
    """How often, and by how much, staff stray from the capacity plan (each day drawn on its own)."""

    seed: int = 0
    late_opening_probability: float = 0.0
    late_opening_minutes: tuple[float, float] = (5.0, 20.0)
    late_reopening_probability: float = 0.0
    late_reopening_minutes: tuple[float, float] = (5.0, 15.0)
    late_to_closure_probability: float = 0.0
    late_to_closure_minutes: tuple[float, float] = (2.0, 8.0)
    sick_call_probability: float = 0.0
    sick_call_until: time | None = None  # None: the station is missing all day
    extra_station_probability: float = 0.0
    extra_station_starts: time = time(0)
    extra_station_ends: time = time(23, 59)
    closed_open_days: tuple[int, ...] = ()  # indexes of open days (from the first simulated day) closed

    def draw(self, day: date) -> DayDeviations:
        """The deviations of local `day`: the same for the same seed and date, whatever else is drawn."""
        rng = np.random.default_rng([self.seed, day.toordinal()])

        def minutes(probability: float, bounds: tuple[float, float]) -> float:
            happens, amount = rng.random() < probability, float(rng.uniform(*bounds))
            return round(amount, 1) if happens else 0.0

        late_opening = minutes(self.late_opening_probability, self.late_opening_minutes)
        late_reopening = minutes(self.late_reopening_probability, self.late_reopening_minutes)
        late_to_closure = minutes(self.late_to_closure_probability, self.late_to_closure_minutes)
        return DayDeviations(
            late_opening_minutes=late_opening,
            late_reopening_minutes=late_reopening,
            late_to_closure_minutes=late_to_closure,
            sick_call=bool(rng.random() < self.sick_call_probability),
            extra_station=bool(rng.random() < self.extra_station_probability),
        )


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
    deviations: DeviationSpec = DeviationSpec()
    walk_in_leave_when_closed: float = 0.0  # share of walk-ins refused while closed who go home
    history_days: int | None = None  # open days of history the benchmark gives the site (None: its default)
    slot_minutes: int = 15
    grace_minutes: int = 15
    walk_in_cutoff_minutes: int = 30

    # Derived configuration ----------------------------------------------------------

    def weekly_hours(self) -> list[WeeklyInterval]:
        return [WeeklyInterval(d, o, c) for d in self.weekdays for o, c in self.hours]

    def plan_blocks(self) -> list[PlanBlock]:
        return [
            PlanBlock(d, p.starts, p.ends, p.stations, p.seats_per_slot)
            for d in self.weekdays
            for p in self.plan
        ]

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
        return tuple(
            self.walk_in_rate_per_hour(time(h // 2, 30 * (h % 2))) for h in range(HALF_HOURS_PER_DAY)
        )

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


def _deviations(raw: dict[str, Any]) -> DeviationSpec:
    def chance(key: str) -> tuple[float, tuple[float, float] | None]:
        entry = raw.get(key, {})
        bounds = entry.get("minutes")
        return float(entry.get("probability", 0.0)), (float(bounds[0]), float(bounds[1])) if bounds else None

    defaults = DeviationSpec()
    fields_: dict[str, Any] = {"seed": int(raw.get("seed", 0))}
    for key in ("late_opening", "late_reopening", "late_to_closure"):
        probability, bounds = chance(key)
        fields_[f"{key}_probability"] = probability
        fields_[f"{key}_minutes"] = bounds or getattr(defaults, f"{key}_minutes")
    sick = raw.get("sick_call", {})
    fields_["sick_call_probability"] = float(sick.get("probability", 0.0))
    fields_["sick_call_until"] = _time(sick["until"]) if "until" in sick else None
    extra = raw.get("extra_station", {})
    fields_["extra_station_probability"] = float(extra.get("probability", 0.0))
    fields_["extra_station_starts"] = _time(extra.get("starts", "00:00"))
    fields_["extra_station_ends"] = _time(extra.get("ends", "23:59"))
    fields_["closed_open_days"] = tuple(int(i) for i in raw.get("closed_open_days", []))
    return DeviationSpec(**fields_)


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
                PlanSpec(
                    _time(p["starts"]), _time(p["ends"]), int(p["stations"]), int(p.get("seats_per_slot", 0))
                )
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
            deviations=_deviations(data.get("deviations", {})),
            walk_in_leave_when_closed=float(walk_ins.get("leave_when_closed", 0.0)),
            history_days=int(data["history_days"]) if "history_days" in data else None,
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
    for label, mix in (
        ("walk_ins.mix", scenario.walk_in_mix),
        ("appointments.mix", scenario.appointments.mix),
    ):
        if set(mix) - codes:
            raise ValueError(f"{label}: unknown services {sorted(set(mix) - codes)}")
    for spec in scenario.services:
        if not (spec.mean_minutes > 0 and spec.cv > 0 and math.isfinite(spec.cv)):
            raise ValueError(f"service {spec.code}: mean_minutes and cv must be positive")
    if scenario.appointments.fill > 0 and not scenario.appointments.mix:
        raise ValueError("appointments.mix is needed when appointments.fill > 0")
    if max((p.stations for p in scenario.plan), default=0) > len(scenario.stations):
        raise ValueError("the plan opens more stations than the site has")
    d = scenario.deviations
    probabilities = (
        d.late_opening_probability,
        d.late_reopening_probability,
        d.late_to_closure_probability,
        d.sick_call_probability,
        d.extra_station_probability,
        scenario.walk_in_leave_when_closed,
    )
    if not all(0.0 <= p <= 1.0 for p in probabilities):
        raise ValueError("deviation probabilities and walk_ins.leave_when_closed must be between 0 and 1")
    for label, (low, high) in (
        ("late_opening", d.late_opening_minutes),
        ("late_reopening", d.late_reopening_minutes),
        ("late_to_closure", d.late_to_closure_minutes),
    ):
        if not 0 <= low <= high:
            raise ValueError(f"deviations.{label}.minutes must be [low, high] with 0 <= low <= high")
    if scenario.history_days is not None and scenario.history_days < 1:
        raise ValueError("history_days must be at least 1")


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
