"""Helpers for queue tests: joining, booking and opening stations as use cases do."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from schedq.domain.enums import StationState
from schedq.services import appointments, tickets
from schedq.services.queue import calling, listing, stations, views
from schedq.services.rate_limits import TableCounters

SECRET = "test-secret"
STAFF = "staff:test"


class Q:
    """The queue use cases with the test clock and secret filled in."""

    def __init__(self, make_uow, clock, site) -> None:
        self.make_uow, self.clock, self.site = make_uow, clock, site
        self.site_id = site.site_id
        self.stations = site.station_ids

    def walk_in(self, service: str = "DRAW", *, site_id: int | None = None) -> views.TicketView:
        return tickets.join_walk_in(
            self.make_uow(),
            site_id=site_id or self.site_id,
            service_code=service,
            actor="kiosk",
            now=self.clock(),
            secret_key=SECRET,
        )

    def remote(
        self,
        service: str = "DRAW",
        *,
        name: str = "Remo Te",
        phone: str | None = "+1 201 555 0100",
        email: str | None = None,
        arrive_in_minutes: int = 20,
        address: str | None = "10.0.0.1",
    ) -> views.TicketView:
        return tickets.join_remote(
            self.make_uow(),
            site_id=self.site_id,
            service_code=service,
            contact=tickets.Contact(name, phone, email),
            expected_arrival_at=self.clock() + timedelta(minutes=arrive_in_minutes),
            client_address=address,
            counters=TableCounters(),
            now=self.clock(),
            secret_key=SECRET,
        )

    def book(
        self,
        starts_at: datetime,
        *,
        service: str = "DRAW",
        name: str = "Ann Booked",
        phone: str = "+1 201 555 0199",
        email: str | None = None,
    ):
        return appointments.book(
            self.make_uow(),
            site_id=self.site_id,
            service_code=service,
            starts_at=starts_at,
            contact=appointments.Contact(name, phone, email),
            now=self.clock(),
            secret_key=SECRET,
        )

    def check_in(self, reference: str) -> views.TicketView:
        return tickets.check_in(
            self.make_uow(),
            reference=reference,
            site_id=self.site_id,
            actor="kiosk",
            now=self.clock(),
            secret_key=SECRET,
        )

    def open(self, *names: str) -> None:
        for name in names or self.stations:
            stations.set_station_state(
                self.make_uow(),
                station_id=self.stations[name],
                state=StationState.OPEN,
                actor=STAFF,
                now=self.clock(),
            )

    def call_next(self, station: str = "Station 1") -> views.TicketView:
        return calling.call_next(
            self.make_uow(), station_id=self.stations[station], actor=STAFF, now=self.clock()
        )

    def act(self, use_case, ticket_id: int, **kwargs) -> views.TicketView:
        return use_case(self.make_uow(), ticket_id=ticket_id, actor=STAFF, now=self.clock(), **kwargs)

    def queue(self) -> listing.QueueView:
        return listing.list_queue(self.make_uow(write=False), site_id=self.site_id, now=self.clock())

    def ticket(self, ticket_id: int) -> views.TicketView:
        return tickets.get_ticket(
            self.make_uow(write=False), ticket_id=ticket_id, token=None, secret_key=SECRET, now=self.clock()
        )


@pytest.fixture
def q(make_uow, clock, site) -> Q:
    return Q(make_uow, clock, site)
