"""The booking and manage pages as the server sends them: what they offer, and no secret in them."""

from __future__ import annotations

import re

from tests.test_web_pages import INLINE_HANDLER, INLINE_SCRIPT


def test_the_booking_page_offers_the_bookable_services_the_site_does_with_their_preparation(client, site):
    answer = client.get(f"/sites/{site.site_id}/book")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    offered = re.findall(r'name="service" id="service-([A-Z0-9_]+)"', html)
    assert offered == ["DRAW", "GTT", "UDS"]  # PED is not bookable
    assert 'data-preparation="Drink water."' in html
    assert 'data-first-day="2026-03-02"' in html  # the site's today by the app's clock, Monday 08:00


def test_the_booking_page_of_an_unknown_site_is_a_404(client, site):
    assert client.get("/sites/999/book").status_code == 404


def test_the_manage_page_is_never_cached_and_renders_nothing_of_the_appointment(client, site):
    booked = client.post(
        f"/api/v1/sites/{site.site_id}/appointments",
        json={
            "service": "DRAW",
            "starts_at": "2026-03-03T09:00:00-06:00",
            "contact": {"name": "Ann Privateperson", "phone": "+1 201 555 0142"},
        },
    ).json
    answer = client.get(f"/booking/{booked['reference']}?token={booked['manage_token']}")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    html = answer.get_data(as_text=True)
    for secret in (booked["manage_token"], "Privateperson", "5550142", "Drink water", "09:00"):
        assert secret not in html


def test_the_booking_pages_run_no_inline_script(client, site):
    for page in (f"/sites/{site.site_id}/book", "/booking/ABCD-EFGH"):
        html = client.get(page).get_data(as_text=True)
        assert INLINE_HANDLER.search(html) is None
        assert INLINE_SCRIPT.search(html) is None
        assert " style=" not in html
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            answer = client.get(asset)
            assert answer.status_code == 200, asset
            answer.close()


def test_the_booking_pages_speak_spanish(client, site):
    assert "Reservar esta cita" in client.get(f"/sites/{site.site_id}/book?lang=es").get_data(as_text=True)
    assert "¿Por qué cancela?" in client.get("/booking/ABCD-EFGH?lang=es").get_data(as_text=True)
