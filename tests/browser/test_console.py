"""The staff console in Chromium: safe and fast for the person at a station (issue 14, point 4)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import FOCUS_RING, axe_violations, contrast, screenshot

expect = pytest.importorskip("playwright.sync_api").expect

SIZES = [(1280, 720), (1920, 1080)]


def console(pages, served, *, width: int = 1280, height: int = 720, lang: str | None = None):
    query = f"?lang={lang}" if lang else ""
    page = pages.open(f"{served.base}/staff/{served.site_id}{query}", width=width, height=height)
    page.locator("#token").fill(served.tokens["staff"])
    page.locator("#signin button[type=submit]").click()
    expect(page.locator("#console")).to_be_visible()
    page.wait_for_selector("body[data-loaded='true']")
    return page


def card(page, name: str):
    return page.locator(f'article.station[data-station="{name}"]')


def status_of(served, ticket: dict) -> str:
    _, now = served.api("GET", f"/tickets/{ticket['id']}", role="staff")
    return now["status"]


def test_a_free_station_is_your_station_by_default(served, pages):
    served.open_station("Station 1")
    served.open_station("Station 2")
    served.walk_in()
    served.staff(f"/stations/{served.station_id('Station 1')}/call-next")
    page = console(pages, served)
    expect(page.locator("#my-station")).to_have_value(str(served.station_id("Station 2")))


def test_call_next_is_disabled_with_the_reason_when_nobody_can_be_called(served, pages):
    served.open_station("Station 1")
    served.open_station("Station 3")
    page = console(pages, served)
    call = page.get_by_role("button", name="Call next to Station 1")
    expect(call).to_be_disabled()
    expect(card(page, "Station 1").locator(".reason")).to_have_text(
        "Nobody waiting is here for a service Station 1 does."
    )
    expect(call).to_have_attribute("aria-describedby", f"s{served.station_id('Station 1')}-why")

    served.walk_in("UDS")  # only Station 3 does it
    expect(page.get_by_role("button", name="Call next to Station 3")).to_be_enabled()
    expect(call).to_be_disabled()

    served.walk_in("DRAW")
    expect(call).to_be_enabled()


def test_a_busy_station_says_who_is_still_there(served, pages):
    served.open_station("Station 1")
    first = served.walk_in()
    served.walk_in()
    served.staff(f"/stations/{served.station_id('Station 1')}/call-next")
    page = console(pages, served)
    expect(page.get_by_role("button", name="Call next to Station 1")).to_be_disabled()
    expect(card(page, "Station 1").locator(".reason")).to_have_text(
        f"{first['code']} is still at Station 1: complete, mark no-show or put back first."
    )


def test_a_no_show_can_be_undone_and_the_patient_is_called_again(served, pages):
    served.open_station("Station 1")
    ticket = served.walk_in()
    served.staff(f"/stations/{served.station_id('Station 1')}/call-next")
    page = console(pages, served)
    card(page, "Station 1").get_by_role("button", name=f"No-show {ticket['code']}").click()
    bar = page.locator("#undo-bar")
    expect(bar).to_be_visible()
    expect(page.locator("#undo-text")).to_have_text(f"{ticket['code']} marked a no-show.")
    expect(page.get_by_role("button", name=f"Undo {ticket['code']}")).to_contain_text(
        re.compile(r"Undo \(\d+ s\)")
    )
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"console-undo-{width}x{height}")

    page.get_by_role("button", name=f"Undo {ticket['code']}").click()
    expect(page.locator("#message")).to_have_text(f"{ticket['code']} is called to Station 1 again.")
    expect(bar).to_be_hidden()
    expect(card(page, "Station 1").locator(".patient-card")).to_contain_text(ticket["code"])
    assert status_of(served, ticket) == "called"


def test_the_undo_bar_goes_after_10_seconds_and_the_cancel_stands(served, pages):
    ticket = served.walk_in()
    page = console(pages, served)
    page.get_by_role("button", name=f"Cancel {ticket['code']}").click()
    expect(page.locator("#undo-text")).to_have_text(f"{ticket['code']} cancelled.")
    expect(page.locator("#undo-bar")).to_be_hidden(timeout=15_000)
    assert status_of(served, ticket) == "cancelled"


def test_the_u_key_undoes_a_cancel_back_to_its_place(served, pages):
    first = served.walk_in()
    served.walk_in()
    page = console(pages, served)
    page.get_by_role("button", name=f"Cancel {first['code']}").click()
    expect(page.locator("#undo-bar")).to_be_visible()
    page.locator("body").press("u")
    expect(page.locator("#message")).to_have_text(f"{first['code']} is back in line in its place.")
    expect(page.locator("#queue-rows tr").first).to_have_attribute("data-code", first["code"])


def test_timers_run_on_the_servers_clock_for_called_and_in_service_patients(served, pages):
    # The test server's clock runs days ahead of the browser's: a timer on the browser's clock would be far off.
    served.open_station("Station 1")
    ticket = served.walk_in()
    served.staff(f"/stations/{served.station_id('Station 1')}/call-next")
    page = console(pages, served)
    patient = card(page, "Station 1").locator(".patient-card")
    expect(patient.locator(".timer")).to_have_text(re.compile(r"^Called 0:\d\d ago$"))
    row = page.locator(f'#queue-rows tr[data-code="{ticket["code"]}"]')
    expect(row.locator(".timer")).to_have_text(re.compile(r"^Called 0:\d\d ago$"))

    patient.get_by_role("button", name=f"Start {ticket['code']}").click()
    expect(patient.locator(".timer")).to_have_text(re.compile(r"^In service for 0:\d\d$"))
    expect(row.locator(".timer")).to_have_text(re.compile(r"^In service for 0:\d\d$"))


def test_complete_is_on_the_patients_card(served, pages):
    served.open_station("Station 1")
    ticket = served.walk_in()
    served.staff(f"/stations/{served.station_id('Station 1')}/call-next")
    served.staff(f"/tickets/{ticket['id']}/start")
    page = console(pages, served)
    patient = card(page, "Station 1").locator(".patient-card")
    patient.get_by_role("button", name=f"Complete {ticket['code']}").click()
    expect(page.locator("#message")).to_have_text(f"{ticket['code']}: completed.")
    expect(card(page, "Station 1").locator(".current")).to_have_text("No patient")
    assert status_of(served, ticket) == "done"


def test_keyboard_shortcuts_call_start_and_complete_at_your_station(served, pages):
    served.open_station("Station 1")
    ticket = served.walk_in()
    page = console(pages, served)
    keys = page.locator("#keys")
    for key, words in (
        ("C", "call the next patient"),
        ("S", "start with the patient called"),
        ("D", "complete the patient"),
    ):
        expect(keys).to_contain_text(f"{key} {words}")
    expect(page.locator("#my-station")).to_have_value(str(served.station_id("Station 1")))

    page.locator("body").press("c")
    expect(page.locator("#message")).to_have_text(f"{ticket['code']} called to Station 1.")
    page.locator("body").press("s")
    expect(page.locator("#message")).to_have_text(f"{ticket['code']}: started.")
    page.locator("body").press("d")
    expect(page.locator("#message")).to_have_text(f"{ticket['code']}: completed.")
    assert status_of(served, ticket) == "done"


def test_keyboard_shortcuts_can_be_turned_off(served, pages):
    served.open_station("Station 1")
    ticket = served.walk_in()
    page = console(pages, served)
    page.get_by_label("Keyboard shortcuts").uncheck()
    page.locator("body").press("c")
    served.walk_in()
    expect(page.locator("#queue-count")).to_have_text("· 2 waiting")  # a poll after the key was pressed
    expect(page.locator("#message")).to_have_text("")
    assert status_of(served, ticket) == "waiting"


def test_the_focus_ring_contrasts_at_least_3_to_1_with_what_is_behind_it(served, pages):
    served.open_station("Station 1")
    served.walk_in()
    page = console(pages, served)
    for target in (
        page.get_by_role("button", name="Call next to Station 1"),
        page.get_by_role("button", name="Pause Station 1"),
        page.locator("#my-station"),
        page.get_by_role("button", name="Sign out"),
    ):
        target.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
        expect(target).to_be_focused()
        seen = target.evaluate(FOCUS_RING)
        assert seen["style"] == "solid" and seen["width"] >= 2, seen
        assert contrast(tuple(seen["ring"]), tuple(seen["background"])) >= 3.0, seen


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_console_at_each_size_passes_axe(served, pages, width, height):
    served.open_station("Station 1")
    served.open_station("Station 2")
    called = served.walk_in()
    served.walk_in()
    served.walk_in("UDS")
    served.staff(f"/stations/{served.station_id('Station 1')}/call-next")
    served.staff(f"/tickets/{called['id']}/start")
    page = console(pages, served, width=width, height=height)
    expect(card(page, "Station 1").locator(".timer")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, f"console-{width}x{height}")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_console_in_each_language_passes_axe(served, pages, lang):
    served.open_station("Station 1")
    called = served.walk_in()
    served.walk_in()
    served.staff(f"/stations/{served.station_id('Station 1')}/call-next")
    page = console(pages, served, width=1920, height=1080, lang=lang)
    assert page.locator("html").get_attribute("lang") == lang
    patient = card(page, "Station 1").locator(".patient-card")
    expect(patient.locator(".timer")).to_have_text(
        re.compile(r"^Called 0:\d\d ago$" if lang == "en" else r"^Llamado hace 0:\d\d$")
    )
    start = {"en": "Start", "es": "Empezar"}[lang]
    expect(patient.get_by_role("button", name=f"{start} {called['code']}")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, f"console-{lang}-1920x1080")
    page.set_viewport_size({"width": 1280, "height": 720})
    screenshot(page, f"console-{lang}-1280x720")


def test_the_language_switch_keeps_the_console_signed_in(served, pages):
    served.open_station("Station 1")
    page = console(pages, served)
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#console")).to_be_visible()
    expect(page.get_by_role("button", name="Pausar Station 1")).to_be_visible()
    expect(page.locator("#keys")).to_contain_text("C llamar al siguiente paciente a su puesto")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("button", name="Pause Station 1")).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_staff_entry_page_says_it_is_loaded_and_passes_axe(served, pages, lang):
    page = pages.open(f"{served.base}/staff?lang={lang}", width=1280, height=720)
    page.wait_for_selector("body[data-loaded='true']")
    link = {"en": "Staff console", "es": "Consola del personal"}[lang]
    expect(page.locator(f'a[href="/staff/{served.site_id}"]')).to_contain_text(link)
    assert axe_violations(page) == []
    screenshot(page, f"staff-entry-{lang}-1280x720")
    page.set_viewport_size({"width": 1920, "height": 1080})
    screenshot(page, f"staff-entry-{lang}-1920x1080")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_messages_page_in_each_language_passes_axe(served, pages, lang):
    page = pages.open(f"{served.base}/staff/{served.site_id}/messages?lang={lang}", width=1280, height=720)
    page.locator("#token").fill(served.tokens["staff"])
    page.locator("#signin button[type=submit]").click()
    expect(page.locator("#messages-card")).to_be_visible()
    title = {"en": "Messages kept", "es": "Mensajes guardados"}[lang]
    expect(page.locator("#messages-title")).to_have_text(title)
    assert axe_violations(page) == []
    screenshot(page, f"messages-{lang}-1280x720")
    page.set_viewport_size({"width": 1920, "height": 1080})
    screenshot(page, f"messages-{lang}-1920x1080")
