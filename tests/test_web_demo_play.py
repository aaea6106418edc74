"""The live demo: a sped-up simulated clock through working hours, and a demo site that plays by itself."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schedq import create_app
from schedq.web.demo_play import DemoClock, next_morning

CHICAGO = ZoneInfo("America/Chicago")
SCHEDQ = shutil.which("schedq", path=str(Path(sys.executable).parent)) or "schedq"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO)


def clock_from(start: str, speed: float = 20.0) -> DemoClock:
    return DemoClock(real_start=datetime(2026, 1, 1, tzinfo=UTC), virtual_start=local(start), speed=speed)


def test_the_demo_clock_runs_faster_than_real_time():
    clock = clock_from("2026-03-02T06:50")
    assert clock.at(clock.real_start + timedelta(minutes=3)) == local("2026-03-02T07:50")


def test_the_demo_clock_skips_the_night():
    clock = clock_from("2026-03-02T17:30")  # a Monday, ten minutes before the day window ends
    assert clock.at(clock.real_start + timedelta(minutes=1)) == local("2026-03-03T07:00")


def test_the_demo_clock_skips_the_weekend():
    clock = clock_from("2026-03-06T17:30")  # a Friday
    assert clock.at(clock.real_start + timedelta(minutes=1)) == local("2026-03-09T07:00")


def test_the_demo_clock_never_goes_back():
    clock = clock_from("2026-03-02T06:50", speed=60)
    seen = [clock.at(clock.real_start + timedelta(seconds=s)) for s in range(0, 3 * 24 * 3600, 997)]
    assert seen == sorted(seen)


def test_a_new_run_starts_on_the_next_working_morning():
    assert next_morning(local("2026-03-06T09:00"), CHICAGO) == local("2026-03-09T06:50")
    assert next_morning(local("2026-03-02T06:00"), CHICAGO) == local("2026-03-02T06:50")


def test_demo_play_sets_the_app_clock_and_resumes_where_an_earlier_run_reached(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "demo-play.json").write_text(json.dumps({"reached": "2099-03-02T12:00:00-06:00"}))
    app = create_app(
        {"DEMO_PLAY": True, "INSTANCE_DIR": str(instance), "SECRET_KEY": "x", "SEED_DEMO": False}
    )
    clock = app.config["CLOCK"]
    assert isinstance(clock, DemoClock)
    assert clock.virtual_start == local("2099-03-02T12:00")
    app.extensions["schedq.database"].dispose()


def test_without_demo_play_the_clock_is_left_alone(tmp_path):
    app = create_app({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x", "DEMO_PLAY": False})
    assert app.config.get("CLOCK") is None
    app.extensions["schedq.database"].dispose()


@pytest.mark.slow
def test_the_served_demo_site_calls_patients_by_itself(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDQ_")}
    env.update(
        SCHEDQ_INSTANCE_DIR=str(tmp_path / "instance"),
        SCHEDQ_DEMO_PLAY="true",
        SCHEDQ_DEMO_PLAY_SPEED="400",
    )
    process = subprocess.Popen(
        [SCHEDQ, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        start_new_session=True,
    )
    feed_url = f"http://127.0.0.1:{port}/api/v1/sites/1/display"
    try:
        deadline = time.monotonic() + 40
        feed: dict = {}
        while time.monotonic() < deadline and not feed.get("recent_calls"):
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(feed_url, timeout=5) as answer:
                    feed = json.loads(answer.read())
            except OSError:
                continue
        assert feed.get("recent_calls"), "no patient was called within 40 s of demo play"
        assert feed["stations_open"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The demo beside people, and across a restart ------------------------------------------


class HandClock:
    """The demo time a test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def demo_app(instance: Path, database_url: str):
    app = create_app(
        {
            "DEMO_PLAY": True,
            "INSTANCE_DIR": str(instance),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "x",
            "SEED_DEMO": False,
        }
    )
    return app


def uow_of(app):
    from schedq.db.uow import UnitOfWork

    return lambda write=True: UnitOfWork(app.extensions["schedq.database"], write=write)


def all_tickets(app) -> list:
    from sqlalchemy import select

    from schedq.db.models import Ticket

    with uow_of(app)(write=False) as uow:
        rows = uow.session.scalars(select(Ticket).order_by(Ticket.id))
        return [
            dict(
                id=t.id,
                code=t.code,
                status=t.status.value,
                joined_at=t.joined_at,
                called_at=t.called_at,
                started_at=t.started_at,
                completed_at=t.completed_at,
                day=t.service_day,
                end_reason=t.end_reason,
            )
            for t in rows
        ]


