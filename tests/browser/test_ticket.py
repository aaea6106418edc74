"""The patient's ticket page in Chromium, against a real server with several workers.

The server's clock stands at Monday 08:00 at the demo site (America/Chicago)
when each test starts, whatever the phone's clock says.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations, screenshot

expect = pytest.importorskip("playwright.sync_api").expect

PHONE = {"width": 390, "height": 844, "mobile": True}
DESKTOP = {"width": 1280, "height": 800}
RANGE = re.compile(r"\d+–\d+")


def open_ticket(pages, served, ticket: dict, *, language: str | None = None, size: dict = PHONE, token=None):
    query = f"?lang={language}" if language else ""
    return pages.open(f"{served.base}/ticket/{ticket['id']}{query}#token={token or ticket['token']}", **size)


def remote(served, minutes: float = 30, service: str = "DRAW") -> dict:
    status, ticket = served.api(
        "POST",
        f"/sites/{served.site_id}/remote-tickets",
        {
            "service": service,
            "contact": {"name": "Rosa Remote", "phone": "+1 217 555 0123"},
            "expected_arrival_at": served.in_minutes(minutes),
        },
    )
    assert status == 201, ticket
    return ticket


def test_the_ticket_page_shows_one_range_and_the_servers_time(served, pages):
    served.open_station("Station 1")
    for _ in range(4):
        served.walk_in()
    ticket = served.walk_in()
    page = open_ticket(pages, served, ticket)

    expect(page.locator("#status-detail")).to_have_text(
        "You are number 5 in line: 4 people are ahead of you."
    )
    expect(page.locator("#wait-message")).to_have_text(RANGE)
    expect(page.locator("#wait-explain")).to_have_text(
        "Most patients in your place are called within this time. 1 in 10 waits longer."
    )
    wait_words = " ".join(page.locator("#status-card, #wait-card").all_inner_texts())
    assert len(RANGE.findall(wait_words)) == 1, wait_words
    # The server's clock (Monday 08:0x at the site), not the phone's.
    expect(page.locator("#updated")).to_have_text(
        re.compile(r"^Updated at 08:0\d:\d\d\. This page updates by itself\.$")
    )
    screenshot(page, "ticket-waiting-range")


def test_the_ticket_page_follows_its_ticket_through_called_and_done(served, pages):
    station_id = served.open_station("Station 1")
    ticket = served.walk_in()
    page = open_ticket(pages, served, ticket)

    expect(page.locator("#code")).to_have_text(ticket["code"])
    expect(page.locator("#status-title")).to_have_text("You are in line")
    expect(page.locator("#status-detail")).to_have_text("You are next in line.")
    expect(page.locator("#wait-message")).not_to_be_empty()
    expect(page.locator("#site-status")).to_be_hidden()  # open: nothing to add for someone in line
    expect(page.get_by_role("button", name="Leave the line")).to_be_visible()
    screenshot(page, "ticket-waiting")

    served.staff(f"/stations/{station_id}/call-next")
    expect(page.locator("#station")).to_have_text("Go to Station 1", timeout=5000)
    expect(page.locator("#status-title")).to_have_text("It's your turn")
    expect(page.get_by_role("button", name="Leave the line")).to_be_hidden()
    screenshot(page, "ticket-called")

    served.staff(f"/tickets/{ticket['id']}/start")
    expect(page.locator("#status-title")).to_have_text("You are being seen", timeout=5000)
    expect(page.locator("#station")).to_have_text("At Station 1")
    served.staff(f"/tickets/{ticket['id']}/complete")
    expect(page.locator("#status-title")).to_have_text("Your visit is complete", timeout=5000)
    expect(page.locator("#station")).to_be_hidden()
    screenshot(page, "ticket-done")


def test_the_ticket_page_speaks_spanish_from_its_switch_and_keeps_the_ticket(served, pages):
    served.open_station("Station 1")
    for _ in range(2):
        served.walk_in()
    ticket = served.walk_in()
    page = open_ticket(pages, served, ticket)

    page.get_by_role("link", name="Español").click()
    page.wait_for_selector("body[data-loaded='true']")
    assert page.evaluate("document.documentElement.lang") == "es"
    expect(page.locator("#code")).to_have_text(ticket["code"])
    expect(page.locator("#status-title")).to_have_text("Está en la fila")
    expect(page.locator("#wait-explain")).to_contain_text("1 de cada 10 espera más")
    expect(page.locator("#updated")).to_contain_text("Actualizado a las 08:0")


def test_a_remote_patient_is_told_when_to_arrive_and_how_to_prepare_until_they_are_here(served, pages):
    ticket = remote(served, minutes=45)
    page = open_ticket(pages, served, ticket)

    expect(page.locator("#status-title")).to_have_text("We are keeping your place")
    # The server's arrive-by, on the site's clock (Monday 08:00 when the test began), never after 08:45.
    expect(page.locator("#arrive-by")).to_have_text(
        re.compile(r"^(Arrive by 08:[0-4]\d: your turn could come from then\.|Come as soon as you can)")
    )
    expect(page.locator("#prep")).to_contain_text("Drink water")
    screenshot(page, "ticket-on-the-way")

    page.get_by_role("button", name="I'm here").click()
    expect(page.locator("#status-title")).to_have_text("You are in line")
    expect(page.locator("#present-card")).to_be_hidden()
    expect(page.locator("#prep-card")).to_be_hidden()  # already in the building: no fasting advice


def test_a_patient_already_in_line_sees_no_preparation(served, pages):
    ticket = served.walk_in()
    page = open_ticket(pages, served, ticket)
    expect(page.locator("#wait-message")).not_to_be_empty()
    expect(page.locator("#present-card")).to_be_hidden()
    expect(page.locator("#prep-card")).to_be_hidden()


# What the page does when called, recorded: notifications shown, vibrations asked for, tones played.
RECORD_ALERTS = """
window.alerts = [];
const RealNotification = window.Notification;
function Recorded(title, options) { window.alerts.push(["notification", title, options.body]); }
Object.defineProperty(Recorded, "permission", { get: () => RealNotification.permission });
Recorded.requestPermission = () => RealNotification.requestPermission();
window.Notification = Recorded;
navigator.vibrate = (pattern) => { window.alerts.push(["vibration"]); return true; };
const tone = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () { window.alerts.push(["sound"]); return tone.call(this); };
"""


def open_recording_alerts(pages, served, ticket: dict, *, permissions: list[str]):
    page = pages.open(
        f"{served.base}/ticket/{ticket['id']}#token={ticket['token']}", **PHONE, permissions=permissions
    )
    page.context.add_init_script(RECORD_ALERTS)
    page.reload()
    page.wait_for_selector("body[data-loaded='true']")
    return page


def kinds(page) -> set[str]:
    return {alert[0] for alert in page.evaluate("window.alerts")}


def test_a_call_notifies_sounds_and_vibrates_once_the_patient_turns_alerts_on(served, pages):
    station_id = served.open_station("Station 1")
    ticket = served.walk_in()
    page = open_recording_alerts(pages, served, ticket, permissions=["notifications"])

    page.get_by_role("button", name="Alert me when it's my turn").click()
    expect(page.locator("#alert-state")).to_have_text(
        "Alerts are on: a notification, a sound and a vibration when it's your turn."
    )
    assert kinds(page) == set()
    screenshot(page, "ticket-alerts-on")

    served.staff(f"/stations/{station_id}/call-next")
    expect(page.locator("#station")).to_have_text("Go to Station 1", timeout=5000)
    notifications = [a for a in page.evaluate("window.alerts") if a[0] == "notification"]
    assert notifications == [["notification", f"It's your turn: {ticket['code']}", "Go to Station 1"]]
    assert kinds(page) == {"notification", "sound", "vibration"}


def test_with_notifications_refused_a_call_still_sounds_and_vibrates(served, pages):
    station_id = served.open_station("Station 1")
    ticket = served.walk_in()
    page = open_recording_alerts(pages, served, ticket, permissions=[])

    page.get_by_role("button", name="Alert me when it's my turn").click()
    expect(page.locator("#alert-state")).to_contain_text("it will still sound and vibrate")
    served.staff(f"/stations/{station_id}/call-next")
    expect(page.locator("#station")).to_have_text("Go to Station 1", timeout=5000)
    assert kinds(page) == {"sound", "vibration"}


def finished_visit(served) -> dict:
    station_id = served.open_station("Station 1")
    ticket = served.walk_in()
    served.staff(f"/stations/{station_id}/call-next")
    served.staff(f"/tickets/{ticket['id']}/start")
    served.staff(f"/tickets/{ticket['id']}/complete")
    return ticket


def test_a_finished_visit_is_rated_1_to_5_with_a_comment_once(served, pages):
    ticket = finished_visit(served)
    page = open_ticket(pages, served, ticket)
    expect(page.locator("#status-title")).to_have_text("Your visit is complete")
    expect(page.locator("#rate-card")).to_be_visible()

    page.get_by_role("button", name="Send my rating").click()
    expect(page.locator("#error")).to_have_text("Choose a rating from 1 to 5 first.")
    page.get_by_text("4 · Good", exact=True).click()
    page.get_by_label("Anything to tell the site?").fill("Quick and kind.")
    page.get_by_role("button", name="Send my rating").click()
    expect(page.locator("#rate-thanks")).to_have_text("Thank you: the site has your rating.")
    expect(page.locator("#rate-form")).to_be_hidden()
    expect(page.locator("#error")).to_be_empty()
    screenshot(page, "ticket-rated")

    _, feedback = served.api("GET", f"/sites/{served.site_id}/feedback", role="staff")
    assert [(f["ticket_id"], f["rating"], f["comment"]) for f in feedback] == [
        (ticket["id"], 4, "Quick and kind.")
    ]
    again = open_ticket(pages, served, ticket)  # rated already: the page asks no more
    expect(again.locator("#status-title")).to_have_text("Your visit is complete")
    expect(again.locator("#rate-card")).to_be_hidden()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_done_page_has_no_accessibility_violations(served, pages, language):
    ticket = finished_visit(served)
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = open_ticket(pages, served, ticket, language=language, size=size)
        expect(page.locator("#rate-card")).to_be_visible()
        screenshot(page, f"ticket-done-{language}-{name}")
        assert axe_violations(page) == [], name


def test_leaving_the_line_from_the_ticket_page(served, pages):
    ticket = served.walk_in()
    page = open_ticket(pages, served, ticket)

    page.get_by_role("button", name="Leave the line").click()
    page.get_by_role("button", name="Yes, leave the line").click()

    expect(page.locator("#status-title")).to_have_text("You left the line")
    status, after = served.api("GET", f"/tickets/{ticket['id']}", patient=ticket["token"])
    assert (status, after["status"]) == (200, "left")
    _, line = served.api("GET", f"/sites/{served.site_id}/queue", role="staff")
    assert ticket["id"] not in [t["id"] for t in line["tickets"]]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_ticket_page_states_the_sites_phone_and_has_no_accessibility_violations(served, pages, language):
    served.walk_in()
    waiting = served.walk_in()
    words = {
        "en": "Rather call? Riverside Patient Service Center:",
        "es": "¿Prefiere llamar? Riverside Patient Service Center:",
    }
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = open_ticket(pages, served, waiting, language=language, size=size)
        expect(page.locator("#wait-message")).not_to_be_empty()
        call_us = page.locator(".call-us")
        expect(call_us).to_contain_text(words[language])
        expect(call_us.get_by_role("link")).to_have_attribute("href", "tel:+12175550100")
        expect(call_us.get_by_role("link")).to_have_text("(217) 555-0100")
        assert page.evaluate("document.documentElement.lang") == language
        screenshot(page, f"ticket-waiting-{language}-{name}")
        assert axe_violations(page) == [], name


FIND = {"en": "Find a collection site", "es": "Buscar un centro de toma de muestras"}
REACH = {
    "en": ("This ticket link is not valid.", "Phone: (217) 555-0100"),
    "es": ("Este enlace de turno no es válido.", "Teléfono: (217) 555-0100"),
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_wrong_ticket_link_names_the_site_its_phone_and_address(served, pages, language):
    ticket = served.walk_in()
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = open_ticket(pages, served, ticket, language=language, size=size, token="not-the-token")
        bad = page.locator("#bad-link")
        expect(bad).to_be_visible()
        expect(bad.get_by_role("heading")).to_have_text(REACH[language][0])
        expect(bad).to_contain_text("Riverside Patient Service Center")
        expect(bad).to_contain_text("1200 River Road, Suite 4, Springfield")
        expect(bad).to_contain_text(REACH[language][1])
        expect(bad.get_by_role("link", name="(217) 555-0100")).to_have_attribute("href", "tel:+12175550100")
        expect(page.locator("#status-card")).to_be_hidden()
        assert "…" not in page.locator("main").inner_text()
        screenshot(page, f"ticket-bad-link-{language}-{name}")
        assert axe_violations(page) == [], name


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_unknown_ticket_link_names_the_sites_their_phones_and_addresses(served, pages, language):
    unknown = {"id": 999999, "token": "whatever"}
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = open_ticket(pages, served, unknown, language=language, size=size)
        main = page.locator("main")
        expect(main.get_by_role("heading", level=2)).to_have_text(REACH[language][0])
        for site, address, phone, tel in (
            (
                "Riverside Patient Service Center",
                "1200 River Road, Suite 4",
                "(217) 555-0100",
                "+12175550100",
            ),
            ("Northside Patient Service Center", "850 North Grand Avenue", "(217) 555-0142", "+12175550142"),
        ):
            expect(main).to_contain_text(site)
            expect(main).to_contain_text(address)
            expect(main.get_by_role("link", name=phone)).to_have_attribute("href", f"tel:{tel}")
        expect(main.get_by_role("link", name=FIND[language])).to_be_visible()
        screenshot(page, f"ticket-unknown-{language}-{name}")
        assert axe_violations(page) == [], name
    assert page.request.get(f"{served.base}/ticket/999999").status == 404
