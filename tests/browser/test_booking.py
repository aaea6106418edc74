"""Booking, confirming and managing an appointment through the patient's pages alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import Server, axe_violations, from_the_start, screenshot
from tests.browser.test_pages import BOTH_DATABASES

expect = pytest.importorskip("playwright.sync_api").expect

CHICAGO = ZoneInfo("America/Chicago")
DRAW_PREPARATION = "Drink water beforehand."
PHONE = (390, 844)
DESKTOP = (1280, 800)


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Iterator[Server]:
    """One demo server for the tests that each book with their own contact and do not disturb each other."""
    server = Server(instance=tmp_path_factory.mktemp("booking") / "instance")
    try:
        server.start()
        status, body = server.api(
            "PATCH", f"/sites/{server.site_id}", {"bookings_per_address_per_hour": 1000}, role="admin"
        )
        assert status == 200, body
        yield server
    finally:
        server.stop()


def open_booking(pages, server: Server, *, size=PHONE, lang: str | None = None):
    query = f"?lang={lang}" if lang else ""
    width, height = size
    return pages.open(
        f"{server.base}/sites/{server.site_id}/book{query}", width=width, height=height, mobile=width < 500
    )


def choose_slot(page, *, service: str = "DRAW", day: int = 0, time: int = 0) -> None:
    page.locator(f"label[for='service-{service}']").click()
    page.locator("#days select").select_option(index=day + 1)
    page.locator("#times label").nth(time).click()


def fill_contact(page, name: str, phone: str) -> None:
    page.locator("#name").fill(name)
    page.locator("#phone").fill(phone)


def token_of(page) -> str:
    match = re.search(r"#token=([^&]+)$", page.url)
    assert match, page.url
    return match.group(1)


def reference_of(page) -> str:
    match = re.search(r"/booking/([A-Za-z0-9-]+)", page.url)
    assert match, page.url
    return match.group(1)


def appointments_named(server: Server, reference: str, token: str, name: str) -> list[dict]:
    """The site's appointments on the booking's day with the contact `name` (staff's view)."""
    status, seen = server.api("GET", f"/appointments/{reference}", patient=token)
    assert status == 200, seen
    status, day = server.api(
        "GET", f"/sites/{server.site_id}/appointments?date={seen['starts_at'][:10]}", role="staff"
    )
    assert status == 200, day
    return [a for a in day if a["contact_name"] == name]


def today(server: Server):
    return datetime.fromisoformat(server.in_minutes(0)).astimezone(CHICAGO).date()


@BOTH_DATABASES
def test_book_confirm_reschedule_and_cancel_through_the_pages(served, pages, server_backend):
    page = from_the_start(pages, served, "Book an appointment")
    assert page.url.endswith(f"/sites/{served.site_id}/book")
    choose_slot(page, day=1, time=2)
    prep = page.locator("#prep")
    expect(prep).to_be_visible()
    expect(prep).to_contain_text(DRAW_PREPARATION)
    expect(page.locator("#chosen")).to_contain_text("Blood draw on")
    page.get_by_label("Your name").fill("Rosa Booker")
    page.get_by_label("Mobile phone").fill("(201) 555-0142")
    page.get_by_label("Send me text messages about this booking").check()
    screenshot(page, f"book-filled-phone-{server_backend}")
    page.get_by_role("button", name="Book this appointment").click()

    page.wait_for_url(re.compile(r"/booking/[A-Za-z0-9-]+#token="))
    page.wait_for_selector("body[data-loaded='true']")
    assert "new=1" not in page.url, "the manage link to keep is the clean one"
    expect(page.locator("#booked-note")).to_have_text("Booked. Your appointment is confirmed.")
    reference, token = reference_of(page), token_of(page)
    expect(page.locator("#reference")).to_have_text(reference)
    expect(page.locator("#service-name")).to_have_text("Blood draw")
    expect(page.locator("#prep")).to_contain_text(DRAW_PREPARATION)
    expect(page.locator("#site-address")).to_contain_text("1200 River Road")
    expect(page.get_by_role("link", name="Open the map")).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/\?mlat=39\.799&mlon=-89\.644")
    )
    expect(page.locator("#phone-link")).to_have_attribute("href", "tel:+12175550100")
    expect(page.locator("#phone-link")).to_have_text("(217) 555-0100")
    expect(page.locator("#manage-link")).to_have_value(f"{served.base}/booking/{reference}#token={token}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Add to my calendar (.ics file)").click()
    assert download.value.suggested_filename == f"{reference}.ics"
    calendar = open(download.value.path(), encoding="utf-8").read()
    assert "BEGIN:VEVENT" in calendar and f"Reference: {reference}" in calendar
    screenshot(page, f"booking-confirmed-phone-{server_backend}")

    status, booked = served.api("GET", f"/appointments/{reference}", patient=token)
    assert status == 200 and booked["notify_sms"] is True and booked["notify_email"] is False
    first_time = booked["starts_at"]
    expect(page.locator("#when")).to_contain_text(first_time[11:16])

    card = page.locator("#reschedule-card")
    card.get_by_label("The day").select_option(index=3)
    card.locator("#times label").nth(3).click()
    card.get_by_role("button", name="Move my appointment").click()
    expect(page.locator("#booked-note")).to_contain_text("Your appointment is moved to")
    status, moved = served.api("GET", f"/appointments/{reference}", patient=token)
    assert moved["starts_at"] != first_time and moved["status"] == "booked"
    expect(page.locator("#when")).to_contain_text(moved["starts_at"][11:16])

    page.get_by_label("Why are you cancelling?").select_option(label="The time does not suit me")
    page.get_by_label("Anything else the site should know (optional)").fill("I have\nto work")
    page.get_by_role("button", name="Cancel my appointment").click()
    expect(page.locator("#status")).to_have_text("Cancelled")
    expect(page.locator("#cancel-card")).to_be_hidden()
    expect(page.locator("#reschedule-card")).to_be_hidden()
    [seen] = appointments_named(served, reference, token, "Rosa Booker")
    assert (seen["status"], seen["cancel_reason"]) == (
        "cancelled",
        "The time does not suit me: I have to work",
    )
    screenshot(page, f"booking-cancelled-phone-{server_backend}")