def play(player, clock: HandClock, until: datetime, *, seconds: float = 30.0, between=None) -> None:
    """Step the player as its thread would, the demo time moving `seconds` at a time."""
    while clock.at < until:
        clock.at = min(until, clock.at + timedelta(seconds=seconds))
        if between is not None:
            between(clock.at)
        player.step()


def assert_consistent(tickets: list[dict]) -> None:
    """Codes count up without gaps in joining order; nobody is called before joining or served out of order."""
    by_prefix: dict[tuple, list[dict]] = {}
    for t in tickets:
        by_prefix.setdefault((t["day"], t["code"][0]), []).append(t)
    for line in by_prefix.values():
        line.sort(key=lambda t: int(t["code"][1:]))
        assert [int(t["code"][1:]) for t in line] == list(range(1, len(line) + 1))
        joined = [t["joined_at"] for t in line]
        assert joined == sorted(joined), "a later code joined earlier: the day was played again"
    for t in tickets:
        assert t["called_at"] is None or t["called_at"] >= t["joined_at"], t
        assert t["started_at"] is None or t["called_at"] <= t["started_at"], t
        assert t["completed_at"] is None or t["started_at"] <= t["completed_at"], t
        assert (t["status"] == "done") == (t["completed_at"] is not None), t


def staff_beside(app, rng, counts):
    """Random console and API actions at the demo site, as people would take them at demo time `now`."""
    from sqlalchemy import select

    from schedq.db.models import Station, Ticket
    from schedq.domain.contact import Contact
    from schedq.domain.enums import StationState
    from schedq.domain.errors import Conflict, InvalidInput, NotFound
    from schedq.services import tickets
    from schedq.services.queue import calling, corrections, line, stations
    from schedq.services.rate_limits import TableCounters

    make = uow_of(app)
    actor = "staff:console"
    tokens: dict[int, str] = {}

    def act(now: datetime) -> None:
        for _ in range(int(rng.integers(0, 3))):
            with make(write=False) as uow:
                active = [(t.id, t.status.value) for t in line.active_tickets(uow, 1)]
                station_ids = list(uow.session.scalars(select(Station.id).where(Station.site_id == 1)))
                finished = list(uow.session.scalars(select(Ticket.id).where(Ticket.status == "no_show")))

            def pick(status: str, active: list[tuple[int, str]] = active) -> list[int]:
                return [i for i, s in active if s == status]

            choice = str(
                rng.choice(
                    [
                        "join",
                        "join_remote",
                        "leave",
                        "call_next",
                        "call_ticket",
                        "start",
                        "complete",
                        "no_show",
                        "requeue",
                        "cancel",
                        "recall",
                        "open",
                        "pause",
                        "close",
                    ]
                )
            )
            station = int(rng.choice(station_ids))
            try:
                if choice == "join":
                    view = tickets.join_walk_in(
                        make(), site_id=1, service_code="DRAW", actor="kiosk", now=now, secret_key="x"
                    )
                    tokens[view.id] = view.token
                elif choice == "join_remote":
                    view = tickets.join_remote(
                        make(),
                        site_id=1,
                        service_code="DRAW",
                        now=now,
                        secret_key="x",
                        client_address=None,
                        contact=Contact("Pat Remote", f"+1201{int(rng.integers(2 * 10**6, 10**7))}"),
                        expected_arrival_at=now + timedelta(minutes=10),
                        counters=TableCounters(),
                    )
                    tokens[view.id] = view.token
                elif choice == "leave":
                    mine = [i for i in pick("waiting") if i in tokens]
                    if not mine:
                        continue
                    mine_id = int(rng.choice(mine))
                    tickets.leave(make(), ticket_id=mine_id, token=tokens[mine_id], secret_key="x", now=now)
                elif choice == "call_next":
                    calling.call_next(make(), station_id=station, actor=actor, now=now)
                elif choice == "call_ticket":
                    if pick("waiting"):
                        calling.call_ticket(
                            make(),
                            ticket_id=int(rng.choice(pick("waiting"))),
                            station_id=station,
                            actor=actor,
                            now=now,
                        )
                elif choice in {"start", "complete", "no_show", "requeue", "cancel", "recall"}:
                    status = {
                        "start": "called",
                        "complete": "in_service",
                        "no_show": "called",
                        "requeue": "called",
                        "cancel": "waiting",
                        "recall": "called",
                    }[choice]
                    candidates = pick(status) + (finished if choice == "requeue" else [])
                    if not candidates:
                        continue
                    use_case = {
                        "start": calling.start,
                        "complete": calling.complete,
                        "no_show": calling.mark_no_show,
                        "requeue": corrections.requeue,
                        "cancel": corrections.cancel,
                        "recall": calling.recall,
                    }[choice]
                    use_case(make(), ticket_id=int(rng.choice(candidates)), actor=actor, now=now)
                else:
                    state = {
                        "open": StationState.OPEN,
                        "pause": StationState.PAUSED,
                        "close": StationState.CLOSED,
                    }[choice]
                    stations.set_station_state(make(), station_id=station, state=state, actor=actor, now=now)
            except (Conflict, NotFound, InvalidInput):
                counts["refused"] += 1
                continue
            counts[choice] += 1

    return act


