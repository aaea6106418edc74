"""Whole site-days of a scenario, played through the real service layer with a simulated clock.

The simulated clock is the `now=` every use case takes. A `SiteWorld` owns the
database and the site; each `SimulatedDay` books that day's appointments the
evening before (`appointments.book`), then plays events in time order:

- walk-ins arrive as a non-homogeneous Poisson process (the scenario's rate,
  piecewise constant by half hour) and join at the kiosk (`tickets.join_walk_in`);
- booked patients come at appointment time + lateness, or never (no-show),
  and check in (`tickets.check_in`);
- walk-ins who come while the site is closed (profile entries before opening
  or over a lunch closure) try the kiosk; a patient the service refuses then
  waits outside and tries again when the site reopens (a walk-in may leave
  instead, `Scenario.walk_in_leave_when_closed`); every refusal is recorded
  in `SimulatedDay.refusals`;
- stations open and pause at the boundaries of the day's ACTUAL staffing
  (`SimulatedDay.staffing`): the capacity plan with the day's staff
  deviations (`scenario.DayDeviations`: a late opening or reopening, calls
  past a closure's start, a sick call, an extra station) applied by
  `actual_staffing`; a station to be paused finishes its patient first; the
  most skilled stations are the ones kept open (the estimator's rule); after
  the last block the open stations serve the line out;
- a free open station calls the next patient (`calling.call_next`), starts at
  once (`calling.start`) and completes after the patient's TRUE service time,
  drawn from the scenario's lognormal (`calling.complete`);
- once nobody is left, staff close the day (`closing.close_day`).

The world is not alone (the live demo's staff console and API act beside it):
before each event it re-reads the site's line, open stations and who is at
each station from the database, and acts no earlier than the last thing that
happened there. A start or completion it planned applies only if the ticket is
still where it left it; a patient someone else called or started is taken over
and served; a refused call or station change is skipped. A day may also be
joined under way (`resume_at`): the tickets already there stay and are served,
the day's booked appointments still to come check in, and only what is due
from then on plays, so nothing is played twice.

Callers observe through `on_join(day, patient, ticket_view, now)`, called
right after each join and before any station reacts, and may step the day
with `advance_to(instant)` (a live demo) or play it out with `run()`.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select

from schedq import estimator
from schedq.db.engine import Database
from schedq.db.models import Appointment, Service, Station, Ticket, VisitEvent
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import AppointmentStatus, StationState, TicketStatus
from schedq.domain.errors import Conflict, NotFound
from schedq.domain.tickets import ACTIVE
from schedq.services import appointments, sites, tickets
from schedq.services.estimates.snapshot import build_snapshot, staffing_blocks
from schedq.services.queue import calling, closing, line, stations, views

from .scenario import DayDeviations, Scenario

SECRET_KEY = "simulation"
STAFF = "staff:simulation"
KIOSK = "kiosk"
BOOKING_WALL_TIME = time(20, 0)
"""Appointments are booked at this local time the evening before their day."""

_PLAN, _COMPLETE, _ARRIVE = 0, 1, 2  # order of simultaneous events


def _phone(day: date, n: int) -> str:
    """A valid US number of its own for the day's n-th booked patient (a site keeps phones in E.164)."""
    return f"+1201{200 + day.timetuple().tm_yday:03d}{n:04d}"


@dataclass(slots=True)
class Patient:
    """One simulated patient: what they come for, when, and how long their service truly takes."""

    kind: str  # "walk_in" or "appointment"
    service_code: str
    arrives_at: datetime | None  # None: an appointment that never comes
    duration_minutes: float
    appointment_at: datetime | None = None
    reference: str | None = None
    ticket_id: int | None = None
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A join or check-in the service refused, and what the patient did about it."""

    at: datetime
    kind: str
    message: str
    while_closed: bool  # outside the site's opening intervals
    retry_at: datetime | None  # when they try again (None: they left)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A ticket of the day as the service layer recorded it."""

    ticket_id: int
    kind: str
    service_code: str
    status: str
    joined_at: datetime
    wait_start: datetime
    called_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    station_id: int | None
    actual_wait_minutes: float | None
    promised: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Visit:
    """A patient at a station whose start or completion the world has planned."""

    station_id: int
    ticket_id: int
    number: int  # a later visit at the same station supersedes this one


