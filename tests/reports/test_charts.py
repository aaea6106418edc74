"""The report's charts: SVG a page can hold inline under its Content-Security-Policy (README: "Reports")."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from schedq.web import charts
from tests.reports.conftest import MONDAY, TUESDAY

SVG = "{http://www.w3.org/2000/svg}"
TEXT = charts.ChartText(
    title="Waits", x_label="Time", y_label="Minutes", description="What it shows.", empty="None"
)


def parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def test_a_chart_is_an_image_named_by_its_title_and_description():
    root = parsed(charts.line_chart("w", TEXT, ["07:00", "07:30"], [charts.Series("p50", [3, 4])], target=15))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "w-title w-desc"
    assert root.find(f"{SVG}title").text == "Waits"
    assert root.find(f"{SVG}desc").text == "What it shows."


def test_a_chart_scales_and_holds_no_style_the_pages_policy_would_block():
    svg = charts.day_chart(
        "d",
        TEXT,
        ["03-02", "03-03"],
        [95.0, 40.0],
        target=90,
        label="met",
        target_label="goal",
        missed_label="missed",
    )
    root = parsed(svg)
    assert root.get("width") is None and root.get("height") is None and root.get("viewBox")
    assert "style=" not in svg and f"{SVG}style" not in {e.tag for e in root.iter()}
    assert all(e.get("id", "d-").startswith("d-") for e in root.iter())


def test_text_stays_text_in_the_words_given():
    svg = charts.bar_chart(
        "a",
        TEXT,
        ["08:00", "08:30"],
        charts.Series("Pacientes", [2, 3]),
        steps=charts.Series("Puestos", [1, 2]),
    )
    words = {e.text for e in parsed(svg).iter(f"{SVG}text")}
    assert {"Waits", "Time", "Minutes", "Pacientes", "Puestos", "08:00"} <= words


def test_an_empty_chart_says_so():
    svg = charts.step_chart("s", TEXT, ["08:00"], charts.Series("Stations", [None]))
    assert "None" in {e.text for e in parsed(svg).iter(f"{SVG}text")}


@pytest.mark.parametrize("chart", ["waits", "arrivals", "target", "satisfaction"])
def test_each_report_chart_is_served_in_the_language_asked(client, site, history, chart):
    answer = client.get(
        f"/api/v1/sites/{site.site_id}/reports/chart.svg",
        query_string={"from": MONDAY.isoformat(), "to": TUESDAY.isoformat(), "chart": chart, "lang": "es"},
        headers=site.headers("staff"),
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("image/svg+xml")
    root = parsed(answer.get_data(as_text=True))
    assert root.get("role") == "img" and root.find(f"{SVG}title").text
    assert root.get("aria-labelledby") == f"chart-{chart}-title chart-{chart}-desc"


@pytest.mark.parametrize(("language", "monday"), [("en", "Mar 2"), ("es", "2 mar")])
def test_the_day_charts_name_days_as_the_pages_language_writes_them(client, site, history, language, monday):
    for chart in ("target", "satisfaction"):
        answer = client.get(
            f"/api/v1/sites/{site.site_id}/reports/chart.svg",
            query_string={
                "from": MONDAY.isoformat(),
                "to": TUESDAY.isoformat(),
                "chart": chart,
                "lang": language,
            },
            headers=site.headers("staff"),
        )
        words = {e.text for e in parsed(answer.get_data(as_text=True)).iter(f"{SVG}text")}
        assert monday in words and "03-02" not in words
