"""A `schedq worker` killed between sending and marking loses nothing, and the retry sends the same key.

The worker runs as a real process. Its LOG channel keeps the message in the
database and then appends it to `SCHEDQ_NOTIFY_LOG_FILE`, here a named pipe
nobody reads: the worker blocks there, after the message was kept and before
the try is marked, and is killed (SIGKILL) at that point.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from schedq.db.models import Delivery, LoggedMessage
from tests.notify.helpers import PHONE, book, tries

SCHEDQ = shutil.which("schedq", path=str(Path(sys.executable).parent)) or "schedq"
WAIT_SECONDS = 60


def _env(database_url: str, tmp_path: Path, log_file: Path) -> dict[str, str]:
    return os.environ | {
        "SCHEDQ_DATABASE_URL": database_url,
        "SCHEDQ_INSTANCE_DIR": str(tmp_path / "worker-instance"),
        "SCHEDQ_SECRET_KEY": "test-secret",
        "SCHEDQ_SEED_DEMO": "false",
        "SCHEDQ_ESTIMATOR_WARM_UP": "false",
        "SCHEDQ_NOTIFY_LOG_FILE": str(log_file),
        "SCHEDQ_NOTIFY_LEASE_SECONDS": "1",
        "SCHEDQ_NOTIFY_POLL_SECONDS": "0.1",
    }


def _kept(make_uow) -> list[LoggedMessage]:
    with make_uow(write=False) as uow:
        return list(uow.session.scalars(select(LoggedMessage)))


def _until(predicate, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the worker stopped ({process.returncode}): {process.stdout.read()}")
        assert time.monotonic() < deadline, f"waited {WAIT_SECONDS} s for {what}"
        time.sleep(0.05)


def test_killed_between_send_and_mark_the_message_is_sent_again_with_the_same_key(
    site, make_uow, database_url, tmp_path, backend
):
    book(make_uow, site.site_id, sms=True, email=False)
    with make_uow(write=False) as uow:
        row = uow.session.scalars(select(Delivery).where(Delivery.status == "pending")).one()
    log_file = tmp_path / "messages.jsonl"
    os.mkfifo(log_file)
    env = _env(database_url, tmp_path, log_file)
    worker = subprocess.Popen(
        [SCHEDQ, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
    )
    try:
        _until(lambda: len(_kept(make_uow)) == 1, "the message in the log sink", worker)
        assert worker.poll() is None  # blocked writing the pipe: sent, not marked
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=WAIT_SECONDS)
    with make_uow(write=False) as uow:
        assert uow.session.get_one(Delivery, row.id).status == "sending"
    assert tries(make_uow, row.id) == [(1, None)]

    log_file.unlink()  # a plain file from now on
    with make_uow(write=False) as uow:
        lease = uow.session.get_one(Delivery, row.id).lease_until
    _until(lambda: datetime.now(UTC) > lease, "the lease to run out")
    again = subprocess.run(
        [SCHEDQ, "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=WAIT_SECONDS,
    )
    assert again.returncode == 0, again.stdout + again.stderr

    with make_uow(write=False) as uow:
        done = uow.session.get_one(Delivery, row.id)
    assert done.status == "sent"
    assert tries(make_uow, row.id) == [(1, "interrupted"), (2, "sent")]
    [kept] = _kept(make_uow)  # the sink took the second try's key as the first's: one message
    assert (kept.key, kept.recipient) == (row.key, PHONE)
    [line] = log_file.read_text().splitlines()
    assert json.loads(line)["key"] == row.key
