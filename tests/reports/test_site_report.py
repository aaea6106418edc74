"""The site report against figures the test counts itself from the event history (README: "Reports")."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from datetime import datetime

import pytest

from schedq.services import sites
from tests.reports.conftest import (
    DASH_COMMENT,
    FORMULA_COMMENT,
    MONDAY,
    SLA_MINUTES,
    TUESDAY,
    WEDNESDAY,
    at,
)

pytestmark = pytest.mark.usefixtures("backend")

RANGE = {"from": MONDAY.isoformat(), "to": TUESDAY.isoformat()}


def events_of(client, site, day) -> list[dict]:
    answer = client.get(
        f"/api/v1/sites/{site.site_id}/events?date={day.isoformat()}", headers=site.headers("staff")
    )
    assert answer.status_code == 200
    return answer.get_json()


def minutes(later: str, earlier: datetime | str) -> float:
    first = datetime.fromisoformat(earlier) if isinstance(earlier, str) else earlier
    return (datetime.fromisoformat(later) - first).total_seconds() / 60


def expected_from_events(client, site, history) -> dict:
    """The figures, counted here from the events the API lists, with the test's own rules."""
    events = events_of(client, site, MONDAY) + events_of(client, site, TUESDAY)
    by_ticket = defaultdict(list)
    for event in events:
        if event["ticket_id"] is not None:
            by_ticket[event["ticket_id"]].append(event)
    waits, by_service, by_kind, target = {}, defaultdict(list), defaultdict(list), []
    outcomes = Counter()
    for visit in history.visits.values():
        mine = by_ticket[visit.id]
        joined = mine[0]["at"]
        start = datetime.fromisoformat(joined)
        if visit.appointment_at is not None:
            start = max(start, visit.appointment_at)
        last = [e["to_status"] for e in mine if e["to_status"]][-1]
        outcomes[last] += 1
        calls = [e for e in mine if e["action"] == "call"]
        if calls:
            wait = max(0.0, minutes(calls[0]["at"], start))
            waits[visit.id] = wait
            by_service[visit.service].append(wait)
            by_kind[visit.kind].append(wait)
            target.append(wait <= SLA_MINUTES)
        else:
            ended = [e for e in mine if e["to_status"] in ("left", "cancelled")][0]
            if minutes(ended["at"], start) > SLA_MINUTES:
                target.append(False)
    station_open = defaultdict(float)
    opened = {}
    for event in events:
        if event["action"] == "station_open":
            opened[event["station_id"]] = event["at"]
        elif event["action"] in ("station_close", "station_pause"):
            station_open[event["station_id"]] += minutes(event["at"], opened.pop(event["station_id"]))
    busy = defaultdict(float)
    for mine in by_ticket.values():
        for event, after in zip(mine, mine[1:]):
            if event["to_status"] in ("called", "in_service") and after["to_status"] not in (
                "called",
                "in_service",
            ):
                call = [e for e in mine if e["action"] == "call"][0]
                busy[call["station_id"]] += minutes(after["at"], call["at"])
    return {
        "waits": sorted(waits.values()),
        "by_service": by_service,
        "by_kind": by_kind,
        "target": target,
        "outcomes": outcomes,
        "open": station_open,
        "busy": busy,
    }


def p90(values):
    return statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]


