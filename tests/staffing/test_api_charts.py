"""The what-if and staffing charts: the same questions as their tables, drawn on the server (issue 15, 3 and 4)."""

from __future__ import annotations

from xml.etree import ElementTree

from schedq.services import staffing as staffing_service

SVG = "{http://www.w3.org/2000/svg}"


def chart(client, site, role="staff", **query):
    return client.get(
        f"/api/v1/sites/{site.site_id}/what-if/chart.svg",
        query_string={"weekday": 0, **query},
        headers=site.headers(role),
    )


def words_of(root: ElementTree.Element) -> set[str]:
    return {e.text for e in root.iter(f"{SVG}text") if e.text}


def test_the_chart_shows_both_waits_against_the_target_in_english(client, fitted_site):
    answer = chart(client, fitted_site, missing_stations=1, lang="en")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(answer.get_data(as_text=True))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "what-if-chart-title what-if-chart-desc"
    assert root.find(f"{SVG}title").text == "How long 9 in 10 patients wait"
    assert "the target of 20 minutes" in root.find(f"{SVG}desc").text
    assert {"As planned", "With the change", "Target wait: 20 minutes", "07:00"} <= words_of(root)


def test_the_chart_speaks_spanish_when_asked(client, fitted_site):
    answer = chart(client, fitted_site, walk_in_cutoff="15:00", lang="es")
    assert answer.status_code == 200
    assert answer.headers["Content-Language"] == "es"
    root = ElementTree.fromstring(answer.get_data(as_text=True))
    title = root.find(f"{SVG}title").text
    assert title and title != "How long 9 in 10 patients wait"
    assert "20" in root.find(f"{SVG}desc").text
    assert "As planned" not in words_of(root)


def test_a_closed_day_is_said_on_the_chart(client, fitted_site):
    root = ElementTree.fromstring(
        chart(client, fitted_site, weekday=6, missing_stations=1).get_data(as_text=True)
    )
    assert "The site is closed that day." in words_of(root)


def test_the_chart_refuses_what_the_what_if_refuses(client, fitted_site):
    assert chart(client, fitted_site).status_code == 422  # no change asked
    assert chart(client, fitted_site, walk_in_cutoff="25:00").status_code == 422
    assert chart(client, fitted_site, weekday=7, missing_stations=1).status_code == 422
    assert chart(client, fitted_site, role="other_staff", missing_stations=1).status_code == 403
    assert chart(client, fitted_site, role="display", missing_stations=1).status_code == 403
    url = f"/api/v1/sites/{fitted_site.site_id}/what-if/chart.svg?weekday=0&missing_stations=1"
    assert client.get(url).status_code == 401
    admin = fitted_site.headers("admin")
    assert (
        client.get(
            "/api/v1/sites/999/what-if/chart.svg?weekday=0&missing_stations=1", headers=admin
        ).status_code
        == 404
    )


def test_the_table_and_then_its_chart_simulate_the_day_once(client, fitted_site, monkeypatch):
    runs = []
    simulate = staffing_service.what_if

    def counted(*args, **kwargs):
        runs.append(kwargs.get("missing_stations"))
        return simulate(*args, **kwargs)

    monkeypatch.setattr(staffing_service, "what_if", counted)
    query = {"weekday": 0, "missing_stations": 2}
    table = client.get(
        f"/api/v1/sites/{fitted_site.site_id}/what-if",
        query_string=query,
        headers=fitted_site.headers("staff"),
    )
    assert table.status_code == 200
    assert chart(client, fitted_site, **query).status_code == 200
    assert runs == [2]


def staffing_chart(client, site, role="staff", **query):
    return client.get(
        f"/api/v1/sites/{site.site_id}/staffing/chart.svg",
        query_string={"weekday": 1, **query},
        headers=site.headers(role),
    )


def test_the_staffing_chart_shows_stations_now_and_advised_in_the_language_asked(client, fitted_site):
    english = ElementTree.fromstring(staffing_chart(client, fitted_site, lang="en").get_data(as_text=True))
    assert english.get("role") == "img"
    assert english.find(f"{SVG}title").text == "Stations now and advised"
    assert "90% of patients within 20 minutes" in english.find(f"{SVG}desc").text
    assert {"Stations now", "Advised stations"} <= words_of(english)
    answer = staffing_chart(client, fitted_site, lang="es")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("image/svg+xml")
    spanish = ElementTree.fromstring(answer.get_data(as_text=True))
    assert spanish.find(f"{SVG}title").text not in (None, "Stations now and advised")
    assert "Stations now" not in words_of(spanish)


def test_the_staffing_chart_refuses_what_the_staffing_refuses(client, fitted_site):
    assert staffing_chart(client, fitted_site, weekday=7).status_code == 422
    assert staffing_chart(client, fitted_site, sla_percent=0).status_code == 422
    assert staffing_chart(client, fitted_site, role="other_staff").status_code == 403
    assert client.get(f"/api/v1/sites/{fitted_site.site_id}/staffing/chart.svg?weekday=1").status_code == 401
    admin = fitted_site.headers("admin")
    assert client.get("/api/v1/sites/999/staffing/chart.svg?weekday=1", headers=admin).status_code == 404