def test_a_double_submit_books_once(shared, pages):
    page = open_booking(pages, shared)
    choose_slot(page, day=2, time=1)
    fill_contact(page, "Dora Double", "(201) 555-0143")
    page.get_by_role("button", name="Book this appointment").dblclick()
    page.wait_for_url(re.compile(r"/booking/"))
    page.wait_for_selector("body[data-loaded='true']")
    assert len(appointments_named(shared, reference_of(page), token_of(page), "Dora Double")) == 1


def test_a_retry_after_a_lost_answer_books_once(shared, pages):
    page = open_booking(pages, shared)
    keys: list[str | None] = []

    def lose_the_first_answer(route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server books, but its answer never reaches the page
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/sites/*/appointments", lose_the_first_answer)
    choose_slot(page, day=2, time=2)
    fill_contact(page, "Rey Retry", "(201) 555-0144")
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.locator("#form-error")).to_contain_text("you will not be booked twice")
    page.get_by_role("button", name="Book this appointment").click()
    page.wait_for_url(re.compile(r"/booking/"))
    page.wait_for_selector("body[data-loaded='true']")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    assert len(appointments_named(shared, reference_of(page), token_of(page), "Rey Retry")) == 1


def test_a_taken_slot_is_said_in_words_and_the_times_come_back(shared, pages):
    page = open_booking(pages, shared)
    choose_slot(page, day=3, time=0)
    taken = page.locator("#times input:checked").get_attribute("value")
    for n, name in enumerate(("Seat One", "Seat Two")):
        status, body = shared.api(
            "POST",
            f"/sites/{shared.site_id}/appointments",
            {
                "service": "DRAW",
                "starts_at": taken,
                "contact": {"name": name, "phone": f"+1 201 555 01{50 + n}"},
            },
        )
        assert status == 201, body
    fill_contact(page, "Late Comer", "(201) 555-0145")
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.locator("#form-error")).to_have_text(
        "Someone just took that time. Please choose another time."
    )
    expect(page.locator("#days select")).to_be_visible()


def test_a_contact_over_the_limit_is_told_when_to_try_again_and_whom_to_call(shared, pages):
    status, free = shared.api("GET", f"/sites/{shared.site_id}/slots?service=UDS&from={today(shared)}")
    for slot in free["slots"][-3:]:  # the site's limit: 3 bookings a contact a day
        status, body = shared.api(
            "POST",
            f"/sites/{shared.site_id}/appointments",
            {
                "service": "UDS",
                "starts_at": slot["starts_at"],
                "contact": {"name": "Max", "phone": "+12015550147"},
            },
        )
        assert status == 201, body
    page = open_booking(pages, shared)
    choose_slot(page, day=5, time=0)
    fill_contact(page, "Max Limit", "201-555-0147")
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.locator("#form-error")).to_have_text(
        re.compile(
            r"^You have made as many bookings as this site allows for now\. "
            r"Try again after \d\d:\d\d, or call \(217\) 555-0100\.$"
        )
    )


def test_checking_in_on_the_day_leads_to_the_ticket_page(shared, pages):
    shared.open_station("Station 1")
    page = open_booking(pages, shared)
    choose_slot(page, day=0, time=0)  # today: the server's clock stands at Monday 08:00
    fill_contact(page, "Ines Arrived", "(201) 555-0146")
    page.get_by_role("button", name="Book this appointment").click()
    page.wait_for_url(re.compile(r"/booking/"))
    page.wait_for_selector("body[data-loaded='true']")
    page.get_by_role("button", name="Check in: I'm here").click()
    page.wait_for_url(re.compile(r"/ticket/\d+#token="))
    expect(page.locator("#status-title")).to_have_text("You are in line")


def test_a_booking_on_another_day_cannot_be_checked_in_yet(shared, pages):
    tomorrow = today(shared) + timedelta(days=1)
    status, free = shared.api("GET", f"/sites/{shared.site_id}/slots?service=DRAW&from={tomorrow}")
    assert status == 200 and free["slots"], free
    status, booked = shared.api(
        "POST",
        f"/sites/{shared.site_id}/appointments",
        {
            "service": "DRAW",
            "starts_at": free["slots"][-1]["starts_at"],
            "contact": {"name": "Tom Morrow", "email": "tom@example.org"},
        },
    )
    assert status == 201, booked
    page = pages.open(f"{shared.base}/booking/{booked['reference']}#token={quote(booked['manage_token'])}")
    expect(page.locator("#checkin-help")).to_have_text(
        "You can check in here on the day of your appointment, once you are at the site."
    )
    expect(page.get_by_role("button", name="Check in: I'm here")).to_be_hidden()


def test_a_wrong_booking_link_says_so(shared, pages):
    page = pages.open(f"{shared.base}/booking/ABCD-EFGH#token=not-the-token")
    expect(page.locator("#load-error")).to_have_text(
        "This booking link is not valid. Check the link you were given, or call the site."
    )


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_booking_steps_and_the_manage_page_pass_axe_in_each_language(shared, pages, lang):
    found: dict[str, list[str]] = {}
    for size, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = open_booking(pages, shared, size=size, lang=lang)
        found[f"start-{label}"] = axe_violations(page)
        screenshot(page, f"book-start-{label}-{lang}")
        choose_slot(page, day=4, time=int(label == "phone"))
        fill_contact(page, f"Axe Checker {label}", f"(201) 555-01{60 + (label == 'phone')}")
        found[f"chosen-{label}"] = axe_violations(page)
        screenshot(page, f"book-chosen-{label}-{lang}")
        page.locator("#book-button").click()
        page.wait_for_url(re.compile(r"/booking/"))
        page.wait_for_selector("body[data-loaded='true']")
        expect(page.locator("#reference")).not_to_be_empty()
        expect(page.locator("#days select")).to_be_visible()
        found[f"manage-{label}"] = axe_violations(page)
        screenshot(page, f"booking-manage-{label}-{lang}")
    assert {k: v for k, v in found.items() if v} == {}


def test_a_check_in_the_site_refuses_is_said_in_the_pages_language(served, pages):
    status, free = served.api("GET", f"/sites/{served.site_id}/slots?service=DRAW&from={today(served)}")
    status, booked = served.api(
        "POST",
        f"/sites/{served.site_id}/appointments",
        {
            "service": "DRAW",
            "starts_at": free["slots"][0]["starts_at"],
            "contact": {"name": "Eva", "phone": "+12015550148"},
        },
    )
    assert status == 201, booked
    status, body = served.api(
        "POST",
        f"/sites/{served.site_id}/closures",
        {"day": str(today(served)), "reason": "Holiday"},
        role="admin",
    )
    assert status in (200, 201), body
    page = pages.open(
        f"{served.base}/booking/{booked['reference']}?lang=es#token={quote(booked['manage_token'])}",
        width=PHONE[0],
        height=PHONE[1],
        mobile=True,
    )
    page.get_by_role("button", name="Registrar llegada: ya estoy aquí").click()
    status, site_status = served.api("GET", f"/sites/{served.site_id}/wait")
    in_spanish = site_status["status"]["message"]["es"]
    assert in_spanish and in_spanish != site_status["status"]["message"]["en"]
    expect(page.locator("#checkin-error")).to_have_text(in_spanish)
    assert "/booking/" in page.url
