"""The run command, as a newcomer types it: migrates, seeds the demo, prints URLs, serves."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

SCHEDQ = shutil.which("schedq", path=str(Path(sys.executable).parent)) or "schedq"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.status, answer.read()


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read()}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def served(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDQ_")}
    env.update(SCHEDQ_INSTANCE_DIR=str(tmp_path / "instance"), SCHEDQ_PORT=str(port))
    process = subprocess.Popen(
        [SCHEDQ, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/api/v1/sites", process)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.slow
def test_run_command_serves_the_demo_site_and_the_docs(served, tmp_path):
    base, _process = served
    status, body = get(f"{base}/api/v1/sites")
    assert status == 200
    assert [s["slug"] for s in json.loads(body)] == ["riverside", "northside"]
    status, body = get(f"{base}/api/v1/docs")
    assert status == 200 and b"swagger-ui" in body
    assert (tmp_path / "instance" / "schedq.sqlite3").exists()
    status, body = get(f"{base}/display/1")
    assert status == 200 and b"Riverside" in body
