"""The patient's "When is best?" and "Save my spot" pages, in a real browser against `schedq serve`.

One demo server is shared by the tests that only read or save spots with their
own phone numbers; saving a spot through the pages runs on each database with
a server of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from tests.browser.conftest import Server, from_the_start, screenshot
from tests.browser.test_pages import BOTH_DATABASES

expect = pytest.importorskip("playwright.sync_api").expect

PHONE = {"width": 390, "height": 844, "mobile": True}
DESKTOP = {"width": 1280, "height": 800}


def book_tomorrow_morning(server: Server, count: int) -> str:
    """Book `count` appointments (each its own contact) in tomorrow's first half hour; its local start."""
    tomorrow = (datetime.fromisoformat(server.in_minutes(0)) + timedelta(days=1)).date()
    status, answer = server.api(
        "GET", f"/sites/{server.site_id}/slots?service=DRAW&from={date.isoformat(tomorrow)}"
    )
    assert status == 200, answer
    first = answer["slots"][0]["starts_at"]
    half_hour = [s for s in answer["slots"] if s["starts_at"][:13] == first[:13]]
    seats = [s["starts_at"] for s in half_hour for _ in range(s["remaining"])][:count]
    assert len(seats) == count, half_hour
    for n, starts_at in enumerate(seats):
        status, booked = server.api(
            "POST",
            f"/sites/{server.site_id}/appointments",
            {
                "service": "DRAW",
                "starts_at": starts_at,
                "contact": {"name": f"Booked {n}", "phone": f"+1 217 555 02{n:02d}"},
            },
        )
        assert status == 201, booked
    return first


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Server]:
    """One demo server for the tests that do not disturb one another, with appointments booked tomorrow."""
    server = Server(instance=tmp_path_factory.mktemp("best-and-spot") / "instance")
    server.start()
    try:
        server.booked_at = book_tomorrow_morning(server, 3)  # type: ignore[attr-defined]
        yield server
    finally:
        server.stop()


def test_the_week_reads_at_a_glance_with_the_booked_load_and_its_figures(demo, pages):
    page = pages.open(f"{demo.base}/sites/{demo.site_id}/best-times?service=DRAW", **PHONE)
    chart = page.locator("svg.week-grid")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    assert chart.locator("g.slot").count() >= 7 * 10  # seven days of the demo's half hours
    assert chart.locator("g.slot.is-level1").count() > 0  # the demo's quiet times are drawn and numbered
    expect(chart.locator("g.slot.is-level1 text.mark").first).to_have_text("1")

    day, time = demo.booked_at[:10], demo.booked_at[11:13] + ":00"
    if demo.booked_at[14:16] >= "30":
        time = demo.booked_at[11:13] + ":30"
    booked = chart.locator(f'g.slot[data-day="{day}"][data-time="{time}"] rect.booked')
    expect(booked).to_have_attribute("data-booked", "3")
    assert chart.locator("rect.booked").count() == 1  # nothing else is booked this week

    lunch = chart.locator(f'g.slot.is-closed[data-day="{day}"][data-time="12:00"]')
    expect(lunch).to_have_count(1)  # the midday break is drawn closed
    expect(page.locator("#callouts .quietest")).to_contain_text("Quietest:")
    expect(page.locator("#thin-note")).to_contain_text("lean on general defaults")
    expect(page.locator("#week-caption")).to_contain_text("Typical wait for a walk-in for Blood draw")
    expect(page.locator(".legend")).to_contain_text("Booked appointments")

    screenshot(page, "best-times-phone")
    page.get_by_text("Every half hour in numbers").click()
    booked_cells = page.locator(".figures-table tbody td:last-child").all_inner_texts()
    assert sorted(booked_cells)[-1] == "3" and set(sorted(booked_cells)[:-1]) == {"0"}
    desktop = pages.open(f"{demo.base}/sites/{demo.site_id}/best-times?service=DRAW", **DESKTOP)
    expect(desktop.locator("svg.week-grid")).to_be_visible()
    screenshot(desktop, "best-times-desktop")


def test_the_service_picker_shows_walk_in_services_only(demo, pages):
    page = pages.open(f"{demo.base}/sites/{demo.site_id}/best-times", **DESKTOP)
    options = page.locator("#service option")
    texts = options.all_inner_texts()
    assert "Blood draw" in texts and "Glucose tolerance test" not in texts  # GTT is by appointment only
    page.get_by_label("Service").select_option(label="Urine drug screen")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("body[data-loaded='true']")
    expect(page.locator("#week-caption")).to_contain_text("Urine drug screen")


def test_a_contact_past_its_limit_is_told_in_plain_words_when_it_can_save_again(demo, pages):
    phone = "+1 217 555 0299"
    for _ in range(2):  # the demo site's remote_joins_per_contact_per_day
        status, answer = demo.api(
            "POST",
            f"/sites/{demo.site_id}/remote-tickets",
            {
                "service": "DRAW",
                "contact": {"name": "Pat Often", "phone": phone},
                "expected_arrival_at": demo.in_minutes(30),
            },
        )
        assert status == 201, answer
    page = pages.open(f"{demo.base}/sites/{demo.site_id}/save-my-spot", **PHONE)
    page.get_by_label("Your name").fill("Pat Often")
    page.get_by_label("Phone number").fill("(217) 555-0299")
    page.get_by_role("button", name="Save my spot").click()
    error = page.locator("#error")
    expect(error).to_contain_text("This phone number has already saved 2 spots in the last 24 hours.")
    expect(error).to_contain_text("You can save another tomorrow after 08:")  # 24 hours after the first
    expect(error).to_contain_text("You can also call Riverside Patient Service Center at (217) 555-0100.")
    assert "429" not in error.inner_text()
    expect(page.locator("#saved")).to_be_hidden()
    screenshot(page, "save-spot-limit-phone")