JoinHook = Callable[["SimulatedDay", Patient, views.TicketView, datetime], None]


class SiteWorld:
    """A scenario's site in a database, across as many simulated days as asked."""

    def __init__(self, scenario: Scenario, database: Database, *, rng: np.random.Generator) -> None:
        self.scenario = scenario
        self.database = database
        self.rng = rng
        self.tz = schedule.zone(scenario.timezone)
        self.site_id: int
        self.station_ids: list[int] = []  # preferred order: most skills first, then creation order
        self.skills: dict[int, frozenset[str]] = {}
        self.closed_dates: set[date] = set()

    def uow(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.database, write=write)

    def setup(self, *, now: datetime, slug: str | None = None) -> int:
        """Create the scenario's services (those missing), site, hours, capacity plan and stations."""
        s = self.scenario
        known = {service.code for service in sites.list_services(self.uow(write=False))}
        for spec in s.services:
            if spec.code not in known:
                sites.create_service(
                    self.uow(),
                    code=spec.code,
                    name=spec.name,
                    default_minutes=spec.default_minutes,
                    bookable=spec.bookable,
                    walk_in_allowed=spec.walk_in_allowed,
                    preparation="",
                )
        site = sites.create_site(
            self.uow(),
            slug=slug or s.name,
            now=now,
            name=f"{s.name} (simulated)",
            address="simulated",
            timezone=s.timezone,
            grace_minutes=s.grace_minutes,
            walk_in_cutoff_minutes=s.walk_in_cutoff_minutes,
            min_lead_minutes=30,
            booking_horizon_days=30,
        )
        self.site_id = site.id
        sites.set_hours(self.uow(), site_id=site.id, intervals=s.weekly_hours())
        sites.set_capacity_plan(
            self.uow(), site_id=site.id, slot_minutes=s.slot_minutes, blocks=s.plan_blocks()
        )
        created = []
        for index, station_spec in enumerate(s.stations):
            station = sites.create_station(
                self.uow(), site_id=site.id, name=station_spec.name, service_codes=station_spec.services
            )
            created.append((-len(station_spec.services), index, station.id, frozenset(station_spec.services)))
        self.station_ids = [station_id for *_, station_id, _ in sorted(created)]
        self.skills = {station_id: skills for *_, station_id, skills in created}
        return site.id

    def close_dates(self, first: date, *, now: datetime) -> list[date]:
        """Declare the scenario's closed dates (`deviations.closed_open_days`, counted in open days from
        `first`) as site closures at `now`, inside the booking horizon: nobody books or walks in on them."""
        indexes = set(self.scenario.deviations.closed_open_days)
        if not indexes:
            return []
        candidates = self.open_days(first, max(indexes) + 1)
        today = now.astimezone(self.tz).date()
        for index in sorted(indexes):
            sites.add_closure(
                self.uow(),
                site_id=self.site_id,
                day=candidates[index],
                reason="closed (simulated)",
                today=today,
            )
            self.closed_dates.add(candidates[index])
        return sorted(self.closed_dates)

    def is_open(self, day: date) -> bool:
        return day.weekday() in self.scenario.weekdays and day not in self.closed_dates

    def local(self, day: date, wall: time) -> datetime:
        return schedule.local_instant(day, wall, self.tz)

    def day(self, day: date, *, on_join: JoinHook | None = None) -> SimulatedDay:
        return SimulatedDay(self, day, on_join=on_join)

    def open_days(self, first: date, count: int) -> list[date]:
        """The next `count` days the site opens, from `first` on."""
        days: list[date] = []
        day = first
        while len(days) < count:
            if self.is_open(day):
                days.append(day)
            day += timedelta(days=1)
        return days


