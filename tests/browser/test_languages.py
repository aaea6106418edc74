"""The pages in the patient's language: words from the catalogues, names set per language (README: Languages)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations, screenshot

expect = pytest.importorskip("playwright.sync_api").expect


def test_the_outage_countdown_is_said_in_the_pages_language(served, pages):
    ticket = served.walk_in()
    page = pages.open(
        f"{served.base}/ticket/{ticket['id']}?lang=es#token={ticket['token']}",
        width=390,
        height=844,
        mobile=True,
    )
    page.route("**/api/v1/**", lambda route: route.abort())  # the server cannot be reached
    notice = page.locator("#connection")
    expect(notice).to_have_text(re.compile(r"^Reconectando… otro intento en \d+ s$"), timeout=10_000)
    screenshot(page, "ticket-reconnecting-es")
    page.unroute("**/api/v1/**")
    expect(notice).to_be_hidden(timeout=10_000)


SIZES = {"phone": {"width": 390, "height": 844, "mobile": True}, "desktop": {"width": 1280, "height": 720}}


def spanish_names(served) -> None:
    status, body = served.api(
        "PATCH",
        "/services/DRAW",
        {"translations": {"es": {"name": "Análisis de sangre", "preparation": "Beba agua antes de venir."}}},
        role="admin",
    )
    assert status == 200, body
    station = served.station_id("Station 1")
    status, body = served.api(
        "PATCH", f"/stations/{station}", {"translations": {"es": {"name": "Estación 1"}}}, role="admin"
    )
    assert status == 200, body


@pytest.mark.parametrize("size", SIZES)
def test_a_sites_page_in_spanish_names_services_as_the_admin_set_them(served, pages, size):
    spanish_names(served)
    page = pages.open(f"{served.base}/sites/{served.site_id}?lang=es", **SIZES[size])
    expect(page.get_by_role("term").filter(has_text="Análisis de sangre")).to_be_visible()  # services
    expect(page.locator(".service", has_text="Análisis de sangre")).to_be_visible()  # the wait now
    expect(page.get_by_text("Beba agua antes de venir.", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, f"site-names-es-{size}")


def test_the_ticket_page_in_spanish_names_the_station_as_the_admin_set_it(served, pages):
    spanish_names(served)
    station = served.open_station("Station 1")
    ticket = served.walk_in()
    page = pages.open(
        f"{served.base}/ticket/{ticket['id']}?lang=es#token={ticket['token']}", **SIZES["phone"]
    )
    served.staff(f"/stations/{station}/call-next")
    expect(page.locator("#station")).to_contain_text("Estación 1", timeout=10_000)
    screenshot(page, "ticket-called-station-es")
