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
from datetime import datetime, timedelta, timezone
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
    return DemoClock(real_start=datetime(2026, 1, 1, tzinfo=timezone.utc), virtual_start=local(start), speed=speed)


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


def test_demo_play_sets_the_app_clock_and_starts_after_what_an_earlier_run_reached(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "demo-play.json").write_text(json.dumps({"reached": "2099-03-02T12:00:00-06:00"}))
    app = create_app({"DEMO_PLAY": True, "INSTANCE_DIR": str(instance), "SECRET_KEY": "x", "SEED_DEMO": False})
    clock = app.config["CLOCK"]
    assert isinstance(clock, DemoClock)
    assert clock.virtual_start == local("2099-03-03T06:50")
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
        SCHEDQ_INSTANCE_DIR=str(tmp_path / "instance"), SCHEDQ_DEMO_PLAY="true", SCHEDQ_DEMO_PLAY_SPEED="400",
    )
    process = subprocess.Popen(
        [SCHEDQ, "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path, start_new_session=True,
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
