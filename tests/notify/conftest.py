"""The notification tests' site has Station 1 open; `mailbox` is a real SMTP server on a local port."""

from __future__ import annotations

import pytest

from schedq.domain.enums import StationState
from schedq.services.queue import stations
from tests.conftest import MONDAY_8AM
from tests.notify.servers import SmtpServer


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


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.handler.hold_quit = False
    server.stop()


@pytest.fixture
def mailbox(smtp_server):
    """(the Mailbox, its port)."""
    return smtp_server.handler, smtp_server.port
