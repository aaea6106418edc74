"""The three pages in Chromium against a real server with several workers."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import screenshot

expect = pytest.importorskip("playwright.sync_api").expect

BOTH_DATABASES = pytest.mark.parametrize(
    "server_backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def sign_in(page, token: str) -> None:
    page.get_by_label("Staff API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#console")).to_be_visible()


def station_card(page, name: str):
    return page.locator(f'article.station[data-station="{name}"]')


@BOTH_DATABASES
def test_a_call_made_in_the_console_shows_on_the_display_within_2_seconds_and_the_ticket_page_within_5(
    served, pages, server_backend
):
    ticket = served.walk_in()
    display = pages.open(f"{served.base}/display/{served.site_id}", width=1920, height=1080)
    ticket_page = pages.open(
        f"{served.base}/ticket/{ticket['id']}#token={ticket['token']}", width=390, height=844, mobile=True
    )
    expect(ticket_page.locator("#status-title")).to_have_text("You are in line")
    console = pages.open(f"{served.base}/staff/{served.site_id}", width=1440, height=900)
    sign_in(console, served.tokens["staff"])

    station_card(console, "Station 1").get_by_role("button", name="Open Station 1").click()
    call_next = console.get_by_role("button", name="Call next to Station 1")
    expect(call_next).to_be_visible()
    clicked = time.monotonic()
    call_next.click()

    called = display.locator(f'.call[data-code="{ticket["code"]}"]')
    expect(called).to_be_visible(timeout=2000)
    seconds = time.monotonic() - clicked
    assert seconds < 2.0, f"the display showed the call after {seconds:.1f} s"
    expect(ticket_page.locator("#station")).to_have_text("Go to Station 1", timeout=5000)
    seconds = time.monotonic() - clicked
    assert seconds < 5.0, f"the ticket page showed the call after {seconds:.1f} s"
    expect(called).to_contain_text("Station 1")
    expect(called).to_have_class("call fresh")
    expect(console.locator("#message")).to_contain_text(f"{ticket['code']} called to Station 1")
    screenshot(display, f"display-{server_backend}")
    screenshot(console, f"console-{server_backend}")


def test_the_display_shows_recent_calls_and_the_wait_in_english_and_spanish_without_names(served, pages):
    served.open_station("Station 1")
    served.open_station("Station 3")
    status, remote = served.api(
        "POST",
        f"/sites/{served.site_id}/remote-tickets",
        {
            "service": "DRAW",
            "contact": {"name": "Rosalind Example", "phone": "+1 201 555 0100"},
            "expected_arrival_at": served.in_minutes(20),
        },
    )
    assert status == 201, remote
    first, second = served.walk_in(), served.walk_in("UDS")
    for _ in range(3):
        served.walk_in()
    served.staff(f"/tickets/{first['id']}/call", {"station_id": served.station_id("Station 1")})
    served.staff(f"/tickets/{second['id']}/call", {"station_id": served.station_id("Station 3")})

    display = pages.open(f"{served.base}/display/{served.site_id}", width=1920, height=1080)
    expect(display.locator(".call")).to_have_count(2)
    expect(display.locator("#recent li")).to_have_count(2)
    expect(display.locator("#wait-en")).not_to_be_empty()
    expect(display.locator("#wait-es")).not_to_be_empty()
    expect(display.locator("#status-en")).to_contain_text("Open now; walk-ins join until 12:00")
    expect(display.locator("#status-es")).to_contain_text("Abierto")
    expect(display.locator("#waiting")).to_contain_text("en espera")
    expect(display.get_by_text("Llamando ahora")).to_be_visible()
    assert "Rosalind" not in display.content()
    screenshot(display, "display")


def test_the_console_runs_the_line_and_shows_errors_in_words(served, pages):
    console = pages.open(f"{served.base}/staff/{served.site_id}", width=1440, height=900)
    console.get_by_label("Staff API token").fill("sq_wrong")
    console.get_by_role("button", name="Sign in").click()
    expect(console.locator("#signin-error")).to_have_text("invalid or revoked API token")

    sign_in(console, served.tokens["staff"])
    station_card(console, "Station 2").get_by_role("button", name="Open Station 2").click()
    expect(console.get_by_role("button", name="Call next to Station 2")).to_be_disabled()
    expect(station_card(console, "Station 2").locator(".reason")).to_contain_text("Nobody waiting")

    console.get_by_label("New walk-in").select_option("DRAW")
    console.get_by_role("button", name="Add to line").click()
    expect(console.locator("#message")).to_contain_text("Added A")
    code = console.locator("#queue-rows tr .code").first.inner_text()
    console.get_by_role("button", name=f"Give priority to {code}").click()
    expect(console.locator(f'#queue-rows tr[data-code="{code}"] .badge.priority')).to_be_visible()
    console.get_by_role("button", name=f"Call {code}").click()
    expect(console.locator(f'#queue-rows tr[data-code="{code}"]')).to_contain_text("called")
    console.get_by_role("button", name=f"No-show {code}").click()
    expect(console.locator(f'#queue-rows tr[data-code="{code}"]')).to_have_count(0)

    # A refused action (409) names what is allowed instead, in words.
    message = console.evaluate(
        "schedq.describeError(new schedq.ApiError(409, {message: 'a no_show ticket cannot take the action start', allowed_actions: ['requeue']}))"
    )
    assert message == "a no_show ticket cannot take the action start Allowed now: put back in line."
    console.locator("#no-shows").get_by_role("button", name=f"Requeue {code}").click()
    expect(console.locator("#message")).to_contain_text("back in line")
    expect(console.locator(f'#queue-rows tr[data-code="{code}"]')).to_contain_text("waiting")
    expect(console.locator("#no-shows")).to_contain_text("None.")
    screenshot(console, "console")


def test_the_display_recovers_by_itself_when_the_server_restarts(served, pages):
    display = pages.open(f"{served.base}/display/{served.site_id}", width=1280, height=720)
    served.stop()
    expect(display.locator("#connection")).to_contain_text("Reconnecting", timeout=5000)
    screenshot(display, "display-reconnecting")

    served.start()
    station_id = served.open_station("Station 1")
    ticket = served.walk_in()
    served.staff(f"/stations/{station_id}/call-next")
    expect(display.locator(f'.call[data-code="{ticket["code"]}"]')).to_be_visible(timeout=8000)
    expect(display.locator("#connection")).to_be_hidden()


@pytest.mark.parametrize("page_name", ["display", "staff"])
def test_pages_have_no_serious_or_critical_accessibility_violations(served, pages, page_name):
    from axe_playwright_python.sync_playwright import Axe

    station_id = served.open_station("Station 1")
    called = served.walk_in()
    served.staff(f"/stations/{station_id}/call-next")
    served.walk_in()
    if page_name == "display":
        page = pages.open(f"{served.base}/display/{served.site_id}", width=1920, height=1080)
    else:
        page = pages.open(f"{served.base}/staff/{served.site_id}", width=1440, height=900)
        sign_in(page, served.tokens["staff"])
        expect(page.locator(f'#queue-rows tr[data-code="{called["code"]}"]')).to_be_visible()

    screenshot(page, f"checked-{page_name}")
    results = Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[(n['target'], n['failureSummary']) for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


def test_the_api_reference_renders_offline_under_the_pages_policy(served, chromium):
    """Swagger UI from the packaged copy: every operation listed, nothing fetched from another origin."""
    context = chromium.new_context()
    page = context.new_page()
    refused: list[str] = []
    outside: list[str] = []
    page.on(
        "console",
        lambda m: (
            refused.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text and "style" not in m.text
            else None
        ),
    )
    page.on("request", lambda r: None if r.url.startswith(served.base) else outside.append(r.url))
    try:
        page.goto(f"{served.base}/api/v1/docs")
        expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
        assert page.locator(".opblock").count() > 20
    finally:
        context.close()
    assert refused == [] and outside == []