def report(client, site, **query) -> dict:
    answer = client.get(
        f"/api/v1/sites/{site.site_id}/reports", query_string=query or RANGE, headers=site.headers("staff")
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_arrivals_by_kind_and_hour_count_every_join_and_check_in(client, site, history):
    body = report(client, site)
    kinds = Counter(v.kind for v in history.visits.values())
    assert body["summary"]["arrivals"] == len(history.visits) == 8
    assert body["summary"]["arrivals_by_kind"] == {k: kinds[k] for k in ("walk_in", "remote", "appointment")}
    hours = {row["hour"]: row["arrivals"] for row in body["hours"] if row["arrivals"]}
    events = events_of(client, site, MONDAY) + events_of(client, site, TUESDAY)
    joins = Counter(
        datetime.fromisoformat(e["at"]).hour for e in events if e["action"] in ("join", "check_in")
    )
    assert hours == dict(joins)


def test_outcomes_are_each_tickets_last_status(client, site, history):
    body = report(client, site)
    outcomes = expected_from_events(client, site, history)["outcomes"]
    assert body["summary"]["outcomes"] == {
        "served": outcomes["done"],
        "no_show": outcomes["no_show"],
        "left": outcomes["left"],
        "cancelled": outcomes["cancelled"],
        "in_line": 0,
    }
    assert (outcomes["done"], outcomes["no_show"], outcomes["left"], outcomes["cancelled"]) == (5, 1, 1, 1)


def test_waits_run_from_joining_or_the_appointment_time_to_the_first_call(client, site, history):
    body = report(client, site)
    expected = expected_from_events(client, site, history)
    waits = expected["waits"]
    assert waits == pytest.approx([1, 4, 5, 9, 21, 25])  # the early appointment waits from 10:00, not 09:45
    summary = body["summary"]["waits"]
    assert summary["count"] == len(waits)
    assert summary["p50_minutes"] == pytest.approx(statistics.median(waits), abs=0.05)
    assert summary["p90_minutes"] == pytest.approx(p90(waits), abs=0.05)
    assert summary["max_minutes"] == pytest.approx(max(waits), abs=0.05)
    rows = {(row["group"], row["name"]): row["waits"] for row in body["waits"]}
    for service, values in expected["by_service"].items():
        assert rows[("service", service)]["p50_minutes"] == pytest.approx(statistics.median(values), abs=0.05)
        assert rows[("service", service)]["max_minutes"] == pytest.approx(max(values), abs=0.05)
    for kind, values in expected["by_kind"].items():
        assert rows[("kind", kind)]["count"] == len(values)
        assert rows[("kind", kind)]["p90_minutes"] == pytest.approx(p90(values), abs=0.05)


def test_called_within_the_target_counts_those_who_gave_up_after_it(client, site, history):
    body = report(client, site)
    target = expected_from_events(client, site, history)["target"]
    # Called within 15: A, C, the appointment, Tuesday's walk-in; missed: D, E, and B who left after 38 minutes.
    assert (sum(target), len(target)) == (4, 7)
    assert body["target"] == {"minutes": SLA_MINUTES, "percent": 90}
    figures = body["summary"]["target"]
    assert (figures["within"], figures["counted"]) == (sum(target), len(target))
    assert figures["percent"] == pytest.approx(100 * 4 / 7, abs=0.05)
    assert figures["met"] is False
    days = {row["date"]: row["target"] for row in body["days"]}
    assert (days[MONDAY.isoformat()]["within"], days[MONDAY.isoformat()]["counted"]) == (3, 6)
    assert days[TUESDAY.isoformat()]["percent"] == 100.0 and days[TUESDAY.isoformat()]["met"] is True


def test_station_utilisation_is_busy_minutes_over_open_minutes(client, site, history):
    body = report(client, site)
    expected = expected_from_events(client, site, history)
    assert body["summary"]["open_minutes"] == pytest.approx(sum(expected["open"].values()), abs=0.05)
    assert body["summary"]["busy_minutes"] == pytest.approx(sum(expected["busy"].values()), abs=0.05)
    assert body["summary"]["utilisation_percent"] == pytest.approx(
        100 * sum(expected["busy"].values()) / sum(expected["open"].values()), abs=0.05
    )
    monday = {row["station"]: row for row in body["stations"] if row["date"] == MONDAY.isoformat()}
    assert monday["Station 1"]["open_minutes"] == 180 and monday["Station 2"]["open_minutes"] == 90
    assert monday["Station 2"]["busy_minutes"] == 15  # D, called 08:50, done 09:05


def test_stations_open_by_half_hour_average_the_days_a_station_opened(client, site, history):
    body = report(client, site)
    halves = {row["starts"]: row for row in body["half_hours"]}
    # 08:00–08:30: two stations on Monday, one on Tuesday.
    assert halves["08:00"]["stations_open"] == pytest.approx(1.5)
    assert halves["10:30"]["stations_open"] == pytest.approx(0.5)  # only Monday
    # A, B, C, D on Monday and K on Tuesday joined between 08:00 and 08:30.
    assert halves["08:00"]["arrivals"] == 5 and halves["08:00"]["arrivals_per_day"] == pytest.approx(2.5)


def test_promises_are_scored_by_the_accuracy_reports_rule(client, site, history):
    body = report(client, site)
    accuracy = client.get(
        f"/api/v1/sites/{site.site_id}/accuracy", query_string=RANGE, headers=site.headers("staff")
    ).get_json()
    overall = next(row for row in accuracy if row["service"] is None)
    mine = next(row for row in body["promises"] if row["service"] is None)
    assert mine["count"] == overall["count"] > 0
    assert mine["coverage_percent"] == pytest.approx(100 * overall["coverage"], abs=0.05)
    assert mine["past_top_percent"] == pytest.approx(100 * overall["past_p90"], abs=0.05)


def test_satisfaction_has_the_mean_the_spread_and_dated_comments(client, site, history):
    sat = report(client, site)["satisfaction"]
    assert sat["count"] == 3
    assert sat["mean_rating"] == pytest.approx((5 + 3 + 4) / 3, abs=0.005)
    assert sat["ratings"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert [(c["date"], c["comment"]) for c in sat["comments"]] == [
        (MONDAY.isoformat(), FORMULA_COMMENT),
        (TUESDAY.isoformat(), DASH_COMMENT),
    ]


def test_a_past_range_reads_the_same_after_more_activity_today(client, site, history, q, clock):
    clock.set(at(WEDNESDAY, 7))
    before = report(client, site)
    clock.set(at(WEDNESDAY, 8))
    q.open("Station 1", "Station 2")
    late = q.walk_in()
    clock.set(at(WEDNESDAY, 8, 30))
    q.call_next("Station 1")
    clock.set(at(WEDNESDAY, 9))  # the call runs past its no-show minutes: a no-show dated today
    after = report(client, site)
    assert after == before
    today = report(client, site, **{"from": WEDNESDAY.isoformat(), "to": WEDNESDAY.isoformat()})
    assert today["summary"]["arrivals"] == 1 and today["summary"]["outcomes"]["no_show"] == 1
    assert late.code == "A001"


def csv_rows(answer) -> list[dict]:
    text = answer.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_each_table_is_a_csv_file_a_spreadsheet_opens(client, site, history):
    answer = client.get(
        f"/api/v1/sites/{site.site_id}/reports.csv",
        query_string={**RANGE, "table": "days"},
        headers=site.headers("staff"),
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="schedq-site{site.site_id}-days-2026-03-02-2026-03-03.csv"'
    )
    rows = csv_rows(answer)
    assert [row["date"] for row in rows] == [MONDAY.isoformat(), TUESDAY.isoformat()]
    assert rows[0]["arrivals"] == "7" and rows[0]["wait_max_minutes"] == "25.0"
    assert rows[0]["within_target_percent"] == "50.0" and rows[0]["target_percent"] == "90"
    json_days = report(client, site)["days"]
    assert float(rows[1]["utilisation_percent"]) == json_days[1]["utilisation_percent"]


def test_comments_in_csv_are_never_taken_for_formulas(client, site, history):
    answer = client.get(
        f"/api/v1/sites/{site.site_id}/reports.csv",
        query_string={**RANGE, "table": "comments"},
        headers=site.headers("staff"),
    )
    rows = csv_rows(answer)
    assert [row["comment"] for row in rows] == ["'" + FORMULA_COMMENT, "'" + DASH_COMMENT]
    assert [row["rating"] for row in rows] == ["5", "4"]


def test_a_range_longer_than_366_days_or_backwards_is_refused(client, site):
    headers = site.headers("staff")
    url = f"/api/v1/sites/{site.site_id}/reports"
    too_long = client.get(url, query_string={"from": "2025-01-01", "to": "2026-01-02"}, headers=headers)
    assert too_long.status_code == 422
    assert "to" in too_long.get_json()["errors"]["query"]
    a_year = client.get(url, query_string={"from": "2024-01-01", "to": "2024-12-31"}, headers=headers)
    assert a_year.status_code == 200
    backwards = client.get(url, query_string={"from": "2026-03-03", "to": "2026-03-02"}, headers=headers)
    assert backwards.status_code == 422


def test_an_empty_range_has_zero_counts_and_no_figures(client, site):
    body = report(client, site, **{"from": "2026-02-01", "to": "2026-02-02"})
    assert body["summary"]["arrivals"] == 0
    assert body["summary"]["waits"]["p50_minutes"] is None
    assert body["summary"]["utilisation_percent"] is None
    assert [row["arrivals"] for row in body["days"]] == [0, 0]


def test_what_happened_this_very_minute_is_in_todays_report(client, site, q, clock):
    clock.set(at(WEDNESDAY, 8))
    q.walk_in()
    body = report(client, site, **{"from": WEDNESDAY.isoformat(), "to": WEDNESDAY.isoformat()})
    assert body["summary"]["arrivals"] == 1
    assert body["summary"]["outcomes"]["in_line"] == 1
    assert body["as_of"] == "2026-03-04T08:00:00-06:00"


def test_services_keep_their_code_and_are_named_in_the_language_asked(client, site, history, make_uow):
    sites.update_service(make_uow(), code="DRAW", translations={"es": {"name": "Extracción de sangre"}})
    spanish = {**site.headers("staff"), "Accept-Language": "es"}
    body = client.get(f"/api/v1/sites/{site.site_id}/reports", query_string=RANGE, headers=spanish).get_json()
    named = {row["name"]: row["service_name"] for row in body["waits"] if row["group"] == "service"}
    assert named == {"DRAW": "Extracción de sangre"}  # UDS was never called
    assert {row["service"]: row["service_name"] for row in body["promises"]}["DRAW"] == "Extracción de sangre"
    assert [c["service_name"] for c in body["satisfaction"]["comments"]] == ["Extracción de sangre"] * 2
    english = report(client, site)
    assert [c["service_name"] for c in english["satisfaction"]["comments"]] == ["Blood draw"] * 2
    answer = client.get(
        f"/api/v1/sites/{site.site_id}/reports.csv",
        query_string={**RANGE, "table": "comments"},
        headers=spanish,
    )
    assert [(row["service"], row["service_name"]) for row in csv_rows(answer)] == [
        ("DRAW", "Extracción de sangre")
    ] * 2
