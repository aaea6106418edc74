"""Load on a chain of sites: lobby screens, patients' portals and staff, against gunicorn.

    .venv/bin/python -m benchmarks.load                 # 100 sites, 30 s phases (~5 min); adds a section to RESULTS.md
    .venv/bin/python -m benchmarks.load --quick         # 10 sites, 5 s phases; prints only
    .venv/bin/python -m benchmarks.load --sqlite --quick
    .venv/bin/python -m benchmarks.load --redis-url redis://127.0.0.1:6379/0

It creates a database of its own (a fresh PostgreSQL database on the server of
`--admin-url`, or a SQLite file with `--sqlite`), migrates it, seeds N sites
through the service layer (hours around the site's local noon whatever the hour
of the run, three open stations, a capacity plan; a staff and a display token
per site, made as `schedq tokens create` makes them), and starts the real
`schedq serve --workers 2` (gunicorn, 8 threads a worker) on 127.0.0.1. All
traffic goes to that server only; at the end the server is stopped and the
database dropped.

Throughout, 8 writers (staff and kiosks) keep every site's state changing about
once a second through the API: kiosk joins, call-next, start, complete. The
phases, each `--seconds` long:

- writes only: the writers alone (their cost per write is taken from here);
- (a) four closed-loop phases of 32 concurrent clients, one endpoint each: the
  trivial `GET /services`, then the wait, the display feed (a full answer, no
  `If-None-Match`) and a ticket's status, spread over all sites; each
  endpoint's throughput is given as a ratio to the trivial one's;
- (b, c) the chain: every site's 5 screens poll its display feed every 5 s
  with `If-None-Match`, as the display page does, and patients make 50 portal
  reads a second (ticket status 60 %, wait 30 %, best times 10 %, Poisson
  arrivals), while the writers go on.

Latency runs from the moment a request was due (for the portal's open loop,
its scheduled time), so a server that falls behind is charged for the queue it
builds. Server CPU (the gunicorn processes, and the PostgreSQL backends of the
run's database, from /proc) is sampled per phase and divided by the requests
served, giving the per-request costs the README's deployment arithmetic uses.

The targets are issue 10's, on a 2-core machine: (a) wait, display feed and
ticket status each ≥ 0.5 × the trivial endpoint's throughput with p99 ≤ 100 ms;
(b) the chain's reads p99 ≤ 100 ms, at least 90 % of the offered rate served;
(c) joins and call-next p99 ≤ 150 ms in the chain. Any error fails a target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as wall_time
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from benchmarks import results
from benchmarks.results import RESULTS
from schedq import demo
from schedq.db import migrate
from schedq.db.engine import Database
from schedq.db.uow import UnitOfWork
from schedq.domain.enums import Role
from schedq.domain.schedule import PlanBlock, WeeklyInterval
from schedq.services import access, sites
from schedq.services.estimates import BEST_TIME_RESOLUTION

ADMIN_URL = os.environ.get("SCHEDQ_LOAD_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SCHEDQ = shutil.which("schedq", path=str(Path(sys.executable).parent)) or "schedq"
API = "/api/v1"
WALK_IN_SERVICES = (("DRAW", 0.7), ("UDS", 0.2), ("PED", 0.1))
STATIONS_PER_SITE = 3
REQUEST_TIMEOUT_SECONDS = 10.0

READ_P99_TARGET_MS = 100.0
WRITE_P99_TARGET_MS = 150.0
THROUGHPUT_RATIO_TARGET = 0.5
OFFERED_SHARE_TARGET = 0.9

TRIVIAL = "GET /services"
WAIT = "GET /sites/{id}/wait"
DISPLAY = "GET /sites/{id}/display"
SCREEN = "GET /sites/{id}/display, If-None-Match"
TICKET = "GET /tickets/{id}"
BEST_TIMES = "GET /sites/{id}/best-times"
JOIN = "POST /sites/{id}/tickets"
CALL_NEXT = "POST /stations/{id}/call-next"
START = "POST /tickets/{id}/start"
COMPLETE = "POST /tickets/{id}/complete"
RESYNC = "GET /sites/{id}/queue"
WRITES = (JOIN, CALL_NEXT, START, COMPLETE)

WRITES_ONLY = "writes only"
CHAIN = "(b, c) chain"
PHASE_A = {TRIVIAL: "(a) trivial", WAIT: "(a) wait", DISPLAY: "(a) display feed", TICKET: "(a) ticket status"}


@dataclass(frozen=True, slots=True)
class Settings:
    sites: int = 100
    phase_seconds: float = 30.0
    warmup_seconds: float = 10.0
    closed_loop_clients: int = 32
    screens_per_site: int = 5
    screen_interval_seconds: float = 5.0
    portal_reads_per_second: float = 50.0
    writers: int = 8
    changes_per_site_per_second: float = 1.0
    seed: int = 20260105


QUICK = Settings(sites=10, phase_seconds=5.0, warmup_seconds=2.0)


# The database and its sites -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeededSite:
    site_id: int
    station_ids: tuple[int, ...]
    staff_token: str
    display_token: str


@contextmanager
def scratch_database(admin_url: str | None, workdir: Path) -> Iterator[tuple[str, Engine | None, str | None]]:
    """A fresh, migrated database (PostgreSQL on `admin_url`, else SQLite), dropped afterwards."""
    if admin_url is None:
        url = f"sqlite:///{workdir / 'schedq.sqlite3'}"
        migrate.upgrade(url)
        yield url, None, None
        return
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"schedq_load_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url, admin, name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def noon_zone(now: datetime) -> str:
    """A fixed-offset IANA zone where it is about noon now, so the run never crosses a local midnight."""
    offset_hours = 12 - now.hour
    # Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
    return "Etc/GMT" if offset_hours == 0 else f"Etc/GMT{-offset_hours:+d}"


def seed_sites(url: str, *, count: int, now: datetime) -> list[SeededSite]:
    """Services, then `count` sites open 06:00–22:00 every day, with stations, plan and tokens."""
    database = Database(url)

    def make_uow(*, write: bool = True) -> UnitOfWork:
        return UnitOfWork(database, write=write)

    try:
        for service in demo.SERVICES:
            sites.create_service(make_uow(), **service)
        codes = [code for code, _share in WALK_IN_SERVICES]
        seeded = []
        for number in range(1, count + 1):
            site = sites.create_site(
                make_uow(),
                slug=f"load-{number:04d}",
                name=f"Load site {number}",
                address=f"{number} Benchmark Road",
                timezone=noon_zone(now),
                now=now,
            )
            sites.set_hours(
                make_uow(),
                site_id=site.id,
                intervals=[WeeklyInterval(day, wall_time(6), wall_time(22)) for day in range(7)],
            )
            blocks = [PlanBlock(day, wall_time(6), wall_time(22), STATIONS_PER_SITE, 1) for day in range(7)]
            sites.set_capacity_plan(make_uow(), site_id=site.id, slot_minutes=15, blocks=blocks)
            stations = [
                sites.create_station(make_uow(), site_id=site.id, name=f"Station {n}", service_codes=codes).id
                for n in range(1, STATIONS_PER_SITE + 1)
            ]
            staff, _ = access.create_token(
                make_uow(), name=f"load staff {number}", role=Role.STAFF, site_ids=[site.id], now=now
            )
            kiosk, _ = access.create_token(
                make_uow(), name=f"load kiosk {number}", role=Role.DISPLAY, site_ids=[site.id], now=now
            )
            seeded.append(SeededSite(site.id, tuple(stations), staff, kiosk))
        return seeded
    finally:
        database.dispose()


# The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`schedq serve --workers 2` on a free loopback port, its output kept in a log file."""

    def __init__(self, *, database_url: str, workdir: Path, workers: int, redis_url: str | None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDQ_")}
        env.update(
            SCHEDQ_DATABASE_URL=database_url,
            SCHEDQ_INSTANCE_DIR=str(workdir / "instance"),
            SCHEDQ_SECRET_KEY=secrets.token_urlsafe(32),
            SCHEDQ_SEED_DEMO="false",
        )
        if redis_url:
            env["SCHEDQ_REDIS_URL"] = redis_url
        command = [
            SCHEDQ,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=workdir
        )

    def wait_until_up(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}{API}/services", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {seconds} s:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        """The gunicorn master and its workers (workers may be replaced during a run)."""
        return [self.process.pid, *children_of(self.process.pid)]

    def worker_timeouts(self) -> int:
        """Workers gunicorn killed for not answering within its time-out (their requests fail)."""
        self._log.flush()
        return self.log_path.read_text(errors="replace").count("WORKER TIMEOUT")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [state, ppid, …]; None when gone or unreadable."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process still alive."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


class CpuMeter:
    """CPU spent by the app server and by the database backends serving the run's database."""

    def __init__(self, server: Server, admin: Engine | None, database_name: str | None) -> None:
        self.server = server
        self.admin = admin
        self.database_name = database_name

    def database_pids(self) -> list[int]:
        if self.admin is None:
            return []
        with self.admin.connect() as connection:
            rows = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :name"), {"name": self.database_name}
            )
            return [row.pid for row in rows]

    def sample(self) -> tuple[dict[int, float], dict[int, float]]:
        return cpu_seconds(self.server.pids()), cpu_seconds(self.database_pids())


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two samples; a process that appeared counts from zero."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# Recording ---------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    started: float
    ended: float = 0.0
    app_cpu_seconds: float | None = None
    database_cpu_seconds: float | None = None
    driver_cpu_seconds: float = 0.0
    offered_reads: float | None = None  # open loop: reads due in the phase


