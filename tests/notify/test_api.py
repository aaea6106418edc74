"""Staff see each message's state and tries and can resend; the log sink's page; webhooks; unsubscribing by link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from schedq.db.models import LoggedMessage
from schedq.notify import delivery, preferences
from schedq.notify.log_sink import LogChannel
from schedq.notify.message import ChannelName
from tests.notify.helpers import EMAIL, PHONE, TUESDAY_9AM, book, rows

SETTINGS = delivery.Settings(public_url="https://schedq.example.org", secret_key="test-secret")


def _deliver(database, clock) -> None:
    channels = {ChannelName.LOG: LogChannel(database)}
    while delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w"):
        pass


def test_staff_see_the_delivery_state_and_tries_and_can_resend(site, client, make_uow, database, clock):
    booking = book(make_uow, site.site_id, sms=True, email=False)
    _deliver(database, clock)
    path = f"/api/v1/appointments/{booking.reference}/deliveries"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=site.headers("other_staff")).status_code == 403
    seen = client.get(path, headers=site.headers("staff")).json
    assert [(d["event"], d["channel"], d["recipient"], d["status"]) for d in seen] == [
        ("appointment.booked", "email", EMAIL, "opted_out"),
        ("appointment.booked", "sms", PHONE, "sent"),
    ]
    assert [(t["number"], t["channel"], t["outcome"]) for t in seen[1]["tries"]] == [(1, "log", "sent")]
    refused = client.post(f"/api/v1/deliveries/{seen[0]['id']}/resend", headers=site.headers("staff"))
    assert refused.status_code == 409
    again = client.post(f"/api/v1/deliveries/{seen[1]['id']}/resend", headers=site.headers("staff"))
    assert again.status_code == 201
    _deliver(database, clock)
    messages = client.get(f"/api/v1/sites/{site.site_id}/messages", headers=site.headers("staff")).json
    assert [(m["event"], m["channel"], m["recipient"]) for m in messages] == [
        ("appointment.booked", "sms", PHONE),
        ("appointment.booked", "sms", PHONE),
    ]
    assert (
        client.get(f"/api/v1/sites/{site.site_id}/messages", headers=site.headers("other_staff")).status_code
        == 403
    )


def test_the_messages_page_is_there_for_the_demo(site, client):
    page = client.get(f"/staff/{site.site_id}/messages")
    assert page.status_code == 200
    assert b"messages.js" in page.data and page.headers["Cache-Control"] == "no-store"


def test_webhook_endpoints_keep_the_secrets_name_only(site, client, make_uow):
    hooks = f"/api/v1/sites/{site.site_id}/webhooks"
    body = {"url": "https://ehr.example.org/hooks", "secret_env": "SCHEDQ_WEBHOOK_SECRET_EHR"}
    assert client.post(hooks, json=body, headers=site.headers("staff")).status_code == 403
    made = client.post(hooks, json=body, headers=site.headers("admin"))
    assert made.status_code == 201
    assert made.json["secret_env"] == "SCHEDQ_WEBHOOK_SECRET_EHR"
    refused = client.post(hooks, json={**body, "secret_env": "whsec_abc"}, headers=site.headers("admin"))
    assert refused.status_code == 422
    book(make_uow, site.site_id, sms=False, email=False)
    assert ("appointment.booked", "webhook", "https://ehr.example.org/hooks", "pending") in rows(make_uow)
    gone = client.delete(f"{hooks}/{made.json['id']}", headers=site.headers("admin"))
    assert gone.status_code == 204
    assert client.get(hooks, headers=site.headers("admin")).json == []


def test_unsubscribing_by_link_needs_the_button_not_just_the_visit(site, client, make_uow):
    book(make_uow, site.site_id, sms=True, email=True)
    token = preferences.unsubscribe_token("test-secret", EMAIL)
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and EMAIL.encode() not in page.data
    assert not preferences.is_unsubscribed(make_uow(write=False), EMAIL)
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    assert preferences.is_unsubscribed(make_uow(write=False), EMAIL)
    assert client.get(f"/unsubscribe/{token}x").status_code == 404
    assert client.post("/api/v1/unsubscribe", json={"token": "nope"}).status_code == 404
    phone_token = preferences.unsubscribe_token("test-secret", PHONE)
    assert client.post("/api/v1/unsubscribe", json={"token": phone_token}).json == {"unsubscribed": True}
    assert [status for *_, status in rows(make_uow)] == ["opted_out", "opted_out"]


def test_a_site_sets_its_quiet_hours(site, client):
    answer = client.patch(
        f"/api/v1/sites/{site.site_id}",
        json={"quiet_hours_start": "21:00", "quiet_hours_end": "08:00"},
        headers=site.headers("admin"),
    )
    assert answer.status_code == 200, answer.json
    assert (answer.json["quiet_hours_start"], answer.json["quiet_hours_end"]) == ("21:00", "08:00")


def test_the_first_sms_to_a_number_in_30_days_says_how_to_opt_out(site, make_uow, database, clock):
    def texts() -> list[str]:
        _deliver(database, clock)
        with make_uow(write=False) as uow:
            return list(
                uow.session.scalars(
                    select(LoggedMessage.text)
                    .where(LoggedMessage.channel == "sms")
                    .order_by(LoggedMessage.id)
                )
            )

    book(make_uow, site.site_id, sms=True, email=False)
    [first] = texts()
    book(make_uow, site.site_id, sms=True, email=False, at=TUESDAY_9AM + timedelta(minutes=15))
    second = texts()[-1]
    assert first.endswith("Reply STOP to opt out.") and "STOP" not in second

    clock.advance(days=31)
    book(make_uow, site.site_id, sms=True, email=False, at=TUESDAY_9AM + timedelta(minutes=30))
    assert texts()[-1].endswith("Reply STOP to opt out.")
