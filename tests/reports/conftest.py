"""A site's history built through the real use cases: two days of visits, then the report's range."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest

from schedq.domain.enums import StationState
from schedq.services import feedback, sites, tickets
from schedq.services.queue import calling, corrections, stations
from tests.conftest import MONDAY_8AM
from tests.queue.conftest import SECRET, STAFF, Q

MONDAY = date(2026, 3, 2)
TUESDAY = date(2026, 3, 3)
WEDNESDAY = date(2026, 3, 4)
SLA_MINUTES = 15
FORMULA_COMMENT = '=HYPERLINK("http://x.example","click")'
DASH_COMMENT = "-kind staff"


@dataclass
class Visit:
    """What the test knows of one ticket: its service and kind, as it made them."""

    id: int
    code: str
    service: str
    kind: str
    appointment_at: datetime | None = None


@dataclass
class History:
    visits: dict[str, Visit] = field(default_factory=dict)

    def add(self, name: str, view, service: str, kind: str, appointment_at: datetime | None = None) -> Visit:
        self.visits[name] = Visit(view.id, view.code, service, kind, appointment_at)
        return self.visits[name]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local wall time at the test site (America/Chicago, CST in early March) as UTC."""
    return MONDAY_8AM + timedelta(days=(day - MONDAY).days, hours=hour - 8, minutes=minute)


def _state(q: Q, name: str, state: StationState) -> None:
    stations.set_station_state(
        q.make_uow(), station_id=q.stations[name], state=state, actor=STAFF, now=q.clock()
    )


def build_history(q: Q, clock) -> History:
    """Monday and Tuesday at the test site; each step at a stated local time."""
    sites.update_site(q.make_uow(), site_id=q.site_id, sla_minutes=SLA_MINUTES)
    h = History()
    clock.set(at(MONDAY, 8))
    booking = q.book(at(MONDAY, 10))
    _state(q, "Station 1", StationState.OPEN)
    _state(q, "Station 2", StationState.OPEN)
    a = q.walk_in()
    h.add("A", a, "DRAW", "walk_in")
    clock.set(at(MONDAY, 8, 2))
    b = q.walk_in("UDS")
    h.add("B", b, "UDS", "walk_in")
    clock.set(at(MONDAY, 8, 3))
    c = q.remote()
    h.add("C", c, "DRAW", "remote")
    clock.set(at(MONDAY, 8, 5))
    assert q.call_next("Station 1").id == a.id
    clock.set(at(MONDAY, 8, 6))
    q.act(calling.start, a.id)
    clock.set(at(MONDAY, 8, 10))
    q.act(corrections.mark_present, c.id)
    clock.set(at(MONDAY, 8, 12))
    q.act(calling.complete, a.id)
    assert q.call_next("Station 1").id == c.id
    clock.set(at(MONDAY, 8, 13))
    q.act(calling.start, c.id)
    clock.set(at(MONDAY, 8, 20))
    q.act(calling.complete, c.id)
    clock.set(at(MONDAY, 8, 25))
    d = q.walk_in()
    h.add("D", d, "DRAW", "walk_in")
    clock.set(at(MONDAY, 8, 30))
    e = q.walk_in()
    h.add("E", e, "DRAW", "walk_in")
    clock.set(at(MONDAY, 8, 40))
    tickets.leave(q.make_uow(), ticket_id=b.id, token=b.token, secret_key=SECRET, now=clock())
    clock.set(at(MONDAY, 8, 50))
    assert q.call_next("Station 2").id == d.id
    clock.set(at(MONDAY, 8, 51))
    assert q.call_next("Station 1").id == e.id
    clock.set(at(MONDAY, 8, 55))
    q.act(calling.mark_no_show, e.id)
    clock.set(at(MONDAY, 8, 56))
    q.act(calling.start, d.id)
    clock.set(at(MONDAY, 9))
    _rate(q, a, 5, FORMULA_COMMENT)
    _rate(q, c, 3, None)
    clock.set(at(MONDAY, 9, 5))
    q.act(calling.complete, d.id)
    clock.set(at(MONDAY, 9, 10))
    f = q.walk_in()
    h.add("F", f, "DRAW", "walk_in")
    clock.set(at(MONDAY, 9, 11))
    q.act(corrections.cancel, f.id, reason="wrong site")
    clock.set(at(MONDAY, 9, 30))
    _state(q, "Station 2", StationState.CLOSED)
    clock.set(at(MONDAY, 9, 45))
    g = q.check_in(booking.reference)  # early: waits from 10:00
    h.add("G", g, "DRAW", "appointment", appointment_at=at(MONDAY, 10))
    clock.set(at(MONDAY, 10, 4))
    assert q.call_next("Station 1").id == g.id
    clock.set(at(MONDAY, 10, 5))
    q.act(calling.start, g.id)
    clock.set(at(MONDAY, 10, 15))
    q.act(calling.complete, g.id)
    clock.set(at(MONDAY, 11))
    _state(q, "Station 1", StationState.CLOSED)

    clock.set(at(TUESDAY, 8))
    _state(q, "Station 1", StationState.OPEN)
    k = q.walk_in()
    h.add("K", k, "DRAW", "walk_in")
    clock.set(at(TUESDAY, 8, 1))
    assert q.call_next("Station 1").id == k.id
    clock.set(at(TUESDAY, 8, 2))
    q.act(calling.start, k.id)
    clock.set(at(TUESDAY, 8, 10))
    q.act(calling.complete, k.id)
    clock.set(at(TUESDAY, 8, 15))
    _rate(q, k, 4, DASH_COMMENT)
    clock.set(at(TUESDAY, 8, 30))
    _state(q, "Station 1", StationState.CLOSED)
    return h


def _rate(q: Q, view, rating: int, comment: str | None) -> None:
    feedback.leave_feedback(
        q.make_uow(),
        ticket_id=view.id,
        token=view.token,
        secret_key=SECRET,
        rating=rating,
        comment=comment,
        now=q.clock(),
    )


@pytest.fixture
def q(make_uow, clock, site) -> Q:
    return Q(make_uow, clock, site)


@pytest.fixture
def history(q, clock) -> History:
    return build_history(q, clock)