@dataclass
class Record:
    latencies_ms: list[float] = field(default_factory=list)  # answered 2xx or 304
    not_modified: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class Row:
    phase: str
    endpoint: str
    requests: int
    per_second: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int
    not_modified_share: float | None
    trivial_ratio: float | None


class Recorder:
    def __init__(self) -> None:
        self.phase = "warm-up"
        self.phases: dict[str, Phase] = {}
        self.records: dict[tuple[str, str], Record] = defaultdict(Record)
        self.state_changes: dict[str, int] = defaultdict(int)
        self.worker_timeouts = 0
        self.load_averages: list[float] = []  # the machine's 1-minute load at each phase's end
        self.best_times_warmed_seconds: float | None = None
        # Where best times' 5-minute instant moved on after the warm-up began: "warm-up" or a phase's name.
        self.best_times_renewals: list[str] = []

    def ok(self, phase: str, endpoint: str, started: float, status: int) -> None:
        record = self.records[(phase, endpoint)]
        record.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status == 304:
            record.not_modified += 1

    def error(self, phase: str, endpoint: str, kind: str) -> None:
        record = self.records[(phase, endpoint)]
        record.errors += 1
        record.error_kinds[kind] += 1

    def rows(self) -> list[Row]:
        rows = []
        for phase in self.phases.values():
            seconds = phase.ended - phase.started
            trivial = self._per_second(PHASE_A[TRIVIAL], TRIVIAL)
            for (phase_name, endpoint), record in self.records.items():
                if phase_name != phase.name:
                    continue
                answered = len(record.latencies_ms)
                per_second = answered / seconds
                in_phase_a = phase.name in PHASE_A.values()
                rows.append(
                    Row(
                        phase=phase.name,
                        endpoint=endpoint,
                        requests=answered + record.errors,
                        per_second=per_second,
                        p50_ms=float(np.percentile(record.latencies_ms, 50)) if answered else None,
                        p99_ms=float(np.percentile(record.latencies_ms, 99)) if answered else None,
                        errors=record.errors,
                        not_modified_share=record.not_modified / answered
                        if endpoint == SCREEN and answered
                        else None,
                        trivial_ratio=per_second / trivial
                        if in_phase_a and endpoint not in (*WRITES, RESYNC) and trivial
                        else None,
                    )
                )
        return rows

    def _per_second(self, phase_name: str, endpoint: str) -> float | None:
        phase = self.phases.get(phase_name)
        record = self.records.get((phase_name, endpoint))
        if phase is None or record is None:
            return None
        return len(record.latencies_ms) / (phase.ended - phase.started)