class SimulatedDay:
    """One site-day: its patients drawn from the scenario, its events played through the use cases."""

    def __init__(
        self,
        world: SiteWorld,
        day: date,
        *,
        on_join: JoinHook | None = None,
        walk_minutes: tuple[float, float] | None = None,
        resume_at: datetime | None = None,
    ) -> None:
        """`walk_minutes`: a called patient starts after a walk drawn uniformly from
        this range (as a lobby sees it); None starts service at the call.
        `resume_at`: join the day under way at that instant instead of from its start."""
        self.world = world
        self.day = day
        self.on_join = on_join
        self.walk_minutes = walk_minutes
        self.rng = world.rng
        self.now = world.local(day, time(0))
        self.closed = False
        self.events: list[tuple[datetime, int, int, str, Any]] = []
        self._seq = itertools.count()
        self.patients: list[Patient] = []
        self.by_ticket: dict[int, Patient] = {}
        self.waiting: dict[int, str] = {}  # ticket id -> service code, present and not yet called
        self.open: set[int] = set()
        self.busy: dict[int, int] = {}  # station id -> ticket id
        self.pause_after: set[int] = set()
        self.visits: dict[int, Visit] = {}  # station id -> the visit there the world has planned
        self._visit_numbers = itertools.count()
        self.last_called_wait_minutes: float | None = None
        self.planned_stations = 0
        self.refusals: list[Refusal] = []
        self.station_log: list[tuple[datetime, int, StationState]] = []  # (when, station id, new state)
        with world.uow(write=False) as uow:
            site = sites.load_site(uow, world.site_id)
            self.blocks = staffing_blocks(site, day)  # the plan
            self.closes_at = schedule.closing_time(
                day, sites.hours_of(site), world.tz, sites.closures_of(site)
            )
            self.intervals = schedule.opening_intervals(
                day, sites.hours_of(site), world.tz, sites.closures_of(site)
            )
        self.deviations = world.scenario.deviations.draw(day) if self.intervals else DayDeviations()
        if len(self.intervals) < 2:  # no closure inside the day to be late to or back from
            self.deviations = replace(
                self.deviations, late_reopening_minutes=0.0, late_to_closure_minutes=0.0
            )
        self.staffing = actual_staffing(
            self.blocks,
            self.deviations,
            world.scenario,
            day=day,
            tz=world.tz,
            station_count=len(world.station_ids),
        )
        if resume_at is None:
            self._book()
        else:
            self.now = resume_at
            self._expect_booked()
        self._draw_walk_ins()
        self._schedule_plan()
        if resume_at is not None:
            self._forget_before(resume_at)

    # Drawing the day ---------------------------------------------------------------------

    def _duration(self, code: str) -> float:
        return float(self.world.scenario.service(code).true_model.sample(self.rng, 1)[0])

    def _pick(self, mix: dict[str, float]) -> str:
        codes = sorted(mix)
        return codes[int(self.rng.choice(len(codes), p=np.array([mix[c] for c in codes])))]

    def _book(self) -> None:
        """Book the day's seats the evening before; draw each booked patient's lateness or no-show."""
        spec = self.world.scenario.appointments
        if spec.fill <= 0 or not self.intervals:
            return
        booked_at = self.world.local(self.day - timedelta(days=1), BOOKING_WALL_TIME)
        mix = spec.mix
        any_code = sorted(mix)[0]
        slots = appointments.list_slots(
            self.world.uow(write=False),
            site_id=self.world.site_id,
            service_code=any_code,
            first_day=self.day,
            last_day=self.day,
            now=booked_at,
        )
        number = itertools.count(1)
        for slot in slots:
            for _ in range(slot.remaining):
                if self.rng.random() >= spec.fill:
                    continue
                code = self._pick(mix)
                n = next(number)
                booking = appointments.book(
                    self.world.uow(),
                    site_id=self.world.site_id,
                    service_code=code,
                    starts_at=slot.starts_at,
                    contact=appointments.Contact(f"Patient {self.day:%m%d}-{n}", _phone(self.day, n)),
                    now=booked_at,
                    secret_key=SECRET_KEY,
                )
                no_show = self.rng.random() < spec.no_show_rate
                lateness = self.rng.normal(spec.lateness_mean_minutes, spec.lateness_sd_minutes)
                arrives = None if no_show else slot.starts_at + timedelta(minutes=float(lateness))
                patient = Patient(
                    "appointment", code, arrives, self._duration(code), slot.starts_at, booking.reference
                )
                self.patients.append(patient)
                if arrives is not None:
                    self._push(max(arrives, self.now), _ARRIVE, "arrive", patient)

    def _expect_booked(self) -> None:
        """Joining a day under way: the day's appointments still booked come, unless their time has passed."""
        spec = self.world.scenario.appointments
        opens, closes = (
            self.world.local(self.day, time(0)),
            self.world.local(self.day + timedelta(days=1), time(0)),
        )
        with self.world.uow(write=False) as uow:
            booked = list(
                uow.session.execute(
                    select(Appointment.reference, Appointment.starts_at, Service.code)
                    .join(Service, Service.id == Appointment.service_id)
                    .where(
                        Appointment.site_id == self.world.site_id,
                        Appointment.status == AppointmentStatus.BOOKED,
                        Appointment.starts_at >= opens,
                        Appointment.starts_at < closes,
                    )
                    .order_by(Appointment.starts_at, Appointment.id)
                )
            )
        for reference, starts_at, code in booked:
            no_show = self.rng.random() < spec.no_show_rate
            lateness = self.rng.normal(spec.lateness_mean_minutes, spec.lateness_sd_minutes)
            arrives = starts_at + timedelta(minutes=float(lateness))
            if no_show or arrives < self.now:
                continue
            patient = Patient("appointment", code, arrives, self._duration(code), starts_at, reference)
            self.patients.append(patient)
            self._push(arrives, _ARRIVE, "arrive", patient)

    def _draw_walk_ins(self) -> None:
        """Non-homogeneous Poisson arrivals: Poisson counts per half hour, uniform within it.

        Within the opening intervals first; then, where the profile has people
        coming while the site is closed (before opening, over a closure), those."""
        s = self.world.scenario
        if not s.walk_in_mix or not self.intervals:
            return
        for opens, closes in self.intervals:
            self._draw_walk_ins_between(opens, closes)
        first_entry = min((starts for starts, _ in s.walk_in_profile), default=None)
        before = self.world.local(self.day, first_entry) if first_entry is not None else self.intervals[0][0]
        closed = [(before, self.intervals[0][0])] + [
            (ends, next_opens) for (_, ends), (next_opens, _) in zip(self.intervals, self.intervals[1:])
        ]
        for starts, ends in closed:
            self._draw_walk_ins_between(starts, ends, skip_idle=True)

    def _draw_walk_ins_between(self, starts: datetime, ends: datetime, *, skip_idle: bool = False) -> None:
        s = self.world.scenario
        at = starts
        while at < ends:
            end = min(at + timedelta(minutes=30), ends)
            rate = s.walk_in_rate_per_hour(at.astimezone(self.world.tz).time())
            if rate > 0 or not skip_idle:
                minutes = (end - at).total_seconds() / 60
                count = int(self.rng.poisson(rate * minutes / 60))
                for offset in np.sort(self.rng.uniform(0, minutes, count)):
                    code = self._pick(s.walk_in_mix)
                    arrives_at = at + timedelta(minutes=float(offset))
                    patient = Patient("walk_in", code, arrives_at, self._duration(code))
                    self.patients.append(patient)
                    self._push(arrives_at, _ARRIVE, "arrive", patient)
            at = end

    def _schedule_plan(self) -> None:
        """Targets for open stations at each boundary of the actual staffing; after its last block
        the line is served out."""
        starts = {b.starts_at for b in self.staffing}
        for index, block in enumerate(self.staffing):
            self._push(block.starts_at, _PLAN, "plan", block.stations)
            last = index == len(self.staffing) - 1
            if not last and block.ends_at not in starts:
                self._push(block.ends_at, _PLAN, "plan", 0)

    def _push(self, at: datetime, order: int, kind: str, payload: Any) -> None:
        heapq.heappush(self.events, (at, order, next(self._seq), kind, payload))

    def _forget_before(self, instant: datetime) -> None:
        """Drop what was due before `instant`: those patients came (or not) before the world looked,
        and of each other kind of event only the latest still holds (the plan's current block)."""
        kept = []
        latest: dict[str, tuple[datetime, int, int, str, Any]] = {}
        for event in self.events:
            at, _, _, kind, payload = event
            if at >= instant:
                kept.append(event)
            elif kind == "arrive":
                self.patients.remove(payload)
            elif kind not in latest or event[:3] > latest[kind][:3]:
                latest[kind] = event
        self.events = kept + list(latest.values())
        heapq.heapify(self.events)

    # Playing it ----------------------------------------------------------------------------

    def advance_to(self, instant: datetime) -> None:
        """Apply every event due up to `instant` (and the calls free stations make then)."""
        while self.events and self.events[0][0] <= instant:
            at, _, _, kind, payload = heapq.heappop(self.events)
            self.now = max(self.now, at)
            self._sync()
            getattr(self, f"_on_{kind}")(payload)
            self._dispatch()
        self.now = max(self.now, instant)
        if not self.closed:
            # Staff may have freed a station or sent someone back to the line since the last event.
            self._sync()
            self._dispatch()

    def _sync(self) -> None:
        """Re-read the line, the open stations and who is at each station; take over visits nobody plans."""
        site_id = self.world.site_id
        with self.world.uow(write=False) as uow:
            active = uow.session.execute(
                select(
                    Ticket.id,
                    Ticket.status,
                    Ticket.present,
                    Ticket.station_id,
                    Ticket.started_at,
                    Service.code,
                )
                .join(Service, Service.id == Ticket.service_id)
                .where(Ticket.site_id == site_id, Ticket.status.in_([s.value for s in ACTIVE]))
                .order_by(Ticket.id)
            ).all()
            self.open = set(
                uow.session.scalars(
                    select(Station.id).where(Station.site_id == site_id, Station.state == StationState.OPEN)
                )
            )
            last_event_at = uow.session.scalar(
                select(func.max(VisitEvent.at)).where(VisitEvent.site_id == site_id)
            )
        if last_event_at is not None:
            self.now = max(self.now, last_event_at)  # never act before what already happened
        self.waiting = {
            row.id: row.code for row in active if row.status is TicketStatus.WAITING and row.present
        }
        self.busy = {
            row.station_id: row.id
            for row in active
            if row.station_id is not None and row.status is not TicketStatus.WAITING
        }
        for row in active:
            planned = self.visits.get(row.station_id)
            if (
                row.station_id is None
                or row.status is TicketStatus.WAITING
                or (planned and planned.ticket_id == row.id)
            ):
                continue
            visit = self._new_visit(row.station_id, row.id)
            if row.status is TicketStatus.CALLED:
                self._push(self.now + timedelta(minutes=self._walk()), _COMPLETE, "start", visit)
            else:
                done_at = max(
                    self.now, row.started_at + timedelta(minutes=self._duration_of(row.id, row.code))
                )
                self._push(done_at, _COMPLETE, "complete", visit)
        for station_id in list(self.visits):
            if station_id not in self.busy:
                del self.visits[station_id]
        for station_id in list(self.pause_after):
            if station_id not in self.busy:
                self.pause_after.discard(station_id)
                if station_id in self.open:
                    self._set_state(station_id, StationState.PAUSED)

    def _new_visit(self, station_id: int, ticket_id: int) -> Visit:
        visit = Visit(station_id, ticket_id, next(self._visit_numbers))
        self.visits[station_id] = visit
        self.busy[station_id] = ticket_id
        return visit

    def _walk(self) -> float:
        return 0.0 if self.walk_minutes is None else float(self.rng.uniform(*self.walk_minutes))

    def _duration_of(self, ticket_id: int, code: str) -> float:
        """The patient's true service time; one drawn now for a ticket the world did not bring."""
        patient = self.by_ticket.get(ticket_id)
        return patient.duration_minutes if patient is not None else self._duration(code)

    def _still(self, visit: Visit, status: TicketStatus) -> str | None:
        """The visit's service code if the world still plans it and its ticket is still `status` there."""
        if self.visits.get(visit.station_id) != visit:
            return None
        with self.world.uow(write=False) as uow:
            row = uow.session.execute(
                select(Ticket.status, Ticket.station_id, Service.code)
                .join(Service, Service.id == Ticket.service_id)
                .where(Ticket.id == visit.ticket_id)
            ).first()
        if row is not None and row.status is status and row.station_id == visit.station_id:
            return row.code
        self._let_go(visit)
        return None

    def _let_go(self, visit: Visit) -> None:
        """Someone else moved the visit's ticket: forget it; a station due to pause pauses now it is free."""
        if self.visits.get(visit.station_id) == visit:
            del self.visits[visit.station_id]
        if self.busy.get(visit.station_id) == visit.ticket_id:
            del self.busy[visit.station_id]
        if visit.station_id in self.pause_after and visit.station_id not in self.busy:
            self.pause_after.discard(visit.station_id)
            self._set_state(visit.station_id, StationState.PAUSED)

    def run(self) -> list[Outcome]:
        """Play the whole day, close it and return its tickets."""
        while self.events:
            self.advance_to(self.events[0][0])
        if self.waiting:
            raise RuntimeError(f"{len(self.waiting)} patients left with no station able to serve them")
        self.close()
        return self.outcomes()

    def close(self) -> None:
        """Close the day (Conflict while someone is still in service: try again once they are done)."""
        if not self.closed:
            at = max(self.now, self.closes_at) if self.closes_at else self.now
            closing.close_day(
                self.world.uow(), site_id=self.world.site_id, reason="end of day", actor=STAFF, now=at
            )
            self.now = at
            self.closed = True

    def _on_plan(self, stations: int) -> None:
        self.planned_stations = stations
        wanted = set(self.world.station_ids[:stations])
        for station_id in self.world.station_ids:
            if station_id in wanted:
                self.pause_after.discard(station_id)
                if station_id not in self.open:
                    self._set_state(station_id, StationState.OPEN)
            elif station_id in self.open:
                if station_id in self.busy:
                    self.pause_after.add(station_id)
                else:
                    self._set_state(station_id, StationState.PAUSED)

    def _set_state(self, station_id: int, state: StationState) -> None:
        stations.set_station_state(
            self.world.uow(), station_id=station_id, state=state, actor=STAFF, now=self.now
        )
        self.station_log.append((self.now, station_id, state))
        if state is StationState.OPEN:
            self.open.add(station_id)
        else:
            self.open.discard(station_id)

    def _on_arrive(self, patient: Patient) -> None:
        try:
            if patient.kind == "walk_in":
                view = tickets.join_walk_in(
                    self.world.uow(),
                    site_id=self.world.site_id,
                    service_code=patient.service_code,
                    actor=KIOSK,
                    now=self.now,
                    secret_key=SECRET_KEY,
                )
            else:
                assert patient.reference is not None  # an appointment patient was booked the evening before
                view = tickets.check_in(
                    self.world.uow(),
                    reference=patient.reference,
                    site_id=self.world.site_id,
                    actor=KIOSK,
                    now=self.now,
                    secret_key=SECRET_KEY,
                )
        except Conflict as refusal:
            patient.refused = str(refusal)
            self._after_refusal(patient, str(refusal))
            return
        patient.ticket_id = view.id
        self.by_ticket[view.id] = patient
        self.waiting[view.id] = patient.service_code
        if self.on_join is not None:
            self.on_join(self, patient, view, self.now)

    def _after_refusal(self, patient: Patient, message: str) -> None:
        """Refused while the site is closed: wait outside for the next opening (a walk-in may go home)."""
        closed = not self.is_open_at(self.now)
        reopens = next((opens for opens, _ in self.intervals if opens > self.now), None) if closed else None
        retry_at = None
        if reopens is not None:
            leaves = (
                patient.kind == "walk_in"
                and self.rng.random() < self.world.scenario.walk_in_leave_when_closed
            )
            retry_at = None if leaves else reopens
        self.refusals.append(Refusal(self.now, patient.kind, message, closed, retry_at))
        if retry_at is not None:
            self._push(retry_at, _ARRIVE, "arrive", patient)

    def _on_complete(self, visit: Visit) -> None:
        if self._still(visit, TicketStatus.IN_SERVICE) is None:
            return
        try:
            calling.complete(self.world.uow(), ticket_id=visit.ticket_id, actor=STAFF, now=self.now)
        except (Conflict, NotFound):
            pass  # staff got there first, between the look and the act
        self._let_go(visit)

    def _dispatch(self) -> None:
        """Every free open station calls the next patient it can serve, who starts after the walk."""
        for station_id in self.world.station_ids:
            if station_id not in self.open or station_id in self.busy or station_id in self.pause_after:
                continue
            skills = self.world.skills[station_id]
            if not any(code in skills for code in self.waiting.values()):
                continue
            try:
                called = calling.call_next(self.world.uow(), station_id=station_id, actor=STAFF, now=self.now)
            except NotFound:
                continue
            except Conflict:
                continue  # staff paused the station or called someone to it since the world looked
            self.waiting.pop(called.id, None)
            self.last_called_wait_minutes = called.actual_wait_minutes
            visit = self._new_visit(station_id, called.id)
            if self.walk_minutes is None:
                self._on_start(visit)
            else:
                self._push(self.now + timedelta(minutes=self._walk()), _COMPLETE, "start", visit)

    def _on_start(self, visit: Visit) -> None:
        code = self._still(visit, TicketStatus.CALLED)
        if code is None:
            return
        try:
            calling.start(self.world.uow(), ticket_id=visit.ticket_id, actor=STAFF, now=self.now)
        except (Conflict, NotFound):
            self._let_go(visit)
            return
        duration = self._duration_of(visit.ticket_id, code)
        self._push(self.now + timedelta(minutes=duration), _COMPLETE, "complete", visit)

    # Observing -----------------------------------------------------------------------------

    @property
    def open_stations(self) -> int:
        return len(self.open)

    def is_open_at(self, at: datetime) -> bool:
        """Whether `at` falls inside the site's opening intervals today (hours and closures)."""
        return any(opens <= at < closes for opens, closes in self.intervals)

    def actual_staffing_from(self, at: datetime) -> tuple[estimator.StaffingBlock, ...]:
        """The day's actual staffing from `at` on, as the estimator's blocks (what really opens when)."""
        return tuple(
            replace(block, starts_at=max(block.starts_at, at))
            for block in self.staffing
            if block.ends_at > at
        )

    def planned_stations_at(self, at: datetime) -> int:
        """Stations the plan has open at `at`, else those of the next block (0 when none is left)."""
        for block in self.blocks:
            if block.starts_at <= at < block.ends_at or at < block.starts_at:
                return block.stations
        return self.blocks[-1].stations if self.blocks else 0

    def snapshot(self, at: datetime | None = None) -> estimator.SiteSnapshot:
        """The estimator's snapshot of the live state, as the service builds it."""
        with self.world.uow(write=False) as uow:
            site = sites.load_site(uow, self.world.site_id)
            return build_snapshot(uow, site, at or self.now)

    def outcomes(self) -> list[Outcome]:
        """The day's tickets as the service layer recorded them."""
        with self.world.uow(write=False) as uow:
            rows = uow.session.scalars(
                select(Ticket)
                .where(Ticket.site_id == self.world.site_id, Ticket.service_day == self.day)
                .order_by(Ticket.id)
            )
            return [
                Outcome(
                    ticket_id=t.id,
                    kind=t.kind.value,
                    service_code=t.service.code,
                    status=t.status.value,
                    joined_at=t.joined_at,
                    wait_start=line.wait_start(t),
                    called_at=t.called_at,
                    started_at=t.started_at,
                    completed_at=t.completed_at,
                    station_id=t.station_id,
                    actual_wait_minutes=t.actual_wait_minutes,
                    promised={
                        "p10": t.promised_p10_minutes,
                        "p50": t.promised_p50_minutes,
                        "p90": t.promised_p90_minutes,
                    },
                )
                for t in rows
            ]


