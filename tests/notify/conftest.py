"""The notification tests' site has Station 1 open."""

from __future__ import annotations

import pytest

from schedq.domain.enums import StationState
from schedq.services.queue import stations
from tests.conftest import MONDAY_8AM


@pytest.fixture
def site(site, make_uow):
    stations.set_station_state(
        make_uow(),
        station_id=site.station_ids["Station 1"],
        state=StationState.OPEN,
        actor="staff",
        now=MONDAY_8AM,
    )
    return site