async def timed(
    recorder: Recorder,
    client: httpx.AsyncClient,
    endpoint: str,
    method: str,
    path: str,
    *,
    expect: tuple[int, ...],
    due: float | None = None,
    gate: asyncio.Semaphore | None = None,
    **options,
) -> httpx.Response | None:
    """One request, recorded under the current phase; None when it failed or answered unexpectedly."""
    phase = recorder.phase
    started = due if due is not None else time.perf_counter()
    try:
        # httpx's time-outs bound each step; this bounds the whole request, queueing for a connection included.
        async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
            if gate is None:
                response = await client.request(method, path, **options)
            else:
                # Queue here, not in httpcore's pool, whose hand-out of connections is
                # quadratic in the requests waiting (it stalls the driver under overload).
                async with gate:
                    response = await client.request(method, path, **options)
    except TimeoutError:
        recorder.error(phase, endpoint, "timeout")
        return None
    except httpx.HTTPError as error:
        recorder.error(phase, endpoint, type(error).__name__)
        return None
    if response.status_code not in expect:
        recorder.error(phase, endpoint, str(response.status_code))
        return None
    recorder.ok(phase, endpoint, started, response.status_code)
    return response


# Traffic -------------------------------------------------------------------------------------


@dataclass
class StationState:
    ticket_id: int | None = None
    status: str | None = None  # "called" or "in_service"


@dataclass
class SiteState:
    """What a site's staff and kiosk know of their site, kept from the API's answers."""

    seeded: SeededSite
    waiting: int = 0
    stations: dict[int, StationState] = field(default_factory=dict)
    steps: int = 0
    out_of_step: bool = False
    recent_tickets: deque = field(default_factory=lambda: deque(maxlen=8))  # (id, token) for portal reads


MIN_WAITING = 4
MAX_WAITING = 12


