"""The lobby display on real screens (README: "The lobby display"): it fits, it is read across a room,
and every language is said alike."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, axe_violations, screenshot

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


@pytest.mark.parametrize("languages", [["en"], ["es"], ["es", "en"]], ids=["en", "es", "es-en"])
def test_the_display_has_no_accessibility_violations_in_each_language(served, pages, busy_day, languages):
    status, body = served.api(
        "PATCH", f"/sites/{served.site_id}", {"display_languages": languages}, role="admin"
    )
    assert status == 200, body
    page = open_display(pages, served, 1920, 1080)
    expect(page.locator("html")).to_have_attribute("lang", languages[0])
    assert {line.get_attribute("lang") for line in page.locator("[data-say]").all()} == set(languages)
    assert axe_violations(page) == []
    screenshot(page, f"display-{'-'.join(languages)}")


# Sound ---------------------------------------------------------------------------------------

KIOSK_FLAG = "--autoplay-policy=no-user-gesture-required"
# What the page says and plays, told from inside it on the console: every speechSynthesis.speak, every
# tone's start with the audio's state, and the first drawing of the screen, each with whether anyone had
# touched the page by then. (Playwright's waits on the page count as a touch, so the sound tests wait on
# the console alone until the sound is made.) The real speak still runs; with no voice it says nothing.
LISTEN = """
(() => {
  const touched = () => navigator.userActivation.hasBeenActive;
  const tell = (record) => console.info("heard " + JSON.stringify({...record, touched: touched()}));
  const realSpeak = speechSynthesis.speak.bind(speechSynthesis);
  speechSynthesis.speak = (utterance) => {
    tell({kind: "speech", text: utterance.text, lang: utterance.lang});
    realSpeak(utterance);
  };
  const realStart = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...when) {
    tell({kind: "tone", state: this.context.state});
    return realStart.apply(this, when);
  };
  new MutationObserver(() => {
    if (document.body && document.body.dataset.loaded && !document.body.told) {
      document.body.told = true;
      tell({kind: "drawn"});
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-loaded"]});
})();
"""


class Ears:
    """What a page told on the console (see LISTEN)."""

    def __init__(self, page) -> None:
        self.page = page
        self.heard: list[dict] = []
        page.on("console", self._hear)

    def _hear(self, message) -> None:
        if message.text.startswith("heard "):
            self.heard.append(json.loads(message.text.removeprefix("heard ")))

    def of(self, kind: str) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "kind"} for r in self.heard if r["kind"] == kind]

    def wait(self, kind: str, count: int) -> list[dict]:
        for _ in range(100):
            if len(self.of(kind)) >= count:
                break
            self.page.wait_for_timeout(100)  # waits in Python, never touching the page
        assert len(self.of(kind)) == count, self.heard
        return self.of(kind)


@pytest.fixture(scope="module")
def kiosk(chromium):
    """Chromium started as a lobby screen in kiosk mode is (README: "The lobby display")."""
    browser = chromium.browser_type.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, KIOSK_FLAG])
    yield browser
    browser.close()


@pytest.fixture
def screens():
    """Opens the display with LISTEN in place and waits for its first drawing; script errors fail the test."""
    contexts, errors = [], []

    def open_screen(browser, url: str):
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        contexts.append(context)
        context.add_init_script(LISTEN)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        ears = Ears(page)
        page.goto(url)
        ears.wait("drawn", 1)
        return page, ears

    yield open_screen
    for context in contexts:
        context.close()
    assert errors == []


def set_display(served, **settings) -> None:
    status, body = served.api("PATCH", f"/sites/{served.site_id}", settings, role="admin")
    assert status == 200, body


def call_one(served, station: str = "Station 3") -> dict:
    station_id = served.open_station(station)
    ticket = served.walk_in()
    served.staff(f"/tickets/{ticket['id']}/call", {"station_id": station_id})
    return ticket


def test_a_kiosk_screen_chimes_and_says_each_call_in_each_display_language_without_a_touch(
    served, kiosk, screens
):
    set_display(served, display_announce="chime_and_speech")
    page, ears = screens(kiosk, f"{served.base}/display/{served.site_id}")
    ticket = call_one(served)

    said = f"{ticket['code']}, Station 3"
    assert ears.wait("speech", 2) == [
        {"text": said, "lang": "en", "touched": False},
        {"text": said, "lang": "es", "touched": False},
    ]
    assert ears.of("tone") == [{"state": "running", "touched": False}] * 2, "the chime did not sound"
    assert ears.of("drawn") == [{"touched": False}]
    expect(page.locator(f'.call[data-code="{ticket["code"]}"]')).to_be_visible()
    expect(page.locator("#sound-blocked")).to_be_hidden()
    screenshot(page, "display-announcing")


@pytest.mark.parametrize(("announce", "tones"), [("chime", 2), ("off", 0)])
def test_a_site_may_only_chime_or_stay_silent(served, kiosk, screens, announce, tones):
    set_display(served, display_announce=announce)
    page, ears = screens(kiosk, f"{served.base}/display/{served.site_id}")
    first = call_one(served, "Station 1")
    expect(page.locator(f'.call[data-code="{first["code"]}"]')).to_be_visible()
    ears.wait("tone", tones)
    # A second call after the first, so anything the first would have said has had its time.
    second = call_one(served, "Station 2")
    expect(page.locator(f'.call[data-code="{second["code"]}"]')).to_be_visible()
    ears.wait("tone", tones * 2)
    page.wait_for_timeout(2000)
    assert ears.of("speech") == []
    expect(page.locator("#sound-blocked")).to_be_hidden()


def test_a_screen_not_in_kiosk_mode_asks_for_one_touch_and_then_sounds(served, chromium, screens):
    set_display(served, display_announce="chime_and_speech")
    page, ears = screens(chromium, f"{served.base}/display/{served.site_id}")
    blocked = page.locator("#sound-blocked")
    expect(blocked).to_be_visible()
    expect(blocked.locator('[lang="en"]')).to_have_text("Touch the screen once to turn on the sound.")
    expect(blocked.locator('[lang="es"]')).to_have_text("Toque la pantalla una vez para activar el sonido.")
    screenshot(page, "display-sound-blocked")
    assert axe_violations(page) == []

    page.mouse.click(960, 540)
    expect(blocked).to_be_hidden()
    ticket = call_one(served)
    assert [s["text"] for s in ears.wait("speech", 2)] == [f"{ticket['code']}, Station 3"] * 2
    assert [tone["state"] for tone in ears.of("tone")] == ["running", "running"]


def test_the_screen_takes_new_display_languages_and_sound_by_itself(served, kiosk, screens):
    page, ears = screens(kiosk, f"{served.base}/display/{served.site_id}")
    set_display(served, display_languages=["es"], display_announce="chime_and_speech")
    ears.wait("drawn", 2)  # the page drew itself again in its new languages

    ticket = call_one(served)
    assert ears.wait("speech", 1) == [
        {"text": f"{ticket['code']}, Station 3", "lang": "es", "touched": False}
    ]
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator('#now-title [lang="es"]')).to_have_text("Llamando ahora")
    expect(page.locator('#now-title [lang="en"]')).to_have_count(0)
