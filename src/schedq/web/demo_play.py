"""The live demo: the demo site plays simulated days, sped up, so its pages move by themselves.

With DEMO_PLAY (SCHEDQ_DEMO_PLAY=true) the app's CLOCK becomes a `DemoClock`: simulated
time that runs DEMO_PLAY_SPEED times faster than real time through the site's working
hours and skips nights and closed days. It is a pure function of its anchor (a real
instant and the simulated instant it stands for), so every gunicorn worker forked from
the app reads the same time; the anchor is also kept in the instance directory
(`demo-play.json`), and a process built while another plays on it (saved in the last
few seconds) takes the same anchor, so workers that load the app themselves agree too.

One worker (the first to take a file lock in the instance directory, on a request; the
lock is held by the process, so when it dies another worker takes over within seconds)
runs a `DemoPlayer` thread that advances `schedq.simulation`'s `SimulatedDay` of the
demo site to the clock every half second: walk-ins join at the kiosk, stations open and
call, patients are served, all through the real use cases, so the display, ticket pages
and console show it. People may use the console and API at the same time: the simulated
day re-reads the site before each event and carries on from what they did.

A restart resumes the demo day where the clock stood (`reached` in the state file): the
tickets in line stay and are served. A player that starts (or starts again after an
error) joins the day under way at the clock's time and never plays the past again;
only tickets left active from an earlier demo day are closed out.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time as wall_clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

log = logging.getLogger(__name__)

DEFAULT_SPEED = 20.0
DAY_STARTS = time(6, 50)  # a little before opening, so the screen shows the morning start
DAY_ENDS = time(17, 40)  # after closing, time for the line to be served out
WEEKDAYS = (0, 1, 2, 3, 4)
STATE_FILE = "demo-play.json"
LOCK_FILE = "demo-play.lock"
CLOCK_LOCK_FILE = "demo-clock.lock"
PLAYING_WITHIN_SECONDS = 15.0
"""A state file saved this recently means a process is playing on its clock: share it."""

# The demo site's patients: the truth the simulation draws from (the site starts from its defaults).
DEMO_SCENARIO: dict[str, Any] = {
    "name": "riverside-demo",
    "description": "The demo site's day: a busy morning, a lunch closure, a quieter afternoon",
    "timezone": "America/Chicago",
    "weekdays": list(WEEKDAYS),
    "hours": [{"opens": "07:00", "closes": "12:00"}, {"opens": "13:00", "closes": "17:00"}],
    "plan": [
        {"starts": "07:00", "ends": "12:00", "stations": 3, "seats_per_slot": 2},
        {"starts": "13:00", "ends": "17:00", "stations": 2, "seats_per_slot": 1},
    ],
    "stations": [
        {"name": "Station 1", "services": ["DRAW", "GTT"]},
        {"name": "Station 2", "services": ["DRAW", "GTT"]},
        {"name": "Station 3", "services": ["DRAW", "UDS", "PED"]},
    ],
    "services": [
        {"code": "DRAW", "default_minutes": 6.0, "mean_minutes": 6.5, "cv": 0.45},
        {"code": "UDS", "default_minutes": 10.0, "mean_minutes": 9.0, "cv": 0.5},
        {"code": "GTT", "default_minutes": 12.0, "mean_minutes": 8.0, "cv": 0.4, "walk_in_allowed": False},
        {"code": "PED", "default_minutes": 10.0, "mean_minutes": 11.0, "cv": 0.5},
    ],
    "walk_ins": {
        "profile": [
            ["07:00", 18.0],
            ["08:00", 22.0],
            ["09:00", 16.0],
            ["10:00", 11.0],
            ["11:00", 8.0],
            ["12:00", 0.0],
            ["13:00", 9.0],
            ["14:00", 8.0],
            ["15:00", 6.0],
            ["16:30", 0.0],
        ],
        "mix": {"DRAW": 0.8, "UDS": 0.12, "PED": 0.08},
    },
    "appointments": {
        "fill": 0.5,
        "no_show_rate": 0.1,
        "lateness_mean_minutes": -10.0,
        "lateness_sd_minutes": 8.0,
        "mix": {"DRAW": 0.8, "GTT": 0.2},
    },
}


# The clock --------------------------------------------------------------------------------


def _window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(day, DAY_STARTS, tz).astimezone(UTC),
        datetime.combine(day, DAY_ENDS, tz).astimezone(UTC),
    )


def next_morning(after: datetime, tz: ZoneInfo) -> datetime:
    """The start of the first demo day window that begins at or after `after`."""
    day = after.astimezone(tz).date()
    while True:
        starts, _ = _window(day, tz)
        if day.weekday() in WEEKDAYS and starts >= after:
            return starts
        day += timedelta(days=1)


@dataclass(frozen=True)
class DemoClock:
    """Simulated time: `speed` × real time through each open day's window, nights and weekends skipped."""

    real_start: datetime
    virtual_start: datetime
    speed: float
    timezone_name: str = "America/Chicago"

    def at(self, real: datetime) -> datetime:
        tz = ZoneInfo(self.timezone_name)
        remaining = max(0.0, (real - self.real_start).total_seconds()) * self.speed
        position = self.virtual_start
        while True:
            day = position.astimezone(tz).date()
            starts, ends = _window(day, tz)
            if day.weekday() not in WEEKDAYS or position >= ends:
                position = next_morning(position, tz)
                continue
            position = max(position, starts)
            left_today = (ends - position).total_seconds()
            if remaining < left_today:
                return position + timedelta(seconds=remaining)
            remaining -= left_today
            position = next_morning(ends, tz)

    def __call__(self) -> datetime:
        return self.at(datetime.now(UTC))