class Writers:
    """Staff and kiosks: each writer runs its share of the sites, one change per site about each second."""

    def __init__(
        self, recorder: Recorder, base: str, seeded: list[SeededSite], settings: Settings, rng: random.Random
    ) -> None:
        self.recorder = recorder
        self.settings = settings
        self.rng = rng
        self.sites = [
            SiteState(s, stations={station: StationState() for station in s.station_ids}) for s in seeded
        ]
        limits = httpx.Limits(max_connections=settings.writers, max_keepalive_connections=settings.writers)
        self.client = httpx.AsyncClient(
            base_url=f"{base}{API}", limits=limits, timeout=REQUEST_TIMEOUT_SECONDS
        )
        self.stopping = False

    async def open_stations(self) -> None:
        for site in self.sites:
            for station_id in site.seeded.station_ids:
                response = await self.client.post(f"/stations/{station_id}/open", headers=self._staff(site))
                response.raise_for_status()

    async def run(self) -> None:
        await asyncio.gather(
            *(self._writer(self.sites[n :: self.settings.writers]) for n in range(self.settings.writers))
        )

    async def _writer(self, own: list[SiteState]) -> None:
        if not own:
            return
        interval = 1.0 / (len(own) * self.settings.changes_per_site_per_second)
        due = time.perf_counter()
        turn = 0
        while not self.stopping:
            site = own[turn % len(own)]
            turn += 1
            if await self._step(site):
                self.recorder.state_changes[self.recorder.phase] += 1
            due += interval
            lag = due - time.perf_counter()
            if lag > 0:
                await asyncio.sleep(lag)
            elif lag < -1.0:
                due = time.perf_counter()  # fell behind: carry on at the pace, do not burst

    async def _step(self, site: SiteState) -> bool:
        """One change at the site by the rhythm join, call, start, complete; True when it took."""
        if site.out_of_step:
            await self._resync(site)
            return False
        site.steps += 1
        if site.waiting < MIN_WAITING or (site.steps % 4 == 0 and site.waiting < MAX_WAITING):
            return await self._join(site)
        station_ids = list(site.stations)
        station_id = station_ids[site.steps % len(station_ids)]
        station = site.stations[station_id]
        if station.status is None:
            return await self._call_next(site, station_id) if site.waiting else await self._join(site)
        action, endpoint, after = (
            ("start", START, "in_service") if station.status == "called" else ("complete", COMPLETE, None)
        )
        response = await timed(
            self.recorder,
            self.client,
            endpoint,
            "POST",
            f"/tickets/{station.ticket_id}/{action}",
            expect=(200,),
            headers=self._staff(site),
        )
        if response is None:
            site.out_of_step = True
            return False
        site.stations[station_id] = StationState(station.ticket_id, after) if after else StationState()
        return True

    async def _join(self, site: SiteState) -> bool:
        service = self.rng.choices(
            [c for c, _ in WALK_IN_SERVICES], weights=[w for _, w in WALK_IN_SERVICES]
        )[0]
        response = await timed(
            self.recorder,
            self.client,
            JOIN,
            "POST",
            f"/sites/{site.seeded.site_id}/tickets",
            expect=(201,),
            json={"service": service},
            headers={"Authorization": f"Bearer {site.seeded.display_token}"},
        )
        if response is None:
            site.out_of_step = True
            return False
        ticket = response.json()
        site.waiting += 1
        site.recent_tickets.append((ticket["id"], ticket["token"]))
        return True

    async def _call_next(self, site: SiteState, station_id: int) -> bool:
        response = await timed(
            self.recorder,
            self.client,
            CALL_NEXT,
            "POST",
            f"/stations/{station_id}/call-next",
            expect=(200,),
            headers=self._staff(site),
        )
        if response is None:
            site.out_of_step = True
            return False
        site.waiting -= 1
        site.stations[station_id] = StationState(response.json()["id"], "called")
        return True

    async def _resync(self, site: SiteState) -> bool:
        """After a failed write, learn the site's state again from the staff queue."""
        response = await timed(
            self.recorder,
            self.client,
            RESYNC,
            "GET",
            f"/sites/{site.seeded.site_id}/queue",
            expect=(200,),
            headers=self._staff(site),
        )
        if response is None:
            return False
        queue = response.json()
        site.waiting = queue["waiting"]
        site.stations = {station_id: StationState() for station_id in site.seeded.station_ids}
        for ticket in queue["tickets"]:
            if ticket.get("station_id") in site.stations and ticket["status"] in ("called", "in_service"):
                site.stations[ticket["station_id"]] = StationState(ticket["id"], ticket["status"])
        site.out_of_step = False
        return True

    def _staff(self, site: SiteState) -> dict[str, str]:
        return {"Authorization": f"Bearer {site.seeded.staff_token}"}

    def ticket_to_read(self) -> tuple[int, str] | None:
        with_tickets = [s for s in self.sites if s.recent_tickets]
        if not with_tickets:
            return None
        return self.rng.choice(self.rng.choice(with_tickets).recent_tickets)


