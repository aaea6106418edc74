"""Fitting the site model from visit records."""

import json
import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from schedq.estimator import FittedModel, ServiceTimeModel, VisitRecord, fit

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # a Monday
FITTED_AT = datetime(2025, 4, 1, tzinfo=UTC)


def served(service: str, minutes: float, start: datetime = T0) -> VisitRecord:
    return VisitRecord(
        service,
        "walk_in",
        start,
        called_at=start,
        started_at=start,
        completed_at=start + timedelta(minutes=minutes),
    )


def appointment(offset_minutes: float | None, at: datetime = T0) -> VisitRecord:
    if offset_minutes is None:
        return VisitRecord("DRAW", "appointment", None, appointment_at=at, no_show=True)
    return VisitRecord("DRAW", "appointment", at + timedelta(minutes=offset_minutes), appointment_at=at)


def test_recovers_lognormal_service_time_from_plenty_of_records():
    durations = np.exp(np.random.default_rng(0).normal(math.log(7.0), 0.5, 5000))
    model = fit([served("DRAW", d) for d in durations], service_defaults={"DRAW": 20.0})
    draw = model.services["DRAW"]
    assert draw.mu == pytest.approx(math.log(7.0), abs=0.02)
    assert draw.sigma == pytest.approx(0.5, abs=0.02)
    assert draw.n_observations == 5000


def test_few_records_stay_close_to_the_service_default():
    prior = ServiceTimeModel.from_mean(20.0, 0.4)
    model = fit([served("DRAW", 5.0)] * 3, service_defaults={"DRAW": 20.0}, prior_weight=20)
    draw = model.services["DRAW"]
    assert draw.mu == pytest.approx((20 * prior.mu + 3 * math.log(5.0)) / 23)
    assert draw.mean_minutes > 15.0


def test_without_records_the_model_is_the_prior():
    model = fit([], service_defaults={"DRAW": 8.0, "GTT": 30.0}, fitted_at=FITTED_AT)
    prior = FittedModel.from_defaults({"DRAW": 8.0, "GTT": 30.0})
    assert model.services == prior.services
    assert model.no_show_rate == pytest.approx(0.1)


def test_recovers_no_show_rate_and_lateness():
    rng = np.random.default_rng(1)
    offsets = rng.normal(-18.0, 6.0, 4000)
    no_show = rng.random(4000) < 0.15
    records = [appointment(None if gone else off) for off, gone in zip(offsets, no_show)]
    model = fit(records, service_defaults={"DRAW": 8.0})
    assert model.no_show_rate == pytest.approx(0.15, abs=0.015)
    assert model.lateness.mean_minutes == pytest.approx(-18.0, abs=0.5)
    assert model.lateness.sd_minutes == pytest.approx(6.0, abs=0.5)


def test_few_appointments_shrink_no_show_rate_toward_the_prior():
    model = fit([appointment(None)] * 2, service_defaults={"DRAW": 8.0}, prior_weight=20)
    assert model.no_show_rate == pytest.approx((20 * 0.1 + 2) / 22)


def test_walk_in_rates_by_local_weekday_and_half_hour():
    paris = ZoneInfo("Europe/Paris")
    records = []
    for week in range(4):  # four Mondays: three arrivals 09:00–09:30 Paris time each
        monday = datetime(2025, 3, 3, 9, 5, tzinfo=paris) + timedelta(weeks=week)
        records += [
            VisitRecord("DRAW", "walk_in", (monday + timedelta(minutes=5 * i)).astimezone(UTC))
            for i in range(3)
        ]
    records.append(VisitRecord("UDS", "remote", datetime(2025, 3, 5, 14, 40, tzinfo=paris).astimezone(UTC)))
    model = fit(
        records,
        service_defaults={"DRAW": 8.0, "UDS": 12.0},
        tz="Europe/Paris",
        period=(date(2025, 3, 3), date(2025, 3, 30)),
    )
    assert model.walk_in_rate_per_hour[0][18] == pytest.approx(6.0)
    assert model.walk_in_rate_per_hour[2][29] == pytest.approx(0.5)
    assert sum(map(sum, model.walk_in_rate_per_hour)) == pytest.approx(6.5)
    assert model.history_days == 28
    assert model.walk_in_service_mix["DRAW"] > model.walk_in_service_mix["UDS"]
    assert sum(model.walk_in_service_mix.values()) == pytest.approx(1.0)


def test_model_round_trips_through_json():
    records = [served("DRAW", 6.0 + i % 5) for i in range(50)] + [appointment(-12.0), appointment(None)]
    model = fit(
        records, service_defaults={"DRAW": 8.0, "GTT": 30.0}, tz="America/New_York", fitted_at=FITTED_AT
    )
    restored = FittedModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert restored == model


def test_from_dict_rejects_unknown_format():
    data = FittedModel.from_defaults({"DRAW": 8.0}).to_dict()
    data["version"] = 99
    with pytest.raises(ValueError):
        FittedModel.from_dict(data)