def install(app: Flask) -> None:
    """Give the app a demo clock (before gunicorn forks its workers) and start the player on first request."""
    if not app.config.get("DEMO_PLAY") or app.config.get("CLOCK") is not None:
        return
    instance = Path(app.config["INSTANCE_DIR"])
    instance.mkdir(parents=True, exist_ok=True)
    speed = float(app.config.get("DEMO_PLAY_SPEED") or DEFAULT_SPEED)
    with (instance / CLOCK_LOCK_FILE).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # processes starting together agree on one anchor
        real_now = datetime.now(UTC)
        state = _read_state(instance)
        clock = _playing_clock(state, real_now, speed)
        if clock is None:
            clock = DemoClock(
                real_start=real_now,
                virtual_start=_resume_from(state, real_now),
                speed=speed,
                timezone_name=DEMO_SCENARIO["timezone"],
            )
            _write_state(instance, clock, reached=clock.virtual_start, saved_at=real_now)
    app.config["CLOCK"] = clock
    app.before_request(lambda: _ensure_player(app, clock))


def _read_state(instance: Path) -> dict[str, Any]:
    try:
        state = json.loads((instance / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _resume_from(state: dict[str, Any], real_now: datetime) -> datetime:
    """Where an earlier run's clock stood (its day resumes), else the next working morning."""
    try:
        return datetime.fromisoformat(state["reached"])
    except (KeyError, TypeError, ValueError):
        return next_morning(real_now, ZoneInfo(DEMO_SCENARIO["timezone"]))


def _playing_clock(state: dict[str, Any], real_now: datetime, speed: float) -> DemoClock | None:
    """The clock a live process saved in the last few seconds, at this speed (None when there is none)."""
    try:
        saved_at = datetime.fromisoformat(state["saved_at"])
        anchor = state["clock"]
        clock = DemoClock(
            real_start=datetime.fromisoformat(anchor["real_start"]),
            virtual_start=datetime.fromisoformat(anchor["virtual_start"]),
            speed=float(anchor["speed"]),
            timezone_name=DEMO_SCENARIO["timezone"],
        )
    except (KeyError, TypeError, ValueError):
        return None
    if clock.speed != speed or abs((real_now - saved_at).total_seconds()) > PLAYING_WITHIN_SECONDS:
        return None
    return clock


def _write_state(instance: Path, clock: DemoClock, *, reached: datetime, saved_at: datetime) -> None:
    """Replace the state file whole (written aside, then renamed), so a reader never sees half of it."""
    state = {
        "reached": reached.isoformat(),
        "saved_at": saved_at.isoformat(),
        "clock": {
            "real_start": clock.real_start.isoformat(),
            "virtual_start": clock.virtual_start.isoformat(),
            "speed": clock.speed,
        },
    }
    aside = instance / f"{STATE_FILE}.{os.getpid()}"
    aside.write_text(json.dumps(state))
    os.replace(aside, instance / STATE_FILE)


# The player ------------------------------------------------------------------------------


def _close_out_earlier_days(world, today: date, now: datetime) -> None:
    """Tickets still active from an earlier demo day (its close never ran) end; today's are left alone."""
    from schedq.domain.enums import TicketStatus
    from schedq.domain.errors import Conflict, NotFound
    from schedq.services.queue import calling, corrections, line
    from schedq.simulation.world import STAFF

    with world.uow(write=False) as uow:
        left = [(t.id, t.status) for t in line.active_tickets(uow, world.site_id) if t.service_day < today]
    finish = {TicketStatus.IN_SERVICE: calling.complete, TicketStatus.CALLED: calling.mark_no_show}
    for ticket_id, status in left:
        try:
            if status in finish:
                finish[status](world.uow(), ticket_id=ticket_id, actor=STAFF, now=now)
            else:
                corrections.cancel(
                    world.uow(), ticket_id=ticket_id, actor=STAFF, now=now, reason="the demo day ended"
                )
        except (Conflict, NotFound):
            continue  # someone moved it meanwhile


def _day_under_way(world, today: date, now: datetime) -> bool:
    """Whether today already started (opening passed, or tickets or appointments exist): join it, do not redraw it."""
    from sqlalchemy import select

    from schedq.db.models import Appointment, Site, Ticket
    from schedq.domain import schedule
    from schedq.services import sites

    starts, ends = world.local(today, time(0)), world.local(today + timedelta(days=1), time(0))
    with world.uow(write=False) as uow:
        site = uow.session.get(Site, world.site_id)
        intervals = schedule.opening_intervals(today, sites.hours_of(site), world.tz, sites.closures_of(site))
        if any(opens <= now for opens, _ in intervals):
            return True
        ticket = uow.session.scalar(
            select(Ticket.id).where(Ticket.site_id == world.site_id, Ticket.service_day == today).limit(1)
        )
        appointment = uow.session.scalar(
            select(Appointment.id)
            .where(
                Appointment.site_id == world.site_id,
                Appointment.starts_at >= starts,
                Appointment.starts_at < ends,
            )
            .limit(1)
        )
    return ticket is not None or appointment is not None


def _closed(world, today: date) -> bool:
    """Whether staff (or an earlier run) already closed today."""
    from schedq.db.models import SiteDay

    with world.uow(write=False) as uow:
        return uow.session.get(SiteDay, (world.site_id, today)) is not None


WALK_MINUTES = (0.5, 2.0)
"""A called patient walks to the station before service starts, so the lobby sees "now calling"."""


_player_lock = threading.Lock()


def _ensure_player(app: Flask, clock: DemoClock) -> None:
    """Start the player in this worker if no other process holds the lock (checked every few seconds)."""
    state = app.extensions.setdefault("schedq.demo_play", {"next_try": 0.0, "player": None})
    if state["player"] is not None or wall_clock.monotonic() < state["next_try"]:
        return
    with _player_lock:
        if state["player"] is not None:
            return
        state["next_try"] = wall_clock.monotonic() + 5
        instance = Path(app.config["INSTANCE_DIR"])
        instance.mkdir(parents=True, exist_ok=True)
        handle = (instance / LOCK_FILE).open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()  # another worker plays
            return
        player = DemoPlayer(app, clock, lock_handle=handle)
        state["player"] = player
        player.start()


class DemoPlayer(threading.Thread):
    """Advances the demo site's simulated day to the clock, every half second, in the background."""

    def __init__(self, app: Flask, clock: DemoClock, *, lock_handle, seed: int | None = None) -> None:
        super().__init__(name="schedq-demo-player", daemon=True)
        self.app = app
        self.clock = clock
        self.lock_handle = lock_handle  # held open: the lock lasts as long as this process
        self.seed = seed
        self.day = None
        self.world = None

    def run(self) -> None:
        with self.app.app_context():
            while True:
                try:
                    self.step()
                except Exception:
                    log.exception("demo play: step failed; the day carries on from the clock's time")
                    self.day = None  # the next step joins the day under way, at the clock's time then
                    wall_clock.sleep(5)
                wall_clock.sleep(0.5)

    def step(self) -> None:
        now = self.clock()
        if self.world is None:
            self.world = self._world()
            if self.world is None:
                return
        from schedq.domain import schedule

        today = schedule.local_day(now, self.world.tz)
        if self.day is not None and self.day.day != today:
            # Played to the end of its own window, so it closes on its own date, not the new one's.
            self._finish(self.day, min(now, self.world.local(self.day.day, DAY_ENDS)))
            self.day = None
        if self.day is None and self.world.is_open(today) and not _closed(self.world, today):
            from schedq.simulation.world import SimulatedDay

            _close_out_earlier_days(self.world, today, now)
            resume_at = now if _day_under_way(self.world, today, now) else None
            self.day = SimulatedDay(self.world, today, walk_minutes=WALK_MINUTES, resume_at=resume_at)
        if self.day is not None:
            self.day.advance_to(now)
            if (
                not self.day.events
                and not self.day.waiting
                and self.day.closes_at
                and now >= self.day.closes_at
            ):
                self._finish(self.day, now)
        self._save(now)

    def _finish(self, day, now: datetime) -> None:
        from schedq.domain.errors import Conflict

        if not day.closed:
            day.advance_to(now)
            try:
                day.close()
            except Conflict:
                log.info("demo play: someone is still in service; the day closes once they are done")

    def _world(self):
        """The simulation attached to the demo site the run command seeded (None until it exists)."""
        import numpy as np
        from sqlalchemy import select

        from schedq.db.models import Site
        from schedq.simulation.scenario import parse
        from schedq.simulation.world import SiteWorld
        from schedq.web_context import database

        world = SiteWorld(parse(DEMO_SCENARIO), database(), rng=np.random.default_rng(self.seed))
        with world.uow(write=False) as uow:
            site = uow.session.scalars(select(Site).where(Site.slug == "riverside")).first()
            if site is None:
                return None
            stations = [
                (-len(s.services), s.id, frozenset(svc.code for svc in s.services)) for s in site.stations
            ]
            world.site_id = site.id
        world.station_ids = [station_id for _, station_id, _ in sorted(stations)]
        world.skills = {station_id: skills for _, station_id, skills in stations}
        return world

    def _save(self, now: datetime) -> None:
        """Where the clock stands (a restart resumes there) and that this process plays on it."""
        instance = Path(self.app.config["INSTANCE_DIR"])
        _write_state(instance, self.app.config["CLOCK"], reached=now, saved_at=datetime.now(UTC))
