"""The demo's page of messages: with no channel configured, staff see what the patient would have received."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.browser.conftest import ROOT, axe_violations, screenshot
from tests.browser.server import OFFSET_VARIABLE

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


def texted_and_called(served) -> dict:
    """A patient who saved a spot with text messages on, arrived and was called; the worker has sent the text."""
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
    return ticket


def test_staff_see_the_call_a_patient_was_texted(served, pages):
    ticket = texted_and_called(served)

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


def test_staff_see_a_tickets_messages_on_the_console_and_resend_one(served, pages):
    ticket = texted_and_called(served)

    page = pages.open(f"{served.base}/staff/{served.site_id}", width=1440, height=900)
    page.get_by_label("Staff API token").fill(served.tokens["staff"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=f"Messages about {ticket['code']}").click()
    panel = page.locator("#deliveries-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#deliveries-title")).to_have_text(f"Messages about {ticket['code']}")
    called_sms = panel.locator("#deliveries-rows tr").filter(has_text="ticket.called").filter(has_text="SMS")
    expect(called_sms).to_have_count(1)
    expect(called_sms).to_have_attribute("data-state", "sent")
    expect(called_sms).to_contain_text("+12015550100")
    expect(called_sms).to_contain_text("1 (1: sent)")
    assert axe_violations(page) == []
    screenshot(page, "console-messages")

    called_sms.get_by_role("button", name="Resend ticket.called by SMS to +12015550100").click()
    expect(page.locator("#deliveries-result")).to_contain_text(
        "Resent: ticket.called by SMS to +12015550100 is waiting to be sent again"
    )
    expect(called_sms).to_have_count(2)
    expect(called_sms.nth(1)).to_have_attribute("data-state", "pending")
    expect(called_sms.nth(1).get_by_role("button")).to_have_count(0)  # a pending message is not resent

    run_worker_once(served)  # the console's poll shows the second one sent
    expect(called_sms.nth(1)).to_have_attribute("data-state", "sent")
    _, kept = served.api("GET", f"/sites/{served.site_id}/messages", role="staff")
    assert [m["event"] for m in kept if m["channel"] == "sms"].count("ticket.called") == 2

    page.get_by_role("button", name="Close messages").click()
    expect(panel).to_be_hidden()
    expect(page.get_by_role("button", name=f"Messages about {ticket['code']}")).to_be_focused()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_unsubscribe_link_asks_then_stops_the_messages_in_the_patients_language(served, pages, language):
    status, ticket = served.api(
        "POST",
        f"/sites/{served.site_id}/remote-tickets",
        {
            "service": "DRAW",
            "contact": {"name": "Rosalind Example", "email": "rosalind@example.org"},
            "expected_arrival_at": served.in_minutes(20),
            "notify_email": True,
            "language": language,
        },
    )
    assert status == 201, ticket
    station_id = served.open_station("Station 1")
    served.staff(f"/tickets/{ticket['id']}/present")
    served.staff(f"/tickets/{ticket['id']}/call", {"station_id": station_id})
    run_worker_once(served)
    _, kept = served.api("GET", f"/sites/{served.site_id}/messages", role="staff")
    email = next(m for m in kept if m["channel"] == "email")
    link = re.search(r"/unsubscribe/\S+", email["text"])
    assert link and link.group(0).endswith(f"?lang={language}"), email["text"]

    words = {
        "en": ("No more messages", "Stop the messages", "Done: the address this link was sent to"),
        "es": (
            "No más mensajes",
            "Detener los mensajes",
            "Listo: la dirección a la que se envió este enlace",
        ),
    }[language]
    page = pages.open(f"{served.base}{link.group(0)}", width=390, height=844, mobile=True)
    assert page.evaluate("document.documentElement.lang") == language
    expect(page.get_by_role("heading", level=1)).to_have_text(words[0])
    assert axe_violations(page) == []
    page.get_by_role("button", name=words[1]).click()
    page.wait_for_selector("body[data-loaded='true']")
    expect(page.get_by_role("status")).to_contain_text(words[2])
    assert axe_violations(page) == []
    screenshot(page, f"unsubscribed-{language}")
