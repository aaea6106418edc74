"""A patient sent by an aggregator: the Slot's booking deep link opens the booking page with that
service and time chosen, and books it; a time taken meanwhile is said so in plain words."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from schedq.fhir import mapping
from tests.browser.conftest import Server

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    served = Server(instance=tmp_path_factory.mktemp("deep-link") / "instance")
    try:
        served.start()
        status, body = served.api(
            "PATCH", f"/sites/{served.site_id}", {"bookings_per_address_per_hour": 1000}, role="admin"
        )
        assert status == 200, body
        yield served
    finally:
        served.stop()


def fetch(server: Server, url: str) -> bytes:
    """A URL of the publication, from this server (the deep links name the configured PUBLIC_URL)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    with urllib.request.urlopen(server.base + path, timeout=30) as answer:
        return answer.read()


def free_draw_slots(server: Server) -> list[dict]:
    manifest = json.loads(fetch(server, f"{server.base}/fhir/$bulk-publish"))
    found = []
    for entry in manifest["output"]:
        if entry["type"] == "Slot":
            for line in fetch(server, entry["url"]).decode().splitlines():
                slot = json.loads(line)
                if slot["schedule"]["reference"].endswith("-DRAW") and slot["status"] == "free":
                    found.append(slot)
    return found


def link_of(slot: dict) -> str:
    url = next(e["valueUrl"] for e in slot["extension"] if e["url"] == mapping.BOOKING_DEEP_LINK)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_deep_link_opens_booking_with_the_slot_chosen_and_books_it(server, pages):
    slot = free_draw_slots(server)[20]
    page = pages.open(server.base + link_of(slot), width=390, height=844, mobile=True)
    page.wait_for_selector("body[data-loaded='true']")
    expect(page.locator("#service-DRAW")).to_be_checked()
    start = datetime.fromisoformat(slot["start"])
    expect(page.locator("#times input:checked")).to_have_value(slot["start"])
    expect(page.locator("#chosen")).to_contain_text("Blood draw on")
    expect(page.locator("#chosen")).to_contain_text(f"{start:%H:%M}")
    page.get_by_label("Your name").fill("Dana Linked")
    page.get_by_label("Mobile phone").fill("(201) 555-0177")
    page.get_by_role("button", name="Book this appointment").click()
    page.wait_for_url(re.compile(r"/booking/[A-Za-z0-9-]+#token="))
    token = re.search(r"#token=([^&]+)$", page.url).group(1)
    reference = re.search(r"/booking/([A-Za-z0-9-]+)", page.url).group(1)
    status, booked = server.api("GET", f"/appointments/{reference}", patient=token)
    assert status == 200
    assert datetime.fromisoformat(booked["starts_at"]) == start


def test_a_deep_link_to_a_time_taken_meanwhile_says_so(server, pages):
    slot = free_draw_slots(server)[30]
    seats = next(e["valueInteger"] for e in slot["extension"] if e["url"] == mapping.SLOT_CAPACITY)
    for n in range(seats):
        status, body = server.api(
            "POST",
            f"/sites/{server.site_id}/appointments",
            {
                "service": "DRAW",
                "starts_at": slot["start"],
                "contact": {"name": "Eve Early", "phone": f"+1 201 555 01{n:02d}"},
            },
        )
        assert status == 201, body
    page = pages.open(server.base + link_of(slot), width=1280, height=800)
    page.wait_for_selector("body[data-loaded='true']")
    expect(page.locator("#service-DRAW")).to_be_checked()
    expect(page.locator("#form-error")).to_have_text(
        "The time you chose is no longer free. Please choose another time."
    )
    expect(page.locator("#times input:checked")).to_have_count(0)