def seeded_demo(app) -> None:
    from schedq import demo

    demo.seed_if_empty(uow_of(app), now=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3])
def test_the_demo_plays_on_while_staff_and_patients_act_beside_it(tmp_path, database_url, seed):
    import collections

    import numpy as np

    from schedq.web.demo_play import DemoPlayer

    app = demo_app(tmp_path / "instance", database_url)
    seeded_demo(app)
    clock = HandClock(local("2026-03-02T06:50"))
    player = DemoPlayer(app, clock, lock_handle=None, seed=seed)
    counts: collections.Counter = collections.Counter()
    with app.app_context():
        player.step()
        play(
            player,
            clock,
            local("2026-03-02T11:00"),
            between=staff_beside(app, np.random.default_rng(seed), counts),
        )
        play(player, clock, local("2026-03-02T17:40"), seconds=120)

    tickets = all_tickets(app)
    assert counts["join"] and counts["complete"] and counts["requeue"] and counts["pause"] and counts["open"]
    assert_consistent(tickets)
    assert all(t["status"] in {"done", "no_show", "left", "cancelled"} for t in tickets)
    assert sum(t["status"] == "done" for t in tickets) > 50
    app.extensions["schedq.database"].dispose()


@pytest.mark.slow
def test_a_restart_resumes_the_demo_day_and_serves_the_line_it_left(tmp_path, database_url):
    from schedq.web.demo_play import DemoPlayer

    instance = tmp_path / "instance"
    first = demo_app(instance, database_url)
    seeded_demo(first)
    clock = HandClock(local("2026-03-02T06:50"))
    with first.app_context():
        play(DemoPlayer(first, clock, lock_handle=None, seed=5), clock, local("2026-03-02T09:20"))
    stopped_at = clock.at
    left_waiting = {t["id"] for t in all_tickets(first) if t["status"] == "waiting"}
    codes_before = {t["code"] for t in all_tickets(first)}
    first.extensions["schedq.database"].dispose()
    assert left_waiting, "the line should not be empty at 09:20 for this test to mean anything"
    state = json.loads((instance / "demo-play.json").read_text())
    state["saved_at"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()  # stopped an hour ago
    (instance / "demo-play.json").write_text(json.dumps(state))

    again = demo_app(instance, database_url)
    assert again.config["CLOCK"].virtual_start == stopped_at
    assert again.config["CLOCK"]() >= stopped_at
    with again.app_context():
        play(DemoPlayer(again, clock, lock_handle=None, seed=6), clock, local("2026-03-02T17:40"), seconds=60)

    tickets = all_tickets(again)
    by_id = {t["id"]: t for t in tickets}
    assert {by_id[i]["status"] for i in left_waiting} == {"done"}
    assert not [t for t in tickets if t["status"] == "cancelled"]
    assert {t["code"] for t in tickets} > codes_before  # the day went on: more joined after the restart
    assert_consistent(tickets)
    again.extensions["schedq.database"].dispose()


def test_processes_built_while_one_plays_share_its_clock(tmp_path, database_url):
    instance = tmp_path / "instance"
    first = demo_app(instance, database_url)
    second = demo_app(instance, database_url)
    assert second.config["CLOCK"] == first.config["CLOCK"]
    for app in (first, second):
        app.extensions["schedq.database"].dispose()
