"""Browser tests: the real `schedq serve` (gunicorn, several workers) and Debian's Chromium.

Chromium is /usr/bin/chromium from Debian (scripts/test installs it when it can);
Playwright never downloads a browser. When Chromium or Playwright is missing the
tests are skipped with the reason, except under CI=true, where they fail.
Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.server import OFFSET_VARIABLE
from tests.conftest import IN_CI, _empty_postgres

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WORKERS = 2


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


# The browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        _unavailable(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"Playwright is not installed: {error}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Pages:
    """Opens pages in their own browser contexts and remembers script errors, which fail the test."""

    def __init__(self, chromium) -> None:
        self.chromium = chromium
        self.contexts: list = []
        self.errors: list[str] = []

    def open(
        self,
        url: str,
        *,
        width: int = 1280,
        height: int = 800,
        mobile: bool = False,
        reduced_motion: bool = False,
        geolocation: dict[str, float] | None = None,
        permissions: list[str] | None = None,
    ):
        """`geolocation` ({"latitude", "longitude"}) is what the browser reports once `permissions` allow it."""
        context = self.chromium.new_context(
            viewport={"width": width, "height": height},
            is_mobile=mobile,
            has_touch=mobile,
            device_scale_factor=2 if mobile else 1,
            reduced_motion="reduce" if reduced_motion else "no-preference",
            geolocation=geolocation,
            permissions=permissions or [],
        )
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{url}: {error}"))
        page.on("console", lambda message: self._console(url, message))
        page.goto(url)
        page.wait_for_selector("body[data-loaded='true']", timeout=10_000)
        return page

    def _console(self, url: str, message) -> None:
        # A refused Content-Security-Policy shows only here; failed polls during a restart are expected.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(f"{url}: {message.text}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(chromium) -> Iterator[Pages]:
    opened = Pages(chromium)
    yield opened
    opened.close()
    assert opened.errors == [], "script errors in the pages"


def from_the_start(pages: Pages, server, link: str, *, width: int = 390, height: int = 844):
    """A patient's way in: the start page, a place typed, then `link` on the demo site's card."""
    page = pages.open(f"{server.base}/", width=width, height=height, mobile=width < 500)
    page.get_by_label("Where are you?").fill("62701")
    page.get_by_role("button", name="Find sites").click()
    page.wait_for_selector("body[data-loaded='true']")
    card = page.locator(f'li.site-result[data-site-id="{server.site_id}"]')
    card.get_by_role("link", name=link).click()
    page.wait_for_selector("body[data-loaded='true']")
    return page


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# The server -----------------------------------------------------------------------------


def axe_violations(page) -> list[str]:
    """axe-core's findings on the page as it stands, one line each (empty when it passes)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
    ]


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """WCAG contrast ratio of two sRGB colours (1 to 21)."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# The focused node's outline, and the first opaque background behind it (for `contrast`).
FOCUS_RING = """(node) => {
  const parse = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const style = getComputedStyle(node);
  let behind = node.parentElement;
  let background = [255, 255, 255];
  while (behind) {
    const colour = parse(getComputedStyle(behind).backgroundColor);
    if (colour.length === 3 || (colour.length === 4 && colour[3] > 0)) { background = colour; break; }
    behind = behind.parentElement;
  }
  return { ring: parse(style.outlineColor), style: style.outlineStyle, width: parseFloat(style.outlineWidth), background };
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def next_monday_8am_offset() -> timedelta:
    """From now to the next Monday 08:00 at the demo site (America/Chicago), when it is open."""
    chicago = ZoneInfo("America/Chicago")
    today = datetime.now(chicago).date()
    monday = today + timedelta(days=7 - today.weekday())
    at = datetime.combine(monday, datetime.min.time(), chicago).replace(hour=8)
    return at.astimezone(UTC) - datetime.now(UTC)


@dataclass
class Server:
    """`schedq serve --workers 2` on a free port, seeding the demo site; restartable."""

    instance: Path
    database_url: str | None = None
    port: int = field(default_factory=free_port)
    offset: timedelta = field(default_factory=next_monday_8am_offset)
    process: subprocess.Popen | None = None
    site_id: int = 0
    tokens: dict[str, str] = field(default_factory=dict)
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        self.instance.mkdir(parents=True, exist_ok=True)
        log = self.instance / f"serve-{self.starts}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDQ_")}
        env.update(
            SCHEDQ_INSTANCE_DIR=str(self.instance),
            SCHEDQ_SEED_DEMO="true",
            PYTHONPATH=str(ROOT),
            **{OFFSET_VARIABLE: str(self.offset.total_seconds())},
        )
        if self.database_url:
            env["SCHEDQ_DATABASE_URL"] = self.database_url
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.browser.server",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(WORKERS),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"schedq serve exited:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/v1/sites", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"schedq serve did not answer within 30 s:\n{log.read_text()}"
                    ) from None
                time.sleep(0.1)
        text = log.read_text()
        if seeded := re.search(r"seeded demo site (\d+)", text):
            self.site_id = int(seeded.group(1))
            self.tokens = dict(re.findall(r"^\s+(\w+) token: (sq_\S+)$", text, re.MULTILINE))

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def api(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        role: str | None = None,
        patient: str | None = None,
    ):
        """Call the API as a role of the demo (admin, staff, display) or as a patient; returns (status, json)."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if role:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        if patient:
            headers["X-Patient-Token"] = patient
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base}/api/v1{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    # The demo site as staff run it ------------------------------------------------------

    def in_minutes(self, minutes: float) -> str:
        """An instant on the server's clock, as the API takes it."""
        return (datetime.now(UTC) + self.offset + timedelta(minutes=minutes)).isoformat()

    def station_id(self, name: str) -> int:
        _, site = self.api("GET", f"/sites/{self.site_id}")
        return next(s["id"] for s in site["stations"] if s["name"] == name)

    def open_station(self, name: str = "Station 1") -> int:
        station_id = self.station_id(name)
        status, body = self.api("POST", f"/stations/{station_id}/open", role="staff")
        assert status == 200, body
        return station_id

    def walk_in(self, service: str = "DRAW") -> dict:
        status, ticket = self.api(
            "POST", f"/sites/{self.site_id}/tickets", {"service": service}, role="display"
        )
        assert status == 201, ticket
        return ticket

    def staff(self, path: str, body: dict | None = None) -> dict:
        status, answer = self.api("POST", path, body, role="staff")
        assert status == 200, answer
        return answer


@pytest.fixture(params=["sqlite"])
def server_backend(request) -> str:
    return request.param


@pytest.fixture
def served(request, server_backend, tmp_path) -> Iterator[Server]:
    """A fresh demo site served by several workers, on SQLite unless the test asks for PostgreSQL."""
    database_url = None
    if server_backend == "postgresql":
        database_url = request.getfixturevalue("postgres_database")
        _empty_postgres(database_url)
    server = Server(instance=tmp_path / "instance", database_url=database_url)
    server.start()
    try:
        assert server.tokens, "the demo site was not seeded"
        yield server
    finally:
        server.stop()
