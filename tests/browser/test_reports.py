"""The reports page: sign in, read the figures, the charts and the tables, change the days (README: "Reports")."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import axe_violations, screenshot

expect = pytest.importorskip("playwright.sync_api").expect


def a_morning(served) -> None:
    """Two patients served this morning, one rated the visit."""
    station = served.open_station("Station 1")
    for _ in range(2):
        ticket = served.walk_in()
        served.staff(f"/stations/{station}/call-next")
        served.staff(f"/tickets/{ticket['id']}/start")
        served.staff(f"/tickets/{ticket['id']}/complete")
    status, _ = served.api(
        "POST",
        f"/tickets/{ticket['id']}/feedback",
        {"rating": 4, "comment": "=1+1 quick and kind"},
        patient=ticket["token"],
    )
    assert status == 201


COMMENTS = ("Quick and kind, thank you.", "The wait was longer than the screen said.", "Clean and calm.")


def a_friday_played(served) -> tuple[date, int]:
    """Last Friday at the demo site, played through the real use cases with a simulated clock (the demo's
    scenario: a busy morning, a lunch closure, several stations, no-shows), one in three served rating the visit.

    Written to the server's database from here, before the page reads it; returns the day and how many came.
    """
    import numpy as np

    from schedq.db.engine import Database
    from schedq.db.models import Site
    from schedq.services import feedback
    from schedq.simulation.scenario import parse
    from schedq.simulation.world import SECRET_KEY, SiteWorld
    from schedq.simulation.world import served as was_served
    from schedq.web.demo_play import DEMO_SCENARIO

    database = Database(f"sqlite:///{served.instance / 'schedq.sqlite3'}")
    try:
        world = SiteWorld(parse(DEMO_SCENARIO), database, rng=np.random.default_rng(15))
        with world.uow(write=False) as uow:
            site = uow.session.get(Site, served.site_id)
            assert site is not None
            skilled = [(-len(s.services), s.id, frozenset(v.code for v in s.services)) for s in site.stations]
            world.site_id = site.id
        world.station_ids = [station_id for _, station_id, _ in sorted(skilled)]
        world.skills = {station_id: skills for _, station_id, skills in skilled}
        today = datetime.fromisoformat(served.in_minutes(0)).astimezone(ZoneInfo("America/Chicago")).date()
        friday = today - timedelta(days=(today.weekday() - 4) % 7 or 7)
        joined = {}
        day = world.day(friday, on_join=lambda _day, _patient, view, _now: joined.setdefault(view.id, view))
        outcomes = day.run()
        done = [o for o in outcomes if was_served(o)]
        assert len(done) >= 24, len(done)
        for n, outcome in enumerate(done[::3]):
            view = joined[outcome.ticket_id]
            feedback.leave_feedback(
                world.uow(),
                ticket_id=view.id,
                token=view.token,
                secret_key=SECRET_KEY,
                rating=(5, 4, 5, 3, 4, 2)[n % 6],
                comment=COMMENTS[n % len(COMMENTS)] if n % 4 == 0 else None,
                now=world.local(friday, time(18)),
            )
        return friday, len(outcomes)
    finally:
        database.dispose()


def sign_in(page, served) -> None:
    page.get_by_label("Staff API token").fill(served.tokens["staff"])
    page.get_by_role("button", name="Sign in").click()
    page.locator("body[data-loaded='true'] #chart-satisfaction svg").wait_for()


def test_staff_read_this_weeks_figures_charts_and_tables(served, pages):
    friday, came = a_friday_played(served)
    a_morning(served)
    page = pages.open(f"{served.base}/staff/{served.site_id}/reports", width=1280, height=900)
    sign_in(page, served)
    expect(page.locator("#headline")).to_contain_text("Patients who came")
    today = datetime.fromisoformat(served.in_minutes(0)).astimezone(ZoneInfo("America/Chicago")).date()
    expect(page.locator("#to")).to_have_value(today.isoformat())
    expect(page.locator("#from")).to_have_value((today - timedelta(days=6)).isoformat())
    charts = page.get_by_role("img")
    expect(charts).to_have_count(4)
    expect(page.get_by_role("img", name="Waits through the day")).to_be_visible()
    expect(page.get_by_role("img", name="Goal met, day by day")).to_be_visible()
    comments = page.locator("#table-comments table")
    expect(comments).to_contain_text("=1+1 quick and kind")  # shown as typed on the page; neutralised in CSV
    expect(page.locator("#table-hours thead")).to_contain_text("Walk-in")
    days = page.locator("#table-days tbody tr")
    expect(days.last.locator("td").nth(1)).to_have_text("2")  # this morning's two walk-ins
    expect(
        days.nth((friday - date.fromisoformat(page.locator("#from").input_value())).days).locator("td").nth(0)
    ).to_have_text(str(came))
    expect(page.locator("#table-waits")).to_contain_text("Blood draw")  # the service's name, not DRAW
    expect(page.locator("#table-waits")).not_to_contain_text("DRAW")
    assert axe_violations(page) == []
    screenshot(page, "reports")

    with page.expect_download() as download:
        page.locator("[data-csv='comments']").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "'=1+1 quick and kind" in text
    assert download.value.suggested_filename.startswith(f"schedq-site{served.site_id}-comments-")


def test_changing_the_days_shows_those_days_and_a_signed_in_console_is_signed_in_here(served, pages):
    a_morning(served)
    page = pages.open(f"{served.base}/staff/{served.site_id}?lang=es", width=1280, height=900)
    page.locator("#token").fill(served.tokens["staff"])
    page.locator("#token").press("Enter")
    page.locator("#token").wait_for(state="hidden")
    page.goto(f"{served.base}/staff/{served.site_id}/reports?lang=es")
    page.locator("body[data-loaded='true'] #chart-satisfaction svg").wait_for()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("img", name="Esperas a lo largo del día")).to_be_visible()
    page.locator("#from").fill("2026-01-05")
    page.locator("#to").fill("2026-01-06")
    page.get_by_role("button", name="Mostrar").click()
    page.locator("body[data-loaded='true'] #chart-satisfaction svg").wait_for()
    expect(page.locator("#table-comments")).to_contain_text("No hay comentarios en estos días.")
    expect(page.locator("#table-days tbody tr")).to_have_count(2)
    assert "from=2026-01-05" in page.url
    assert axe_violations(page) == []
    screenshot(page, "reports-es-empty")


def test_printed_reports_keep_the_charts_and_tables_and_drop_the_controls(served, pages):
    a_morning(served)
    page = pages.open(f"{served.base}/staff/{served.site_id}/reports", width=1280, height=900)
    sign_in(page, served)
    page.emulate_media(media="print")
    expect(page.locator("#range")).to_be_hidden()
    expect(page.locator("[data-csv='days']")).to_be_hidden()
    expect(page.locator("#range-printed")).to_be_visible()
    expect(page.get_by_role("img", name="Waits through the day")).to_be_visible()
    expect(page.locator("#table-days table")).to_be_visible()