class Readers:
    """Lobby screens and patients at home."""

    def __init__(
        self, recorder: Recorder, base: str, writers: Writers, settings: Settings, rng: random.Random
    ) -> None:
        self.recorder = recorder
        self.writers = writers
        self.settings = settings
        self.rng = rng
        self.site_ids = [s.seeded.site_id for s in writers.sites]
        self.base = f"{base}{API}"
        self.gate: asyncio.Semaphore | None = None

    def _client(self, connections: int) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx.AsyncClient(base_url=self.base, limits=limits, timeout=REQUEST_TIMEOUT_SECONDS)

    async def read(self, client: httpx.AsyncClient, endpoint: str, *, due: float | None = None) -> None:
        site_id = self.rng.choice(self.site_ids)
        if endpoint == TICKET:
            chosen = self.writers.ticket_to_read()
            if chosen is None:
                await asyncio.sleep(0.05)
                return
            ticket_id, token = chosen
            await timed(
                self.recorder,
                client,
                TICKET,
                "GET",
                f"/tickets/{ticket_id}",
                expect=(200,),
                due=due,
                gate=self.gate,
                headers={"X-Patient-Token": token},
            )
        elif endpoint == TRIVIAL:
            await timed(
                self.recorder, client, TRIVIAL, "GET", "/services", expect=(200,), due=due, gate=self.gate
            )
        elif endpoint == WAIT:
            await timed(
                self.recorder,
                client,
                WAIT,
                "GET",
                f"/sites/{site_id}/wait",
                expect=(200,),
                due=due,
                gate=self.gate,
            )
        elif endpoint == DISPLAY:
            await timed(
                self.recorder,
                client,
                DISPLAY,
                "GET",
                f"/sites/{site_id}/display",
                expect=(200,),
                due=due,
                gate=self.gate,
            )
        elif endpoint == BEST_TIMES:
            await timed(
                self.recorder,
                client,
                BEST_TIMES,
                "GET",
                f"/sites/{site_id}/best-times",
                expect=(200,),
                due=due,
                gate=self.gate,
                params={"service": "DRAW"},
            )

    async def closed_loop(self, endpoint: str, until: float) -> None:
        """`closed_loop_clients` clients, each sending its next request when the last is answered."""
        async with self._client(self.settings.closed_loop_clients) as client:

            async def one_client() -> None:
                while time.perf_counter() < until:
                    await self.read(client, endpoint)

            await asyncio.gather(*(one_client() for _ in range(self.settings.closed_loop_clients)))

    async def chain(self, until: float) -> float:
        """Screens polling with If-None-Match and Poisson portal reads; returns the reads offered."""
        screens = len(self.site_ids) * self.settings.screens_per_site
        started = time.perf_counter()
        connections = min(128, screens + 32)
        self.gate = asyncio.Semaphore(connections)
        async with self._client(connections) as client:
            portal = asyncio.create_task(self._portal(client, until))
            await asyncio.gather(
                *(
                    self._screen(client, site_id, until)
                    for site_id in self.site_ids
                    for _ in range(self.settings.screens_per_site)
                )
            )
            await portal
        return (until - started) * (
            screens / self.settings.screen_interval_seconds + self.settings.portal_reads_per_second
        )

    async def _screen(self, client: httpx.AsyncClient, site_id: int, until: float) -> None:
        """The display page: poll, wait the interval, poll again with the last ETag."""
        interval = self.settings.screen_interval_seconds
        due = time.perf_counter() + self.rng.uniform(0, interval)
        etag = None
        while True:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if time.perf_counter() >= until:
                return
            headers = {"If-None-Match": etag} if etag else {}
            response = await timed(
                self.recorder,
                client,
                SCREEN,
                "GET",
                f"/sites/{site_id}/display",
                expect=(200, 304),
                gate=self.gate,
                headers=headers,
            )
            if response is not None and response.headers.get("ETag"):
                etag = response.headers["ETag"]
            due = max(due + interval, time.perf_counter())

    async def _portal(self, client: httpx.AsyncClient, until: float) -> None:
        pending = set()
        due = time.perf_counter()
        while True:
            due += self.rng.expovariate(self.settings.portal_reads_per_second)
            if due >= until:
                break
            ahead = due - time.perf_counter()
            if ahead > 0:  # when behind, send what is due at once rather than one per turn of the loop
                await asyncio.sleep(ahead)
            endpoint = self.rng.choices([TICKET, WAIT, BEST_TIMES], weights=[0.6, 0.3, 0.1])[0]
            task = asyncio.create_task(self.read(client, endpoint, due=due))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            _done, unfinished = await asyncio.wait(set(pending), timeout=REQUEST_TIMEOUT_SECONDS + 5)
            for task in unfinished:
                task.cancel()


