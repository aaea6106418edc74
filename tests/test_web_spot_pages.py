"""'When is best?' and 'Save my spot' as the server sends them: the site's walk-in services, the
page's language, a strict policy, and no cache for the page whose script receives a ticket token."""

from __future__ import annotations

import json
import re

import pytest

from schedq.services import sites
from tests.test_web_pages import INLINE_HANDLER, INLINE_SCRIPT

PAGES = ["/sites/{site}/best-times", "/sites/{site}/save-my-spot"]


def options(html: str) -> list[str]:
    return re.findall(r'<option value="([A-Z0-9]+)"', html)


@pytest.mark.parametrize("page", PAGES)
def test_the_pages_offer_the_walk_in_services_of_the_site_only(client, site, page):
    answer = client.get(page.format(site=site.site_id))
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert options(html) == ["DRAW", "PED", "UDS"]  # GTT is by appointment only
    assert re.search(r'<option value="DRAW" selected>', html)


@pytest.mark.parametrize("page", PAGES)
def test_a_service_asked_in_the_address_is_chosen_and_an_unknown_one_falls_back(client, site, page):
    asked = client.get(page.format(site=site.site_id) + "?service=UDS").get_data(as_text=True)
    assert re.search(r'<option value="UDS" selected>', asked)
    unknown = client.get(page.format(site=site.site_id) + "?service=GTT").get_data(as_text=True)
    assert re.search(r'<option value="DRAW" selected>', unknown)


@pytest.mark.parametrize("page", PAGES)
def test_the_pages_suit_the_strict_policy(client, site, page):
    answer = client.get(page.format(site=site.site_id))
    html = answer.get_data(as_text=True)
    assert INLINE_HANDLER.search(html) is None
    assert INLINE_SCRIPT.search(html) is None
    assert " style=" not in html
    assert "unsafe-inline" not in answer.headers["Content-Security-Policy"]


def test_the_save_page_is_kept_by_no_cache_and_the_week_is(client, site):
    assert client.get(f"/sites/{site.site_id}/save-my-spot").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get(f"/sites/{site.site_id}/best-times").headers.get("Cache-Control", "")


def test_the_pages_speak_spanish_when_asked(client, site, make_uow):
    sites.update_site(make_uow(), site_id=site.site_id, phone="+1 217 555 0100")
    week = client.get(f"/sites/{site.site_id}/best-times?lang=es").get_data(as_text=True)
    assert "¿Cuándo conviene ir?" in week and "Cada media hora en cifras" in week
    spot = client.get(f"/sites/{site.site_id}/save-my-spot?lang=es").get_data(as_text=True)
    assert "Guardar mi lugar" in spot and "En 30 minutos" in spot
    island = re.search(r'<script type="application/json" id="words">(.*?)</script>', spot, re.DOTALL)
    words = json.loads(island.group(1))  # the script's words, their placeholders kept for it
    assert words["limitPhone"].endswith("Podrá guardar otro {when}.")
    assert words["call"] == "También puede llamar a Riverside PSC al (217) 555-0100."


@pytest.mark.parametrize("page", PAGES)
def test_an_unknown_site_is_a_404(client, site, page):
    assert client.get(page.format(site=999)).status_code == 404


def test_a_patient_up_to_two_hours_away_can_say_when_they_will_arrive(client, site):
    html = client.get(f"/sites/{site.site_id}/save-my-spot").get_data(as_text=True)
    assert re.findall(r'name="arrival" value="(\d+)"', html) == ["15", "30", "45", "60", "90", "120"]
