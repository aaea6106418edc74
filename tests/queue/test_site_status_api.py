"""The site status through the API: who may join when the site is closed, and what everyone reads.

The fixture site is open 07:00–12:00 and 13:00–17:00 (Chicago), walk-in cut-off 30 minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import MONDAY_8AM
from tests.queue.test_queue_api import API, kiosk_join, open_station, post

MONDAY_12_04 = datetime(2026, 3, 2, 18, 4, tzinfo=UTC)
TUESDAY_6_30 = datetime(2026, 3, 3, 12, 30, tzinfo=UTC)


def remote_join_at(client, site, arrival):
    body = {
        "service": "DRAW",
        "contact": {"name": "Remo Te", "phone": "+1 201 555 0100"},
        "expected_arrival_at": arrival,
    }
    return client.post(f"{API}/sites/{site.site_id}/remote-tickets", json=body)


def wait(client, site):
    return client.get(f"{API}/sites/{site.site_id}/wait").json


def book(client, site, starts_at):
    body = {"service": "DRAW", "starts_at": starts_at, "contact": {"name": "Ann", "phone": "+1 201 555 0100"}}
    answer = client.post(f"{API}/sites/{site.site_id}/appointments", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_join_in_the_lunch_closure_is_refused_saying_when_it_reopens(client, site, clock):
    clock.set(MONDAY_12_04)
    for answer in (kiosk_join(client, site), remote_join_at(client, site, "2026-03-02T12:30:00-06:00")):
        assert answer.status_code == 409
        assert answer.json["site_status"]["state"] == "midday_break"
        assert answer.json["site_status"]["reopens_at"] == "2026-03-02T13:00:00-06:00"
        assert answer.json["messages"] == {
            "en": "Closed for a midday break until 13:00.",
            "es": "Cerrado al mediodía hasta las 13:00.",
        }
        assert answer.json["message"] == answer.json["messages"]["en"]


def test_a_site_taking_walk_ins_over_lunch_counts_the_wait_from_reopening(client, site, clock):
    patched = client.patch(
        f"{API}/sites/{site.site_id}", json={"walk_ins_during_closure": True}, headers=site.headers("admin")
    )
    assert patched.status_code == 200 and patched.json["walk_ins_during_closure"] is True
    clock.set(MONDAY_12_04)
    open_station(client, site)
    answer = kiosk_join(client, site)
    assert answer.status_code == 201
    assert answer.json["estimate"]["message"]["en"].startswith("We reopen at 13:00. ")
    assert answer.json["estimate"]["message"]["en"].endswith("after that.")
    assert answer.json["estimate"]["message"]["es"].startswith("Volvemos a abrir a las 13:00. ")
    assert answer.json["site_status"]["walk_ins_accepted"] is True
    assert "the wait counts from 13:00" in wait(client, site)["status"]["message"]["en"]


def test_before_opening_walk_ins_wait_but_an_early_appointment_checks_in(client, site, clock):
    booked = book(client, site, "2026-03-03T07:30:00-06:00")
    clock.set(TUESDAY_6_30)
    summary = wait(client, site)
    assert summary["status"]["state"] == "opens_today" and summary["walk_ins_open"] is False
    assert summary["status"]["message"] == {"en": "Opens today at 07:00.", "es": "Abre hoy a las 07:00."}
    refused = kiosk_join(client, site)
    assert refused.status_code == 409 and refused.json["messages"]["en"] == "Opens today at 07:00."
    checked_in = post(
        client,
        site,
        f"/sites/{site.site_id}/check-ins",
        role="display",
        json={"reference": booked["reference"]},
    )
    assert checked_in.status_code == 201 and checked_in.json["kind"] == "appointment"
    assert checked_in.json["estimate"]["message"]["en"].startswith("We open at 07:00. ")
    assert checked_in.json["estimate"]["message"]["es"].startswith("Abrimos a las 07:00. ")


def test_a_late_appointment_arriving_in_the_lunch_closure_waits_for_reopening(client, site, clock):
    booked = book(client, site, "2026-03-02T11:45:00-06:00")
    clock.set(MONDAY_12_04)
    refused = client.post(
        f"{API}/appointments/{booked['reference']}/check-in",
        headers={"X-Patient-Token": booked["manage_token"]},
    )
    assert refused.status_code == 409 and refused.json["site_status"]["state"] == "midday_break"


def test_after_closing_the_wait_says_when_it_opens_not_to_ask_at_the_front_desk(client, site, clock):
    clock.set(datetime(2026, 3, 3, 2, 23, tzinfo=UTC))  # Monday 20:23
    summary = wait(client, site)
    assert summary["status"]["state"] == "opens_tomorrow"
    assert summary["status"]["next_opening_at"] == "2026-03-03T07:00:00-06:00"
    assert summary["walk_ins_message"] == {"en": "Opens tomorrow at 07:00.", "es": "Abre mañana a las 07:00."}
    for service in summary["services"]:
        assert service["estimate"]["message"] == summary["walk_ins_message"]


def test_after_friday_closing_it_names_monday(client, site, clock):
    clock.set(datetime(2026, 3, 7, 0, 0, tzinfo=UTC))  # Friday 18:00
    assert wait(client, site)["status"]["message"]["en"] == "Opens on Monday at 07:00."


def test_a_closed_date_says_closed_today_with_its_reason(client, site, clock):
    added = client.post(
        f"{API}/sites/{site.site_id}/closures",
        json={"day": "2026-03-03", "reason": "holiday"},
        headers=site.headers("admin"),
    )
    assert added.status_code == 201
    clock.set(MONDAY_8AM + timedelta(days=1, hours=1))
    status = wait(client, site)["status"]
    assert status["state"] == "closed_today" and status["closure_reason"] == "holiday"
    assert status["message"] == {
        "en": "Closed today (holiday). Opens tomorrow at 07:00.",
        "es": "Cerrado hoy (holiday). Abre mañana a las 07:00.",
    }
    assert kiosk_join(client, site).json["site_status"]["state"] == "closed_today"


def test_after_the_cut_off_no_more_walk_ins_today(client, site, clock):
    clock.set(MONDAY_8AM + timedelta(hours=8, minutes=40))
    refused = kiosk_join(client, site)
    assert refused.status_code == 409 and refused.json["site_status"]["state"] == "no_more_walk_ins"
    assert refused.json["messages"]["en"].startswith("No more walk-ins today")
    assert refused.json["messages"]["es"].startswith("Hoy ya no se atiende sin cita")


def test_a_refused_join_is_said_in_the_language_asked(client, site, clock):
    clock.set(MONDAY_8AM + timedelta(hours=8, minutes=40))
    refused = client.post(
        f"{API}/sites/{site.site_id}/tickets",
        json={"service": "DRAW"},
        headers={**site.headers("display"), "Accept-Language": "es-MX,es;q=0.9,en;q=0.5"},
    )
    assert refused.status_code == 409
    assert refused.json["message"].startswith("Hoy ya no se atiende sin cita")
    assert refused.headers["Content-Language"] == "es"


def test_staff_closing_the_day_is_the_status_everywhere(client, site):
    ticket = kiosk_join(client, site).json
    assert (
        post(client, site, f"/sites/{site.site_id}/close-day", json={"reason": "snow storm"}).status_code
        == 200
    )
    assert wait(client, site)["status"]["state"] == "closed_by_staff"
    display = client.get(f"{API}/sites/{site.site_id}/display").json
    assert display["status"]["state"] == "closed_by_staff"
    mine = client.get(f"{API}/tickets/{ticket['id']}", headers={"X-Patient-Token": ticket["token"]}).json
    assert mine["site_status"]["state"] == "closed_by_staff"
    refused = kiosk_join(client, site)
    assert (
        refused.status_code == 409
        and refused.json["messages"]["en"] == "Closed for the day. Opens tomorrow at 07:00."
    )


def test_the_lobby_never_tells_people_not_in_line_they_will_be_called(client, site, clock):
    clock.set(TUESDAY_6_30)
    display = client.get(f"{API}/sites/{site.site_id}/display").json
    assert display["status"]["state"] == "opens_today"
    assert display["estimate"]["message"] == {"en": "Opens today at 07:00.", "es": "Abre hoy a las 07:00."}
    clock.set(MONDAY_8AM + timedelta(days=1))
    open_station(client, site)
    display = client.get(f"{API}/sites/{site.site_id}/display").json
    assert display["status"]["state"] == "open"
    assert "called" not in display["estimate"]["message"]["en"]


def test_the_same_status_on_the_wait_display_ticket_and_best_times(client, site):
    ticket = kiosk_join(client, site).json
    summary = wait(client, site)["status"]
    display = client.get(f"{API}/sites/{site.site_id}/display").json["status"]
    mine = client.get(f"{API}/tickets/{ticket['id']}", headers={"X-Patient-Token": ticket["token"]}).json[
        "site_status"
    ]
    best = client.get(f"{API}/sites/{site.site_id}/best-times?service=DRAW").json
    assert summary == display == mine == best["status"]
    assert summary["state"] == "open" and summary["walk_ins_until"] == "2026-03-02T12:00:00-06:00"
    lunch = [h for h in best["half_hours"] if h["starts_at"] == "2026-03-02T12:00:00-06:00"]
    assert all(h["open_for_walk_ins"] is False for h in lunch)