async def warm_best_times(base: str, seeded: list[SeededSite]) -> float:
    """Ask each site's best times once before measuring, two at a time (the server's workers).

    A running server holds them already: they are renewed every 5 minutes
    (README, "Shared estimates and caching"), and a week's search for one site
    costs seconds of CPU, so a cold start would measure only that.
    """
    started = time.perf_counter()
    gate = asyncio.Semaphore(2)
    async with httpx.AsyncClient(base_url=f"{base}{API}", timeout=120.0) as client:

        async def one(site_id: int) -> None:
            async with gate:
                await client.get(f"/sites/{site_id}/best-times", params={"service": "DRAW"})

        await asyncio.gather(*(one(site.site_id) for site in seeded))
    seconds = time.perf_counter() - started
    print(f"  best times warmed for {len(seeded)} sites in {seconds:.0f} s", flush=True)
    return seconds


def best_times_instant() -> int:
    """Which of best times' instants it is (renewed each `BEST_TIME_RESOLUTION`, 5 minutes)."""
    return int(time.time() // BEST_TIME_RESOLUTION.total_seconds())


async def drive(base: str, seeded: list[SeededSite], settings: Settings, meter: CpuMeter) -> Recorder:
    recorder = Recorder()
    rng = random.Random(settings.seed)
    writers = Writers(recorder, base, seeded, settings, rng)
    readers = Readers(recorder, base, writers, settings, rng)
    await writers.open_stations()
    writing = asyncio.create_task(writers.run())

    async def phase(name: str, traffic: Callable[[float], Awaitable[float | None]] | None) -> None:
        await asyncio.sleep(0)
        app_before, database_before = meter.sample()
        driver_before = time.process_time()
        renewal_before = best_times_instant()
        started = time.perf_counter()
        recorder.phase = name
        recorder.phases[name] = current = Phase(name, started)
        until = started + settings.phase_seconds
        offered = await traffic(until) if traffic else await asyncio.sleep(settings.phase_seconds)
        current.ended = max(time.perf_counter(), until)
        app_after, database_after = meter.sample()
        current.app_cpu_seconds = cpu_spent(app_before, app_after)
        current.database_cpu_seconds = (
            cpu_spent(database_before, database_after) if meter.admin is not None else None
        )
        current.driver_cpu_seconds = time.process_time() - driver_before
        current.offered_reads = offered
        recorder.load_averages.append(os.getloadavg()[0])
        if best_times_instant() != renewal_before:
            recorder.best_times_renewals.append(name)
        print(f"  {name}: done", flush=True)

    try:
        warming_from = best_times_instant()
        recorder.best_times_warmed_seconds = await warm_best_times(base, seeded)
        if best_times_instant() != warming_from:
            recorder.best_times_renewals.append("warm-up")
        await asyncio.sleep(settings.warmup_seconds)
        await phase(WRITES_ONLY, None)
        for endpoint, name in PHASE_A.items():
            await phase(name, lambda until, endpoint=endpoint: readers.closed_loop(endpoint, until))
        await phase(CHAIN, readers.chain)
        recorder.phase = "wind-down"
    finally:
        writers.stopping = True
        await asyncio.wait_for(writing, timeout=REQUEST_TIMEOUT_SECONDS + 5)
        await writers.client.aclose()
    return recorder


# Report ---------------------------------------------------------------------------------------


@dataclass
class Costs:
    """CPU milliseconds per request, by phase: writes from the writes-only phase, reads net of writes."""

    app_ms_per_write: float | None
    database_ms_per_write: float | None
    app_ms_per_read: dict[str, float]
    database_ms_per_read: dict[str, float]


def costs(recorder: Recorder) -> Costs:
    def answered(phase: str, endpoints) -> int:
        return sum(
            len(r.latencies_ms) for (p, e), r in recorder.records.items() if p == phase and e in endpoints
        )

    baseline = recorder.phases[WRITES_ONLY]
    writes = answered(WRITES_ONLY, WRITES)
    app_write = baseline.app_cpu_seconds * 1000 / writes if writes else None
    database_write = (
        baseline.database_cpu_seconds * 1000 / writes
        if writes and baseline.database_cpu_seconds is not None
        else None
    )
    app_read, database_read = {}, {}
    for name, phase in recorder.phases.items():
        if name == WRITES_ONLY:
            continue
        reads = answered(name, {TRIVIAL, WAIT, DISPLAY, SCREEN, TICKET, BEST_TIMES})
        phase_writes = answered(name, WRITES)
        if not reads:
            continue
        # A net cost at or below zero is the writes' cost varying more than the reads cost: not shown.
        if app_write is not None and phase.app_cpu_seconds * 1000 > phase_writes * app_write:
            app_read[name] = (phase.app_cpu_seconds * 1000 - phase_writes * app_write) / reads
        if (
            database_write is not None
            and phase.database_cpu_seconds is not None
            and phase.database_cpu_seconds * 1000 > phase_writes * database_write
        ):
            database_read[name] = (phase.database_cpu_seconds * 1000 - phase_writes * database_write) / reads
    return Costs(app_write, database_write, app_read, database_read)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| phase | endpoint | requests | req/s | p50 ms | p99 ms | errors | × trivial | 304 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratio = "—" if row.trivial_ratio is None else f"{row.trivial_ratio:.2f}"
        share = "—" if row.not_modified_share is None else f"{row.not_modified_share:.0%}"
        lines.append(
            f"| {row.phase} | `{row.endpoint}` | {row.requests} | {row.per_second:.1f} | {_ms(row.p50_ms)} | {_ms(row.p99_ms)} | {row.errors} | {ratio} | {share} |"
        )
    return lines


def verdicts(recorder: Recorder, rows: list[Row], clients: int) -> list[str]:
    found = {(row.phase, row.endpoint): row for row in rows}
    lines = []

    def verdict(ok: bool, text_: str) -> None:
        lines.append(f"- {'PASS' if ok else 'FAIL'} {text_}")

    for endpoint in (WAIT, DISPLAY, TICKET):
        row = found.get((PHASE_A[endpoint], endpoint))
        if row is None:
            verdict(False, f"(a) `{endpoint}`: no answers")
            continue
        ratio = row.trivial_ratio or 0.0
        verdict(
            ratio >= THROUGHPUT_RATIO_TARGET
            and (row.p99_ms or 1e9) <= READ_P99_TARGET_MS
            and row.errors == 0,
            f"(a) `{endpoint}`: {ratio:.2f} × trivial (≥ {THROUGHPUT_RATIO_TARGET}), p99 {_ms(row.p99_ms)} ms (≤ {READ_P99_TARGET_MS:.0f}), {row.errors} errors, {clients} clients",
        )
    chain_reads = [
        row
        for (phase, endpoint), row in found.items()
        if phase == CHAIN and endpoint not in WRITES and endpoint != RESYNC
    ]
    for row in chain_reads:
        verdict(
            (row.p99_ms or 1e9) <= READ_P99_TARGET_MS and row.errors == 0,
            f"(b) `{row.endpoint}`: p99 {_ms(row.p99_ms)} ms (≤ {READ_P99_TARGET_MS:.0f}), {row.errors} errors",
        )
    chain = recorder.phases.get(CHAIN)
    if chain is not None and chain.offered_reads:
        served = sum(row.requests - row.errors for row in chain_reads)
        share = served / chain.offered_reads
        verdict(
            share >= OFFERED_SHARE_TARGET,
            f"(b) reads served {served} of {chain.offered_reads:.0f} offered: {share:.0%} (≥ {OFFERED_SHARE_TARGET:.0%})",
        )
    for endpoint in (JOIN, CALL_NEXT):
        row = found.get((CHAIN, endpoint))
        if row is None:
            verdict(False, f"(c) `{endpoint}`: no answers in the chain phase")
            continue
        verdict(
            (row.p99_ms or 1e9) <= WRITE_P99_TARGET_MS and row.errors == 0,
            f"(c) `{endpoint}`: p99 {_ms(row.p99_ms)} ms (≤ {WRITE_P99_TARGET_MS:.0f}), {row.errors} errors",
        )
    return lines


def conditions(recorder: Recorder, cost: Costs, sites_count: int, cores: int) -> list[str]:
    lines = []
    for name, phase in recorder.phases.items():
        seconds = phase.ended - phase.started
        changes = recorder.state_changes.get(name, 0) / seconds / sites_count
        parts = [
            f"state changes {changes:.2f}/s per site",
            f"app CPU {phase.app_cpu_seconds / seconds:.2f} cores",
        ]
        if phase.database_cpu_seconds is not None:
            parts.append(f"database backends {phase.database_cpu_seconds / seconds:.2f} cores")
        parts.append(f"driver {phase.driver_cpu_seconds / seconds:.2f} cores (of {cores})")
        if name in cost.app_ms_per_read:
            read_cost = f"per read: app {cost.app_ms_per_read[name]:.2f} ms CPU"
            if name in cost.database_ms_per_read:
                read_cost += f", database {cost.database_ms_per_read[name]:.2f} ms CPU"
            parts.append(read_cost)
        lines.append(f"- {name} ({seconds:.0f} s): " + "; ".join(parts))
    if cost.app_ms_per_write is not None:
        write_cost = f"- per write (writes-only phase): app {cost.app_ms_per_write:.1f} ms CPU"
        if cost.database_ms_per_write is not None:
            write_cost += f", database {cost.database_ms_per_write:.1f} ms CPU"
        lines.append(write_cost)
    if recorder.best_times_warmed_seconds is not None:
        renewed = ", ".join(recorder.best_times_renewals) or "nowhere"
        lines.append(
            f"- best times warmed for every site in {recorder.best_times_warmed_seconds:.0f} s before the phases; "
            f"their 5-minute instant moved on during: {renewed} (sites warmed before that are made again on their next read)"
        )
    if recorder.load_averages:
        lines.append(
            f"- machine load (1-minute average at each phase's end): {', '.join(f'{v:.1f}' for v in recorder.load_averages)}; "
            f"gunicorn worker time-outs: {recorder.worker_timeouts}"
        )
    errors = {
        f"{phase} {endpoint}: " + ", ".join(f"{k}×{v}" for k, v in r.error_kinds.items())
        for (phase, endpoint), r in recorder.records.items()
        if r.errors
    }
    lines += [f"- errors, {e}" for e in sorted(errors)]
    return lines


def commit_described() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"{head} (with uncommitted changes)" if dirty else head


LOAD_SECTION = "# Load benchmark"


def write_results(target: Path, section: list[str]) -> None:
    """Add this run at the end of the '# Load benchmark' section, keeping every other section as it is."""
    results.add_to_section(
        target,
        LOAD_SECTION,
        'Command: `.venv/bin/python -m benchmarks.load` (see the README, "Load benchmark").',
        "\n".join(section),
    )


# Entry point ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="10 sites, 5 s phases; RESULTS.md untouched unless --write"
    )
    parser.add_argument("--sites", type=int, help="sites seeded and kept busy (default 100; quick 10)")
    parser.add_argument("--seconds", type=float, help="length of each measured phase (default 60; quick 5)")
    parser.add_argument(
        "--admin-url",
        default=ADMIN_URL,
        help="PostgreSQL URL allowed to CREATE DATABASE (env SCHEDQ_LOAD_ADMIN_URL)",
    )
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--redis-url", help="passed to the server as SCHEDQ_REDIS_URL")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--note", default="", help="a line added to the RESULTS.md section, e.g. what else ran on the machine"
    )
    parser.add_argument(
        "--write", type=Path, help="append the report here (full runs: benchmarks/RESULTS.md)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    base_settings = QUICK if args.quick else Settings()
    settings = Settings(
        **{
            **{f: getattr(base_settings, f) for f in Settings.__dataclass_fields__},
            **({"sites": args.sites} if args.sites else {}),
            **({"phase_seconds": args.seconds} if args.seconds else {}),
        }
    )
    admin_url = None if args.sqlite else args.admin_url
    cores = os.cpu_count() or 1
    began = datetime.now(UTC)
    print(
        f"load benchmark: {settings.sites} sites, {settings.phase_seconds:.0f} s phases, {args.workers} workers, on {'SQLite' if args.sqlite else 'PostgreSQL'}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="schedq-load-") as scratch:
        workdir = Path(scratch)
        with scratch_database(admin_url, workdir) as (url, admin, database_name):
            seeded = seed_sites(url, count=settings.sites, now=began)
            print(f"  seeded {len(seeded)} sites", flush=True)
            server = Server(database_url=url, workdir=workdir, workers=args.workers, redis_url=args.redis_url)
            try:
                server.wait_until_up()
                print(f"  serving on {server.base}", flush=True)
                recorder = asyncio.run(
                    drive(server.base, seeded, settings, CpuMeter(server, admin, database_name))
                )
                if server.process.poll() is not None:
                    raise RuntimeError(f"the server died during the run:\n{server.log_tail()}")
                recorder.worker_timeouts = server.worker_timeouts()
            finally:
                server.stop()
    rows = recorder.rows()
    cost = costs(recorder)
    report = table(rows) + [
        "",
        "Targets (issue 10, point 4):",
        "",
        *verdicts(recorder, rows, settings.closed_loop_clients),
        "",
        "Conditions and CPU per request:",
        "",
        *conditions(recorder, cost, settings.sites, cores),
    ]
    print("\n" + "\n".join(report))

    target = (
        None
        if args.no_write
        else args.write or (None if args.quick or args.sites or args.seconds else RESULTS)
    )
    if target is not None:
        header = [
            f"## {began:%Y-%m-%d %H:%M} UTC, commit {commit_described()}",
            "",
            f"{settings.sites} sites, {settings.phase_seconds:.0f} s phases, gunicorn {args.workers} workers × 8 threads, "
            f"{'SQLite' if args.sqlite else 'PostgreSQL'}{', Redis' if args.redis_url else ''}, {cores} cores; "
            f"the driver runs on the same cores.",
        ]
        if args.note:
            header += ["", args.note]
        write_results(target, header + [""] + report)
        print(f"\nwritten to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
