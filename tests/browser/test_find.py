"""Where should I go now, in Chromium: a typed place, the browser's location, and a site's page.

One server for the module (the demo's two sites, Riverside and Northside 3 km
apart, on a Monday morning): the tests only read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.conftest import Server, screenshot

expect = pytest.importorskip("playwright.sync_api").expect

NORTHSIDE = {"latitude": 39.8262, "longitude": -89.6408}
PHONE = {"width": 390, "height": 844, "mobile": True}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Iterator[Server]:
    """The demo served once for this module, with a station open at each site."""
    server = Server(instance=tmp_path_factory.mktemp("find") / "instance")
    server.start()
    try:
        assert server.tokens, "the demo site was not seeded"
        server.open_station("Station 1")
        _, listed = server.api("GET", "/sites")
        northside = next(s for s in listed if s["slug"] == "northside")
        chair = next(s["id"] for s in northside["stations"] if s["name"] == "Chair 1")
        server.staff(f"/stations/{chair}/open")
        yield server
    finally:
        server.stop()


def results(page):
    return page.locator("li.site-result h3")


def test_a_typed_zip_code_lists_the_sites_near_it_with_their_wait_and_who_sees_you_soonest(town, pages):
    page = pages.open(f"{town.base}/", **PHONE)
    expect(page.get_by_role("heading", name="All sites")).to_be_visible()
    page.get_by_label("Where are you?").fill("62702")
    page.get_by_role("button", name="Find sites").click()
    page.wait_for_selector("body[data-loaded='true']")
    expect(page.locator(".place-read")).to_contain_text("Sites near 62702 (Springfield, IL).")
    expect(page.locator(".place-read")).to_contain_text("straight-line distance at 30 km/h")
    expect(results(page)).to_have_count(2)
    first = page.locator("li.site-result").first
    expect(first.locator(".distance")).to_have_text(re.compile(r"\d+\.\d mi away, about \d+ min"))
    expect(first.locator(".status")).to_contain_text("Open now")
    expect(first.locator(".waits")).to_contain_text("Blood draw")
    soonest = page.get_by_role("region", name="Seen soonest, by service")
    expect(soonest.locator('li[data-service="DRAW"]')).to_contain_text("Travel and wait:")
    screenshot(page, "find-typed-phone")


def test_use_my_location_asks_the_browser_and_lists_the_nearest_site_first(town, pages):
    page = pages.open(f"{town.base}/", **DESKTOP, geolocation=NORTHSIDE, permissions=["geolocation"])
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_url(re.compile(r"near=39\.8262"))
    page.wait_for_selector("body[data-loaded='true']")
    expect(results(page).first).to_have_text("Northside Patient Service Center")
    expect(page.locator("li.site-result").first.locator(".distance")).to_contain_text(
        "0.0 mi away, about 0 min"
    )
    screenshot(page, "find-located-desktop")


def test_a_refused_location_is_said_in_words_and_the_field_takes_over(town, pages):
    page = pages.open(f"{town.base}/", **PHONE)  # no permission granted: the browser refuses
    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("#locate-status")).to_have_text(
        "Your browser did not share your location. Type a place instead."
    )
    expect(page.get_by_label("Where are you?")).to_be_focused()


def test_an_unknown_place_is_answered_in_plain_words(town, pages):
    page = pages.open(f"{town.base}/?near=Atlantis", **PHONE)
    expect(page.get_by_role("alert")).to_contain_text("We do not know that place.")
    expect(results(page)).to_have_count(2)


def test_the_site_page_leads_to_booking_saving_a_spot_and_best_times(town, pages):
    page = pages.open(f"{town.base}/?near=62702", **PHONE)
    page.get_by_role("link", name="Riverside Patient Service Center").first.click()
    page.wait_for_selector("body[data-loaded='true']")
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside Patient Service Center")
    expect(page.locator("table.hours")).to_contain_text("closed for lunch")
    expect(page.get_by_role("link", name="(217) 555-0100").first).to_have_attribute(
        "href", "tel:+12175550100"
    )
    now = page.get_by_role("region", name="Now")
    expect(now.get_by_role("link", name="Book an appointment")).to_have_attribute(
        "href", f"/sites/{town.site_id}/book"
    )
    expect(now.get_by_role("link", name="Save my spot in line")).to_have_attribute(
        "href", f"/sites/{town.site_id}/save-my-spot"
    )
    expect(now.get_by_role("link", name="Best times to come")).to_have_attribute(
        "href", f"/sites/{town.site_id}/best-times?service=DRAW"
    )


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("which", ["start", "site"])
def test_the_pages_pass_axe_in_both_languages_at_phone_and_desktop_sizes(town, pages, which, language):
    from axe_playwright_python.sync_playwright import Axe

    path = "/?near=62702" if which == "start" else f"/sites/{town.site_id}"
    joiner = "&" if "?" in path else "?"
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page = pages.open(f"{town.base}{path}{joiner}lang={language}", **size)
        assert page.locator("html").get_attribute("lang") == language
        screenshot(page, f"find-{which}-{language}-{size_name}")
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
            for v in Axe().run(page).response["violations"]
        ]
        assert violations == [], size_name