# The day's actual staffing ----------------------------------------------------------------


def actual_staffing(
    plan: list[estimator.StaffingBlock],
    deviations: DayDeviations,
    scenario: Scenario,
    *,
    day: date,
    tz: ZoneInfo,
    station_count: int,
) -> list[estimator.StaffingBlock]:
    """The plan of `day` (blocks cut to opening hours) as staff really keep it.

    A sick call leaves one planned station shut (never the last one) until
    `sick_call_until`, or all day; an extra station opens one beyond the plan
    (as far as the site has stations) over its window; a late opening or
    reopening leaves every station shut for its minutes after the day's first
    block, or after each closure, starts; being late to a closure keeps the
    stations of the block before it calling for its minutes into the closure.
    """
    spec = scenario.deviations
    blocks = [replace(b) for b in plan]
    if not blocks:
        return []

    def local(wall: time) -> datetime:
        return schedule.local_instant(day, wall, tz)

    first, last = blocks[0].starts_at, blocks[-1].ends_at
    gaps = [(a.ends_at, b.starts_at) for a, b in zip(blocks, blocks[1:]) if a.ends_at < b.starts_at]
    if deviations.sick_call:
        until = local(spec.sick_call_until) if spec.sick_call_until else last
        blocks = _adjust(blocks, first, until, lambda n: max(n - 1, 1))
    if deviations.extra_station:
        blocks = _adjust(
            blocks,
            local(spec.extra_station_starts),
            local(spec.extra_station_ends),
            lambda n: min(n + 1, station_count),
        )
    if deviations.late_to_closure_minutes > 0:
        extended = []
        for starts, ends in gaps:
            before = next(b for b in blocks if b.ends_at == starts)
            late = min(starts + timedelta(minutes=deviations.late_to_closure_minutes), ends)
            extended.append(replace(before, starts_at=starts, ends_at=late))
        blocks = sorted(blocks + extended, key=lambda b: b.starts_at)
    if deviations.late_opening_minutes > 0:
        blocks = _adjust(
            blocks, first, first + timedelta(minutes=deviations.late_opening_minutes), lambda n: 0
        )
    if deviations.late_reopening_minutes > 0:
        for _, reopens in gaps:
            blocks = _adjust(
                blocks, reopens, reopens + timedelta(minutes=deviations.late_reopening_minutes), lambda n: 0
            )
    return _merge([b for b in blocks if b.stations > 0 and b.starts_at < b.ends_at])


