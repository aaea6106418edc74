"""The demo's page of messages: with no channel configured, staff see what the patient would have received."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.browser.conftest import ROOT, screenshot
from tests.browser.server import OFFSET_VARIABLE
from tests.browser.test_booking import axe_violations

expect = pytest.importorskip("playwright.sync_api").expect


def run_worker_once(served) -> None:
    """`schedq worker --once` on the server's database and clock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDQ_")}
    env.update(
        SCHEDQ_INSTANCE_DIR=str(served.instance),
        SCHEDQ_ESTIMATOR_WARM_UP="false",
        PYTHONPATH=str(ROOT),
        **{OFFSET_VARIABLE: str(served.offset.total_seconds())},
    )
    if served.database_url:
        env["SCHEDQ_DATABASE_URL"] = served.database_url
    done = subprocess.run(
        [sys.executable, "-m", "tests.browser.server", "worker", "--once"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_staff_see_the_call_a_patient_was_texted(served, pages):
    station_id = served.open_station("Station 1")
    status, ticket = served.api(
        "POST",
        f"/sites/{served.site_id}/remote-tickets",
        {
            "service": "DRAW",
            "contact": {"name": "Rosalind Example", "phone": "+1 201 555 0100"},
            "expected_arrival_at": served.in_minutes(20),
            "notify_sms": True,
        },
    )
    assert status == 201, ticket
    served.staff(f"/tickets/{ticket['id']}/present")
    served.staff(f"/tickets/{ticket['id']}/call", {"station_id": station_id})
    run_worker_once(served)

    page = pages.open(f"{served.base}/staff/{served.site_id}/messages")
    page.fill("#token", served.tokens["staff"])
    page.get_by_role("button", name="Sign in").click()
    messages = page.locator("#messages li")
    expect(messages).to_have_count(1)
    expect(messages.first).to_contain_text("ticket.called · sms to +12015550100")
    expect(messages.first).to_contain_text(f"it is your turn ({ticket['code']}). Please go to Station 1 now.")
    expect(messages.first).not_to_contain_text("Blood draw")  # an SMS names no test
    assert axe_violations(page) == []
    screenshot(page, "messages")
