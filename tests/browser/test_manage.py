"""The manager's page in Chromium: an admin changes a site without writing JSON (issue 15, point 5).

One server for the module: each test changes a different part of the demo site (Sunday's hours, a date
two months ahead, Saturday's plan, Station 2, a new station, the target), so they do not disturb each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import Server, axe_violations, screenshot

expect = pytest.importorskip("playwright.sync_api").expect

SUNDAY = 6
SATURDAY = 5


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Server]:
    server = Server(instance=tmp_path_factory.mktemp("manage") / "instance")
    server.start()
    try:
        assert server.tokens, "the demo site was not seeded"
        yield server
    finally:
        server.stop()


def manager(
    pages, site: Server, *, role: str = "admin", lang: str = "en", width: int = 1280, height: int = 900
):
    page = pages.open(f"{site.base}/manage/{site.site_id}?lang={lang}", width=width, height=height)
    page.locator("#token").fill(site.tokens[role])
    page.locator("#signin button[type=submit]").click()
    if role == "admin":
        expect(page.locator("#manager")).to_be_visible()
    return page


def day_box(page, form: str, weekday: int):
    return page.locator(f'#{form} fieldset.day[data-weekday="{weekday}"]')


def site_now(site: Server) -> dict:
    status, body = site.api("GET", f"/sites/{site.site_id}")
    assert status == 200
    return body


def test_hours_with_a_lunch_closure_are_saved_and_the_site_shows_them(site, pages):
    page = manager(pages, site, width=390, height=844)
    sunday = day_box(page, "hours", SUNDAY)
    expect(sunday.locator(".when-empty")).to_have_text("Closed all day.")
    for opens, closes in (("08:00", "12:00"), ("13:00", "16:30")):
        sunday.get_by_role("button", name="Add a time").click()
        row = sunday.locator(".row").last
        row.get_by_label("Opens").fill(opens)
        row.get_by_label("Closes").fill(closes)
    page.get_by_role("button", name="Save opening hours").click()
    expect(page.locator("#hours-status")).to_have_text("Saved.")

    sundays = [h for h in site_now(site)["hours"] if h["weekday"] == SUNDAY]
    assert sundays == [
        {"weekday": SUNDAY, "opens": "08:00", "closes": "12:00"},
        {"weekday": SUNDAY, "opens": "13:00", "closes": "16:30"},
    ]
    # The other days are sent back as they were.
    assert len([h for h in site_now(site)["hours"] if h["weekday"] == 0]) == 2


def test_a_closed_date_is_added_with_its_reason_and_removed(site, pages):
    server_today = datetime.fromisoformat(site.in_minutes(0)).astimezone(ZoneInfo("America/Chicago")).date()
    day = (server_today + timedelta(days=60)).isoformat()
    page = manager(pages, site)
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_label("Reason (patients may see it)").fill("Staff training")
    page.get_by_role("button", name="Close on this date").click()
    listed = page.locator(f'#closure-list li[data-day="{day}"]')
    expect(listed).to_contain_text("Staff training")
    assert {"day": day, "reason": "Staff training"} in site_now(site)["closures"]

    listed.get_by_role("button").click()
    expect(page.locator("#closures-status")).to_contain_text("Open again on")
    expect(listed).to_have_count(0)
    assert all(c["day"] != day for c in site_now(site)["closures"])


def test_the_plan_and_a_stations_services_are_changed(site, pages):
    page = manager(pages, site)
    saturday = day_box(page, "plan", SATURDAY)
    saturday.locator(".row").first.get_by_label("Stations").fill("3")
    page.get_by_role("button", name="Save capacity plan").click()
    expect(page.locator("#plan-status")).to_have_text("Saved.")
    _, plan = site.api("GET", f"/sites/{site.site_id}/capacity-plan")
    assert [b["stations"] for b in plan["blocks"] if b["weekday"] == SATURDAY] == [3]
    assert [b["stations"] for b in plan["blocks"] if b["weekday"] == 0] == [3, 2]

    # Station 2 takes children's draws instead of glucose tests (Station 1 still does those).
    station = page.locator('form.station-form[data-station="Station 2"]')
    station.get_by_label("Glucose tolerance test (GTT)").uncheck()
    station.get_by_label("Children's blood draw (PED)").check()
    station.get_by_role("button", name="Save Station 2").click()
    expect(page.locator("#stations-status")).to_have_text("Saved.")
    services = next(s["services"] for s in site_now(site)["stations"] if s["name"] == "Station 2")
    assert sorted(services) == ["DRAW", "PED"]


def test_a_new_station_with_a_name_in_use_is_refused_beside_the_name(site, pages):
    count = len(site_now(site)["stations"])
    page = manager(pages, site)
    adding = page.locator("#station-add")
    adding.get_by_label("Name").fill("Station 1")
    adding.get_by_role("button", name="Add station").click()
    expect(adding.locator("#new-station-services-error")).to_have_text("Tick at least one service.")
    adding.get_by_label("Blood draw (DRAW)").check()
    adding.get_by_role("button", name="Add station").click()
    expect(adding.locator("#new-station-name-error")).to_have_text("Another station has this name.")
    expect(adding.get_by_label("Name")).to_be_focused()
    assert len(site_now(site)["stations"]) == count

    adding.get_by_label("Name").fill("Station 4")
    adding.get_by_role("button", name="Add station").click()
    expect(page.locator("#stations-status")).to_have_text("Added Station 4.")
    expect(page.locator('form.station-form[data-station="Station 4"]')).to_be_visible()
    assert len(site_now(site)["stations"]) == count + 1


def test_a_value_out_of_range_is_said_beside_its_field_and_nothing_is_saved(site, pages):
    before = site_now(site)["sla_percent"]
    page = manager(pages, site)
    percent = page.get_by_label("Target: share of patients, in percent")
    percent.fill("150")
    page.get_by_role("button", name="Save cut-off and target").click()
    expect(page.locator("#f-sla_percent-error")).to_have_text("Give a number from 1 to 100.")
    expect(percent).to_be_focused()
    expect(percent).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#settings-status")).to_have_text("Not saved. Fix what is marked and try again.")
    assert site_now(site)["sla_percent"] == before
    assert axe_violations(page) == []

    percent.fill("85")
    page.get_by_role("button", name="Save cut-off and target").click()
    expect(page.locator("#settings-status")).to_have_text("Saved.")
    expect(page.locator("#f-sla_percent-error")).to_have_text("")
    assert site_now(site)["sla_percent"] == 85


def test_closing_before_opening_is_refused_by_the_api_beside_the_field_in_spanish(site, pages):
    before = site_now(site)["hours"]
    page = manager(pages, site, lang="es")
    friday = day_box(page, "hours", 4).locator(".row").first
    closes = friday.get_by_label("Cierra")
    closes.fill("07:00")  # Friday opens at 07:00 in the demo: closing then is not after opening
    page.get_by_role("button", name="Guardar el horario").click()
    error = friday.locator(".field-error").last
    expect(error).to_have_text("Debe ser más tarde que el inicio.")
    expect(closes).to_be_focused()
    expect(closes).to_have_value("07:00")  # nothing typed is lost
    expect(page.locator("#hours-status")).to_contain_text("No se guardó.")
    assert site_now(site)["hours"] == before
    screenshot(page, "manage-error-es")


def test_a_staff_token_is_told_it_cannot_change_settings(site, pages):
    page = manager(pages, site, role="staff")
    expect(page.locator("#signin-error")).to_have_text(
        "This token can run the line but cannot change settings. Ask for an admin token for this site."
    )
    expect(page.locator("#manager")).to_be_hidden()


def test_the_staffing_advice_is_previewed_then_adopted_in_one_step(site, pages):
    page = manager(pages, site)
    page.locator("#staffing-weekday").select_option("1")
    with page.expect_response(lambda answer: "/staffing?" in answer.url, timeout=120_000) as read:
        page.get_by_role("button", name="Show advice").click()
    advice = read.value.json()
    expect(page.locator("#staffing-half-hours tbody tr")).to_have_count(len(advice["half_hours"]))
    chart = page.locator("#staffing-chart > svg[role=img]")
    expect(chart).to_be_visible(timeout=120_000)
    expect(chart.locator("title")).to_have_text("Stations now and advised")
    screenshot(page, "manage-staffing")
    page.get_by_role("button", name="Preview the change").click()
    after = [b for b in advice["capacity_plan"]["blocks"] if b["weekday"] == 1]
    expect(page.locator("#preview-after tbody tr")).to_have_count(len(after))
    assert axe_violations(page) == []
    _, plan_before = site.api("GET", f"/sites/{site.site_id}/capacity-plan")
    if [b for b in plan_before["blocks"] if b["weekday"] == 1] == after:
        expect(page.locator("#preview-words")).to_have_text(
            "The advice is the same as the plan now. There is nothing to adopt."
        )
        return
    page.get_by_role("button", name="Adopt the advice").click()
    expect(page.locator("#adopt-status")).to_have_text("Adopted. The plan below is now in force for Tuesday.")
    _, plan = site.api("GET", f"/sites/{site.site_id}/capacity-plan")
    assert plan == advice["capacity_plan"]
    expect(page.locator("#in-force-table tbody tr")).to_have_count(len(after))
    screenshot(page, "manage-staffing-adopted")


def test_what_if_shows_the_day_as_planned_and_with_the_change(site, pages):
    page = manager(pages, site)
    page.locator("#what-if-weekday").select_option("2")
    page.get_by_role("button", name="Show what happens").click()
    expect(page.locator("#f-walk_in_cutoff-error")).to_have_text(
        "Change the closing time or the missing stations first."
    )
    page.get_by_label("Walk-in line closes at").fill("15:00")
    page.get_by_role("button", name="Show what happens").click()
    expect(page.locator("#what-if-summary tbody tr")).to_have_count(6, timeout=120_000)
    expect(page.locator("#what-if-half-hours tbody tr").first).to_be_visible()
    chart = page.locator("#what-if-chart > svg[role=img]")
    expect(chart).to_be_visible(timeout=120_000)
    expect(chart.locator("title")).to_have_text("How long 9 in 10 patients wait")
    assert chart.get_attribute("aria-labelledby") == "what-if-chart-title what-if-chart-desc"
    assert axe_violations(page) == []
    screenshot(page, "manage-what-if")