def _adjust(
    blocks: list[estimator.StaffingBlock], starts: datetime, ends: datetime, change
) -> list[estimator.StaffingBlock]:
    """`blocks` with `change(stations)` applied over [starts, ends) (blocks split at its edges)."""
    out = []
    for b in blocks:
        inside_from, inside_to = max(b.starts_at, starts), min(b.ends_at, ends)
        if inside_from >= inside_to:
            out.append(b)
            continue
        if b.starts_at < inside_from:
            out.append(replace(b, ends_at=inside_from))
        out.append(replace(b, starts_at=inside_from, ends_at=inside_to, stations=change(b.stations)))
        if inside_to < b.ends_at:
            out.append(replace(b, starts_at=inside_to))
    return out


def _merge(blocks: list[estimator.StaffingBlock]) -> list[estimator.StaffingBlock]:
    """Adjacent blocks with the same stations joined into one."""
    out: list[estimator.StaffingBlock] = []
    for b in sorted(blocks, key=lambda b: b.starts_at):
        if (
            out
            and out[-1].ends_at == b.starts_at
            and out[-1].stations == b.stations
            and out[-1].added_station_skills == b.added_station_skills
        ):
            out[-1] = replace(out[-1], ends_at=b.ends_at)
        else:
            out.append(b)
    return out


def served(outcome: Outcome) -> bool:
    return outcome.status == TicketStatus.DONE.value
