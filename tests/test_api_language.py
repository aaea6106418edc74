"""A public read speaks the language asked of it, and says which (README: Languages)."""

from __future__ import annotations

from tests.queue.test_queue_api import API, call_next, kiosk_join, open_station


def test_a_public_read_states_its_language_and_varies_on_accept_language(client, site):
    english = client.get(f"{API}/sites/{site.site_id}/wait", headers={"Accept-Language": "en-US,en;q=0.9"})
    spanish = client.get(f"{API}/sites/{site.site_id}/wait", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert english.headers["Content-Language"] == "en" and spanish.headers["Content-Language"] == "es"
    assert "Accept-Language" in spanish.headers["Vary"]
    assert english.headers["ETag"] != spanish.headers["ETag"], "a cache keeps one answer per language"


def test_the_lang_query_wins_and_an_unknown_language_falls_back_to_english(client, site):
    asked = client.get(f"{API}/sites/{site.site_id}/wait?lang=es", headers={"Accept-Language": "en"})
    assert asked.headers["Content-Language"] == "es"
    unknown = client.get(f"{API}/sites/{site.site_id}/wait", headers={"Accept-Language": "tlh"})
    assert unknown.headers["Content-Language"] == "en"


def test_an_etag_from_one_language_is_not_a_304_in_another(client, site):
    english = client.get(f"{API}/sites/{site.site_id}/display", headers={"Accept-Language": "en"})
    again = client.get(
        f"{API}/sites/{site.site_id}/display",
        headers={"Accept-Language": "es", "If-None-Match": english.headers["ETag"]},
    )
    assert again.status_code == 200 and again.headers["Content-Language"] == "es"


# Names per language, set by admins ----------------------------------------------------

SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}


def set_spanish_names(client, site):
    draw = client.patch(
        f"{API}/services/DRAW",
        json={"translations": {"es": {"name": "Análisis de sangre", "preparation": "Beba agua."}}},
        headers=site.headers("admin"),
    )
    assert draw.status_code == 200, draw.json
    assert draw.json["translations"] == {"es": {"name": "Análisis de sangre", "preparation": "Beba agua."}}
    station = client.patch(
        f"{API}/stations/{site.station_ids['Station 1']}",
        json={"translations": {"es": {"name": "Estación 1"}}},
        headers=site.headers("admin"),
    )
    assert station.status_code == 200, station.json


def test_a_name_in_a_language_schedq_does_not_speak_is_refused(client, site):
    answer = client.patch(
        f"{API}/services/DRAW",
        json={"translations": {"tlh": {"name": "Iw"}}},
        headers=site.headers("admin"),
    )
    assert answer.status_code == 422
    assert "translations" in answer.json["errors"]["json"]


def test_the_wait_names_services_in_the_language_asked_with_english_otherwise(client, site):
    set_spanish_names(client, site)
    url = f"{API}/sites/{site.site_id}/wait"
    spanish = {s["service"]: s["service_name"] for s in client.get(url, headers=SPANISH).json["services"]}
    english = {s["service"]: s["service_name"] for s in client.get(url).json["services"]}
    assert spanish["DRAW"] == "Análisis de sangre" and english["DRAW"] == "Blood draw"
    assert spanish["UDS"] == "Urine drug screen", "no Spanish name set: the English one"


def test_the_display_feed_and_the_ticket_name_the_station_in_the_language_asked(client, site):
    set_spanish_names(client, site)
    ticket = kiosk_join(client, site).json
    open_station(client, site)
    call_next(client, site)
    feed = client.get(f"{API}/sites/{site.site_id}/display", headers=SPANISH).json
    assert feed["now_called"][0]["station"] == "Estación 1"
    assert feed["recent_calls"][0]["station"] == "Estación 1" and feed["stations_open"] == ["Estación 1"]
    assert client.get(f"{API}/sites/{site.site_id}/display").json["now_called"][0]["station"] == "Station 1"
    status = client.get(
        f"{API}/tickets/{ticket['id']}", headers={**SPANISH, "X-Patient-Token": ticket["token"]}
    )
    assert status.json["station"] == "Estación 1" and status.json["service_name"] == "Análisis de sangre"


def test_a_call_on_the_display_names_its_station_in_each_display_language_to_be_announced(client, site):
    set_spanish_names(client, site)
    kiosk_join(client, site)
    open_station(client, site)
    call_next(client, site)
    called = client.get(f"{API}/sites/{site.site_id}/display").json["now_called"][0]
    assert called["station_names"] == {"en": "Station 1", "es": "Estación 1"}


def test_a_name_set_later_reaches_a_read_kept_before(client, site):
    url = f"{API}/sites/{site.site_id}/wait"
    before = client.get(url, headers=SPANISH)
    named = client.patch(
        f"{API}/services/DRAW",
        json={"translations": {"es": {"name": "Análisis de sangre"}}},
        headers=site.headers("admin"),
    )
    assert named.status_code == 200
    after = client.get(url, headers={**SPANISH, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert {s["service"]: s["service_name"] for s in after.json["services"]}["DRAW"] == "Análisis de sangre"


def test_an_empty_language_removes_its_names(client, site):
    set_spanish_names(client, site)
    cleared = client.patch(
        f"{API}/services/DRAW", json={"translations": {"es": {}}}, headers=site.headers("admin")
    )
    assert cleared.status_code == 200 and cleared.json["translations"] == {}
    services = client.get(f"{API}/sites/{site.site_id}/wait", headers=SPANISH).json["services"]
    assert {s["service"]: s["service_name"] for s in services}["DRAW"] == "Blood draw"


def test_a_sites_page_in_spanish_shows_the_spanish_names_and_preparation(client, site):
    set_spanish_names(client, site)
    page = client.get(f"/sites/{site.site_id}?lang=es").get_data(as_text=True)
    assert "Análisis de sangre" in page and "Beba agua." in page
    assert "Bring photo ID." in page, "no Spanish preparation set: the English one"
