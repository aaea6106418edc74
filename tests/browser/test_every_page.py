"""Every page, in every state a person meets it, in English and Spanish, at each size it is read at.

One server for the module; each visit is opened at each of its sizes, photographed into
test-artifacts/browser/every-page/, checked for sideways scrolling, and checked with axe-core
once (at its first size). README "The pages" lists the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import ARTIFACTS, FOCUS_RING, Pages, Server, axe_violations, contrast

expect = pytest.importorskip("playwright.sync_api").expect

PHONE = (390, 844)
LAPTOP = (1280, 720)
DESKTOP = (1920, 1080)
UHD = (3840, 2160)
PATIENT_SIZES = (PHONE, LAPTOP, DESKTOP)
SCREEN_SIZES = (LAPTOP, DESKTOP, UHD)
STAFF_SIZES = (LAPTOP, DESKTOP)
LANGUAGES = ("en", "es")


@dataclass
class Lobby:
    """The demo site part-way through a morning: someone called, someone waiting, someone done."""

    server: Server
    waiting: dict
    called: dict
    done: dict
    remote: dict
    booking: dict
    unsubscribe: str


@pytest.fixture(scope="module")
def lobby(tmp_path_factory) -> Iterator[Lobby]:
    server = Server(instance=tmp_path_factory.mktemp("every-page") / "instance")
    server.start()
    try:
        first = server.open_station("Station 1")
        second = server.open_station("Station 2")
        done = server.walk_in()
        server.staff(f"/stations/{first}/call-next")
        server.staff(f"/tickets/{done['id']}/start")
        server.staff(f"/tickets/{done['id']}/complete")
        called = server.walk_in()
        server.staff(f"/stations/{second}/call-next")
        waiting = server.walk_in()
        server.walk_in("UDS")
        status, remote = server.api(
            "POST",
            f"/sites/{server.site_id}/remote-tickets",
            {
                "service": "DRAW",
                "contact": {"name": "Rosa Remote", "email": "rosa@example.org"},
                "expected_arrival_at": server.in_minutes(30),
            },
        )
        assert status == 201, remote
        booking = _book_tomorrow(server)
        yield Lobby(server, waiting, called, done, remote, booking, _unsubscribe_link(server))
    finally:
        server.stop()


def _book_tomorrow(server: Server) -> dict:
    now = datetime.fromisoformat(server.in_minutes(0)).astimezone(ZoneInfo("America/Chicago"))
    tomorrow = date.isoformat(now.date() + timedelta(days=1))
    status, free = server.api("GET", f"/sites/{server.site_id}/slots?service=DRAW&from={tomorrow}")
    assert status == 200 and free["slots"], free
    status, booked = server.api(
        "POST",
        f"/sites/{server.site_id}/appointments",
        {
            "service": "DRAW",
            "starts_at": free["slots"][3]["starts_at"],
            "contact": {"name": "Bea Booker", "email": "bea@example.org"},
        },
    )
    assert status == 201, booked
    return booked


def _unsubscribe_link(server: Server) -> str:
    from schedq.notify.preferences import unsubscribe_token

    secret = (server.instance / "secret_key").read_text().strip()
    return f"/unsubscribe/{unsubscribe_token(secret, 'bea@example.org')}"


def _ticket(ticket: dict, lang: str) -> str:
    return f"/ticket/{ticket['id']}?lang={lang}#token={quote(ticket['token'])}"


def _sign_in(page, lobby: Lobby) -> None:
    page.locator("#token").fill(lobby.server.tokens["staff"])
    page.locator("#token").press("Enter")
    page.locator("#token").wait_for(state="hidden")


def _sign_in_to_reports(page, lobby: Lobby) -> None:
    _sign_in(page, lobby)
    page.locator("body[data-loaded='true'] #chart-satisfaction svg").wait_for()


def _sign_in_as_admin(page, lobby: Lobby) -> None:
    page.locator("#token").fill(lobby.server.tokens["admin"])
    page.locator("#token").press("Enter")
    page.locator("#manager").wait_for(state="visible")


@dataclass(frozen=True)
class Visit:
    name: str
    address: Callable[[Lobby, str], str]
    sizes: tuple[tuple[int, int], ...] = PATIENT_SIZES
    then: Callable[[object, Lobby], None] | None = None
    # The page's own language is the one asked for, except where it is the site's (the display).
    site_language: str | None = None


VISITS = [
    Visit("start", lambda lobby, lang: f"/?lang={lang}"),
    Visit("start-near", lambda lobby, lang: f"/?near=62701&lang={lang}"),
    Visit("site", lambda lobby, lang: f"/sites/{lobby.server.site_id}?lang={lang}"),
    Visit(
        "best-times", lambda lobby, lang: f"/sites/{lobby.server.site_id}/best-times?service=DRAW&lang={lang}"
    ),
    Visit("book", lambda lobby, lang: f"/sites/{lobby.server.site_id}/book?lang={lang}"),
    Visit(
        "booking",
        lambda lobby, lang: (
            f"/booking/{lobby.booking['reference']}?lang={lang}#token={quote(lobby.booking['manage_token'])}"
        ),
    ),
    Visit("save-my-spot", lambda lobby, lang: f"/sites/{lobby.server.site_id}/save-my-spot?lang={lang}"),
    Visit("ticket-remote", lambda lobby, lang: _ticket(lobby.remote, lang)),
    Visit("ticket-waiting", lambda lobby, lang: _ticket(lobby.waiting, lang)),
    Visit("ticket-called", lambda lobby, lang: _ticket(lobby.called, lang)),
    Visit("ticket-done", lambda lobby, lang: _ticket(lobby.done, lang)),
    Visit(
        "ticket-bad-token",
        lambda lobby, lang: f"/ticket/{lobby.waiting['id']}?lang={lang}#token=not-the-token",
    ),
    Visit("unsubscribe", lambda lobby, lang: f"{lobby.unsubscribe}?lang={lang}"),
    Visit("staff-entry", lambda lobby, lang: f"/staff?lang={lang}", sizes=STAFF_SIZES),
    Visit(
        "display",
        lambda lobby, lang: f"/display/{lobby.server.site_id}?lang={lang}",
        sizes=SCREEN_SIZES,
        site_language="en",
    ),
    Visit(
        "console-signed-out",
        lambda lobby, lang: f"/staff/{lobby.server.site_id}?lang={lang}",
        sizes=STAFF_SIZES,
    ),
    Visit(
        "console",
        lambda lobby, lang: f"/staff/{lobby.server.site_id}?lang={lang}",
        sizes=STAFF_SIZES,
        then=_sign_in,
    ),
    Visit(
        "messages",
        lambda lobby, lang: f"/staff/{lobby.server.site_id}/messages?lang={lang}",
        sizes=STAFF_SIZES,
        then=_sign_in,
    ),
    Visit(
        "reports",
        lambda lobby, lang: f"/staff/{lobby.server.site_id}/reports?lang={lang}",
        sizes=STAFF_SIZES,
        then=_sign_in_to_reports,
    ),
    Visit(
        "manage-signed-out",
        lambda lobby, lang: f"/manage/{lobby.server.site_id}?lang={lang}",
        sizes=PATIENT_SIZES,
    ),
    Visit(
        "manage",
        lambda lobby, lang: f"/manage/{lobby.server.site_id}?lang={lang}",
        sizes=PATIENT_SIZES,
        then=_sign_in_as_admin,
    ),
]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS, ids=lambda visit: visit.name)
def test_the_page_fits_reads_in_its_language_and_passes_axe(lobby, chromium, visit: Visit, lang: str):
    pages = Pages(chromium)
    folder = ARTIFACTS / "every-page"
    folder.mkdir(parents=True, exist_ok=True)
    findings: list[str] = []
    try:
        for index, (width, height) in enumerate(visit.sizes):
            page = pages.open(
                lobby.server.base + visit.address(lobby, lang), width=width, height=height, mobile=width < 500
            )
            if visit.then is not None:
                visit.then(page, lobby)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(folder / f"{visit.name}-{lang}-{width}x{height}.png"), full_page=True)
            assert page.evaluate("document.documentElement.lang") == (visit.site_language or lang)
            sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert sideways <= 0, f"{visit.name} scrolls {sideways} px sideways at {width}×{height}"
            if index == 0:
                findings = axe_violations(page)
    finally:
        pages.close()
    assert findings == []
    assert pages.errors == [], "script errors in the page"


@pytest.mark.parametrize(
    "visit",
    [
        v
        for v in VISITS
        if v.name in ("start-near", "site", "book", "save-my-spot", "ticket-waiting", "display")
    ],
    ids=lambda visit: visit.name,
)
def test_the_keyboards_focus_ring_contrasts_at_least_3_to_1_with_what_is_behind_it(
    lobby, pages, visit: Visit
):
    width, height = visit.sizes[-1]
    page = pages.open(lobby.server.base + visit.address(lobby, "en"), width=width, height=height)
    page.wait_for_load_state("networkidle")
    seen_rings = 0
    for _ in range(8):
        page.keyboard.press("Tab")
        ring = page.evaluate("document.activeElement === document.body ? null : 1")
        if ring is None:
            continue
        seen = page.locator(":focus").evaluate(FOCUS_RING)
        assert seen["style"] == "solid" and seen["width"] >= 2, seen
        assert contrast(tuple(seen["ring"]), tuple(seen["background"])) >= 3.0, seen
        seen_rings += 1
    assert seen_rings > 0, "nothing on the page takes the keyboard's focus"
