"""The start page and a site's page as the server renders them, in English and Spanish."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from schedq.services import sites
from tests.test_api_nearby import HILLSIDE, RIVERSIDE, open_station


@pytest.fixture
def placed(site, make_uow):
    for site_id, (lat, lon) in ((site.site_id, RIVERSIDE), (site.other_site_id, HILLSIDE)):
        sites.update_site(make_uow(), site_id=site_id, latitude=lat, longitude=lon, phone="(217) 555-0100")
    return site


def page(client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200
    return html_lib.unescape(answer.get_data(as_text=True))


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_start_page_lists_every_site_with_its_status_and_wait_before_a_place_is_given(client, placed):
    open_station(client, placed)
    html = page(client, "/")
    words = text_of(html)
    assert "Where are you?" in words and "All sites" in words
    assert words.index("Hillside PSC") < words.index("Riverside PSC")
    assert "Walk-ins welcome until 12:00" in words or "until 12:00" in words
    assert "Blood draw" in words
    assert f'href="/sites/{placed.site_id}/book"' in html
    assert f'href="/sites/{placed.site_id}/save-my-spot"' in html
    assert f'href="/sites/{placed.site_id}/best-times?service=DRAW"' in html
    assert "Seen soonest" not in words


def test_a_typed_place_shows_the_sites_near_it_and_who_sees_you_soonest(client, placed):
    open_station(client, placed)
    open_station(client, placed, other=True)
    words = text_of(page(client, "/?near=62701"))
    assert "Sites near 62701 (Springfield, IL)." in words
    assert "straight-line distance at 30 km/h" in words
    assert words.index("Riverside PSC") < words.index("Hillside PSC", words.index("Sites near you"))
    assert re.search(r"Blood draw: Riverside PSC \. Travel and wait: .+? \(1 min of travel\)", words)
    assert re.search(r"\d+\.\d mi away, about \d+ min", words)


def test_an_unknown_place_is_answered_in_plain_words_and_the_sites_still_listed(client, placed):
    html = page(client, "/?near=Atlantis")
    words = text_of(html)
    assert "We do not know that place." in words and 'role="alert"' in html
    assert 'value="Atlantis"' in html
    assert "All sites" in words and "Riverside PSC" in words


def test_the_start_page_speaks_spanish(client, placed):
    open_station(client, placed)
    open_station(client, placed, other=True)
    html = page(client, "/?near=62701&lang=es")
    words = text_of(html)
    assert '<html lang="es">' in html
    assert "¿Adónde voy ahora?" in words and "¿Dónde está usted?" in words
    assert "Dónde lo atienden antes, por servicio" in words
    assert "distancia en línea recta a 30 km/h" in words
    assert "Pedir una cita" in words and "Guardar mi lugar en la fila" in words
    assert "Where should I go now?" not in words and "Book an appointment" not in words


def test_the_site_page_shows_status_wait_place_week_and_preparation(client, placed):
    open_station(client, placed)
    html = page(client, f"/sites/{placed.site_id}")
    words = text_of(html)
    assert "Riverside PSC" in words and "1200 River Road" in words
    assert "openstreetmap.org/?mlat=39.799" in html
    assert 'href="tel:+12175550100"' in html and "(217) 555-0100" in words
    assert "Monday 07:00–12:00 closed for lunch 13:00–17:00" in words
    assert "Saturday Closed" in words
    assert "Glucose tolerance (by appointment only) Fast 8 hours." in words
    assert "Urine drug screen Bring photo ID." in words
    assert "Walk-in wait now" in words and "Blood draw" in words
    assert f'href="/sites/{placed.site_id}/book"' in html


def test_the_site_page_speaks_spanish(client, placed):
    words = text_of(page(client, f"/sites/{placed.site_id}?lang=es"))
    assert "lunes 07:00–12:00 cerrado para almorzar 13:00–17:00" in words
    assert "Servicios y cómo prepararse" in words and "solo con cita" in words
    assert "Opening hours" not in words
