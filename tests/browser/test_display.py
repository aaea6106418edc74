"""The lobby display on real screens (README: "The lobby display"): it fits, it is read across a room,
and every language is said alike."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, screenshot

expect = pytest.importorskip("playwright.sync_api").expect

SCREENS = [(1920, 1080), (1280, 720), (3840, 2160)]
RECENT_SHOWN = 8
# Readable at 10 m on a 55" screen at 1080p: 54 px, that is 5% of the screen's height at any size.
CODE_SHARE_OF_HEIGHT = 54 / 1080


def make_busy_day(served, called: int = 3) -> list[str]:
    """`called` stations open (the demo's three, and more added), nine calls served today at the first
    three, one ticket called now to each station, and four waiting. The codes called now, newest first."""
    for number in range(4, called + 1):
        status, body = served.api(
            "POST",
            f"/sites/{served.site_id}/stations",
            {"name": f"Station {number}", "services": ["DRAW"]},
            role="admin",
        )
        assert status == 201, body
    stations = [served.open_station(f"Station {number}") for number in range(1, called + 1)]
    for _ in range(3):
        for station_id in stations[:3]:
            ticket = served.walk_in()
            served.staff(f"/tickets/{ticket['id']}/call", {"station_id": station_id})
            served.staff(f"/tickets/{ticket['id']}/start")
            served.staff(f"/tickets/{ticket['id']}/complete")
    codes = []
    for station_id in stations:
        ticket = served.walk_in()
        served.staff(f"/tickets/{ticket['id']}/call", {"station_id": station_id})
        codes.insert(0, ticket["code"])
    for _ in range(4):
        served.walk_in()
    return codes


@pytest.fixture
def busy_day(served) -> list[str]:
    return make_busy_day(served)


def open_display(pages, served, width: int, height: int):
    page = pages.open(f"{served.base}/display/{served.site_id}", width=width, height=height)
    expect(page.locator("#recent li.recent-call")).to_have_count(RECENT_SHOWN)
    return page


def box(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "node => { const r = node.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }"
    )


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["top"] >= outer["top"] - 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
        and inner["left"] >= outer["left"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
    )


@pytest.mark.parametrize("called", [3, 6], ids=["3-called", "6-called"])
@pytest.mark.parametrize(("width", "height"), SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_the_display_fits_the_screen_with_its_footer_and_eight_recent_calls(
    served, pages, width, height, called
):
    codes = make_busy_day(served, called)
    page = open_display(pages, served, width, height)
    expect(page.locator(".call")).to_have_count(called)
    screen = {"top": 0, "bottom": height, "left": 0, "right": width}

    scroll = page.evaluate(
        "() => ({height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth,"
        " bodyHeight: document.body.scrollHeight, bodyWidth: document.body.scrollWidth})"
    )
    assert scroll == {"height": height, "width": width, "bodyHeight": height, "bodyWidth": width}

    assert inside(box(page, ".display-foot"), screen), "the footer is off the screen"
    expect(page.locator(".display-foot")).to_be_visible()
    recent = box(page, "section.recent")
    for row in page.locator("#recent li.recent-call").all():
        rect = row.evaluate(
            "node => { const r = node.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }"
        )
        assert inside(rect, recent) and inside(rect, screen), f"a recent call is cut off: {rect}"
    now = box(page, "section.now")
    for call in page.locator(".call").all():
        rect = call.evaluate(
            "node => { const r = node.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }"
        )
        assert inside(rect, now) and inside(rect, screen), f"a called ticket is cut off: {rect}"
    assert inside(box(page, "section.wait"), screen)
    # No station name is cut short: each card shows all of it.
    for call in page.locator(".call .station-name").all():
        assert call.evaluate("node => node.scrollWidth <= node.clientWidth")
    expect(page.locator(".call").first).to_have_attribute("data-code", codes[0])
    screenshot(page, f"display-{width}x{height}-{called}-called")


@pytest.mark.parametrize(("width", "height"), SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_recent_call_codes_are_sized_from_the_screen_to_be_read_at_10_metres(
    served, pages, busy_day, width, height
):
    page = open_display(pages, served, width, height)
    sizes = page.locator("#recent .code").evaluate_all(
        "nodes => nodes.map(node => parseFloat(getComputedStyle(node).fontSize))"
    )
    assert len(sizes) == RECENT_SHOWN
    assert min(sizes) >= CODE_SHARE_OF_HEIGHT * height, sizes
    if height == 1080:
        assert min(sizes) >= 54


@pytest.mark.parametrize(("width", "height"), SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_every_language_is_on_its_own_line_at_the_size_weight_and_colour_of_english(
    served, pages, busy_day, width, height
):
    page = open_display(pages, served, width, height)
    lines = page.evaluate(
        """() => [...document.querySelectorAll("[data-say]")].map(node => {
             const style = getComputedStyle(node), r = node.getBoundingClientRect();
             return {key: node.dataset.say, lang: node.lang, text: node.textContent,
                     parent: [...node.parentElement.parentElement.children].indexOf(node.parentElement)
                             + ":" + node.parentElement.id + node.parentElement.className,
                     size: style.fontSize, weight: style.fontWeight, colour: style.color,
                     top: r.top, bottom: r.bottom, height: r.height};
           })"""
    )
    groups: dict[tuple[str, str], dict[str, dict]] = {}
    for line in lines:
        groups.setdefault((line["parent"], line["key"]), {})[line["lang"]] = line
    keys = {key for _, key in groups}
    assert {"nowCalling", "recentCalls", "waitNow", "listen", "status", "wait", "waiting", "goTo"} <= keys
    for (_, key), by_language in groups.items():
        assert set(by_language) == {"en", "es"}, key
        english, spanish = by_language["en"], by_language["es"]
        assert english["text"] and spanish["text"] and english["text"] != spanish["text"], key
        for look in ("size", "weight", "colour"):
            assert spanish[look] == english[look], f"{key}: Spanish {look} {spanish[look]} ≠ {english[look]}"
        assert spanish["top"] >= english["bottom"] - 1, f"{key}: Spanish is not on a line of its own"


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_display_has_no_accessibility_violations(served, pages, busy_day, language):
    page = pages.open(f"{served.base}/display/{served.site_id}?lang={language}", width=1920, height=1080)
    expect(page.locator("#recent li.recent-call")).to_have_count(RECENT_SHOWN)
    assert axe_violations(page) == []
