"""A site whose model was fitted from history: a steady walk-in profile on weekdays, 07:00–17:00 local."""

from __future__ import annotations

from dataclasses import replace

import pytest

from schedq.db.models import EstimatorModelRecord
from schedq.estimator import FittedModel, ServiceTimeModel

WALK_INS_PER_HOUR = 20.0


def weekday_profile(per_hour: float) -> tuple[tuple[float, ...], ...]:
    """`per_hour` walk-ins from 07:00 to 17:00 local, Monday to Friday; none otherwise."""
    return tuple(
        tuple(per_hour if weekday < 5 and 14 <= half < 34 else 0.0 for half in range(48))
        for weekday in range(7)
    )


def fitted_model(clock, per_hour: float = WALK_INS_PER_HOUR) -> FittedModel:
    return replace(
        FittedModel(
            services={
                "DRAW": ServiceTimeModel.from_mean(6.0, 0.5),
                "UDS": ServiceTimeModel.from_mean(10.0, 0.5),
                "GTT": ServiceTimeModel.from_mean(12.0, 0.5),
            },
            walk_in_rate_per_hour=weekday_profile(per_hour),
            walk_in_service_mix={"DRAW": 0.8, "UDS": 0.2},
        ),
        fitted_at=clock(),
        history_days=40,
    )


@pytest.fixture
def app(app):
    app.config["STAFFING_REPLICATIONS"] = 60  # enough to exercise the search, quick for the suite
    return app


@pytest.fixture
def fitted_site(site, make_uow, clock):
    """The conftest `site` with a stored fitted model."""
    with make_uow() as uow:
        uow.session.add(
            EstimatorModelRecord(
                site_id=site.site_id, fitted_at=clock(), visit_count=800, model=fitted_model(clock).to_dict()
            )
        )
        uow.commit()
    return site