@BOTH_DATABASES
def test_saving_a_spot_through_the_pages_ends_on_the_ticket_page_and_a_lost_answer_never_makes_two(
    served, pages, server_backend
):
    page = from_the_start(pages, served, "Save my spot in line")
    assert page.url.endswith(f"/sites/{served.site_id}/save-my-spot")
    expect(page.locator("#site-status")).to_contain_text("Open now")
    expect(page.locator("#wait-now")).to_contain_text("Wait now for Blood draw")
    page.get_by_label("Your name").fill("Rosa Remote")
    page.get_by_label("Phone number").fill("(217) 555-0123")
    page.get_by_label("In 45 minutes").check()

    # The first answer is lost on its way back: the join was made, the page only sees a failure.
    lost: list[str] = []

    def lose_the_answer(route):
        if not lost:
            route.fetch()
            lost.append(route.request.headers.get("idempotency-key", ""))
            route.abort()
        else:
            assert route.request.headers.get("idempotency-key") == lost[0]
            route.continue_()

    page.route("**/api/v1/sites/*/remote-tickets", lose_the_answer)
    page.get_by_role("button", name="Save my spot").click()
    expect(page.locator("#error")).to_contain_text("you will not get two spots")
    page.get_by_role("button", name="Save my spot").click()

    saved = page.locator("#saved")
    expect(saved).to_be_visible()
    expect(page.locator("#saved-title")).to_have_text("Your spot is saved: R001")
    expect(page.locator("#saved-range")).to_contain_text("Your wait:")
    arrive_by = datetime.fromisoformat(served.in_minutes(45))
    expect(page.locator("#arrive-by")).to_contain_text("Arrive by ")
    shown = page.locator("#arrive-by").inner_text().removeprefix("Arrive by ")
    assert shown <= arrive_by.astimezone(_chicago()).strftime("%H:%M")  # never later than they said
    screenshot(page, f"save-spot-saved-{server_backend}")
    assert_no_accessibility_violations(page, "saved")

    queue = served.api("GET", f"/sites/{served.site_id}/queue", role="staff")[1]
    mine = [t for t in queue["tickets"] if t.get("contact_name") == "Rosa Remote"]
    assert len(mine) == 1 and lost and lost[0]  # the retry got the first ticket, not a second

    page.get_by_role("link", name="Follow your place in line").click()
    page.wait_for_url(f"**/ticket/{mine[0]['id']}#token=*")
    page.wait_for_selector("body[data-loaded='true']")
    expect(page.locator("#code")).to_have_text("R001")
    expect(page.locator("#present-card")).to_be_visible()  # we keep the place until "I'm here"
    expect(page.locator("#arrive-by")).to_have_text(
        re.compile(r"^(Arrive by \d\d:\d\d|Come as soon as you can)")
    )
    expect(page.locator("#wait-message")).not_to_be_empty()
    screenshot(page, f"save-spot-ticket-{server_backend}")

    # The site closes while someone else fills the form in Spanish: the refusal comes in their words.
    late = pages.open(f"{served.base}/sites/{served.site_id}/save-my-spot?lang=es", **PHONE)
    late.get_by_label("Su nombre").fill("Luis Tarde")
    late.get_by_label("Correo electrónico").fill("luis@example.org")
    served.staff(f"/sites/{served.site_id}/close-day", {"reason": "staff shortage"})
    late.get_by_role("button", name="Guardar mi lugar").click()
    expect(late.locator("#error")).to_contain_text("Cerrado por hoy.")
    expect(late.locator("#error")).to_contain_text(
        "También puede llamar a Riverside Patient Service Center al (217) 555-0100."
    )
    expect(late.locator("#wait-now")).to_have_text(
        "Ahora no se puede hacer fila sin cita, así que no se pueden guardar lugares."
    )
    screenshot(late, f"save-spot-closed-es-{server_backend}")


def _chicago():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Chicago")


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("page_name", ["best-times", "save-my-spot"])
def test_the_pages_have_no_accessibility_violations(demo, pages, page_name, language):
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = pages.open(f"{demo.base}/sites/{demo.site_id}/{page_name}?lang={language}", **size)
        if page_name == "best-times":
            expect(page.locator("svg.week-grid")).to_be_visible()
            screenshot(page, f"{page_name}-{language}-{name}")
            page.locator("#figures summary").click()  # the figures' tables are checked too
        else:
            expect(page.locator("#wait-now")).to_be_visible()
            screenshot(page, f"{page_name}-{language}-{name}")
        assert_no_accessibility_violations(page, name)


def assert_no_accessibility_violations(page, name: str) -> None:
    """axe-core finds nothing, of any impact."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
    ]
    assert violations == [], f"{name}: {violations}"
