"""Booking through the API, as a patient's browser or app does it."""

from __future__ import annotations

from icalendar import Calendar

BODY = {
    "service": "DRAW",
    "starts_at": "2026-03-03T09:00:00-06:00",
    "contact": {"name": "Ann Example", "phone": "+1 201 555 0100"},
}


def book(client, site, body=BODY, **headers):
    return client.post(f"/api/v1/sites/{site.site_id}/appointments", json=body, headers=headers)


def test_slots_are_listed_in_local_time_with_offsets(client, site):
    answer = client.get(f"/api/v1/sites/{site.site_id}/slots?service=DRAW&from=2026-03-03")
    assert answer.status_code == 200
    first = answer.json["slots"][0]
    assert first == {
        "starts_at": "2026-03-03T07:00:00-06:00",
        "ends_at": "2026-03-03T07:15:00-06:00",
        "seats": 2,
        "remaining": 2,
    }
    assert answer.json["timezone"] == "America/Chicago"


def test_booking_returns_reference_and_manage_token(client, site):
    answer = book(client, site)
    assert answer.status_code == 201
    assert len(answer.json["reference"]) == 9 and answer.json["manage_token"]
    assert answer.json["starts_at"] == "2026-03-03T09:00:00-06:00"
    assert answer.json["preparation"] == "Drink water."


def test_retried_booking_with_same_idempotency_key_replays_the_answer(client, site):
    first = book(client, site, **{"Idempotency-Key": "k-123"})
    again = book(client, site, **{"Idempotency-Key": "k-123"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    day = client.get(
        f"/api/v1/sites/{site.site_id}/appointments?date=2026-03-03", headers=site.headers("staff")
    ).json
    assert len(day) == 1


def test_patient_manages_their_appointment_with_the_token(client, site):
    booked = book(client, site).json
    ref, token = booked["reference"], booked["manage_token"]
    assert client.get(f"/api/v1/appointments/{ref}").status_code == 401
    assert client.get(f"/api/v1/appointments/{ref}", headers={"X-Patient-Token": "wrong"}).status_code == 404
    assert client.get(f"/api/v1/appointments/{ref}?token={token}").json["status"] == "booked"
    moved = client.post(
        f"/api/v1/appointments/{ref}/reschedule",
        json={"starts_at": "2026-03-03T10:30:00-06:00"},
        headers={"X-Patient-Token": token},
    )
    assert moved.status_code == 200 and moved.json["starts_at"] == "2026-03-03T10:30:00-06:00"
    cancelled = client.post(f"/api/v1/appointments/{ref}/cancel", headers={"X-Patient-Token": token})
    assert cancelled.json["status"] == "cancelled"
    again = client.post(
        f"/api/v1/appointments/{ref}/reschedule",
        json={"starts_at": "2026-03-03T10:45:00-06:00"},
        headers={"X-Patient-Token": token},
    )
    assert again.status_code == 409


def test_full_slot_answers_409_in_words(client, site):
    book(client, site)
    book(client, site)
    full = book(client, site)
    assert full.status_code == 409 and "full" in full.json["message"]


def test_calendar_file_carries_time_address_and_preparation(client, site):
    booked = book(client, site).json
    answer = client.get(
        f"/api/v1/appointments/{booked['reference']}/calendar.ics?token={booked['manage_token']}"
    )
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    assert b"\r\n" in answer.data
    event = Calendar.from_ical(answer.data).walk("VEVENT")[0]
    assert event.decoded("dtstart").isoformat() == "2026-03-03T15:00:00+00:00"
    assert "1200 River Road" in str(event["location"])
    assert "Drink water." in str(event["description"])
    assert str(event["uid"]) == f"{booked['reference']}@schedq"


def test_opt_ins_to_messages_are_kept_with_the_booking(client, site):
    body = {
        **BODY,
        "contact": {**BODY["contact"], "email": "ann@example.org"},
        "notify_sms": True,
        "notify_email": False,
    }
    booked = book(client, site, body).json
    assert (booked["notify_sms"], booked["notify_email"]) == (True, False)
    seen = client.get(
        f"/api/v1/appointments/{booked['reference']}", headers={"X-Patient-Token": booked["manage_token"]}
    ).json
    assert (seen["notify_sms"], seen["notify_email"]) == (True, False)
    assert book(client, site, {**BODY, "starts_at": "2026-03-03T10:00:00-06:00"}).json["notify_sms"] is False


def test_an_opt_in_needs_the_address_it_would_use(client, site):
    no_email = book(client, site, {**BODY, "notify_email": True})
    assert no_email.status_code == 422 and "notify_email" in no_email.json["errors"]["json"]
    no_phone = book(
        client, site, {**BODY, "contact": {"name": "Ann", "email": "a@example.org"}, "notify_sms": True}
    )
    assert no_phone.status_code == 422 and "notify_sms" in no_phone.json["errors"]["json"]
    assert book(client, site, {**BODY, "notify_sms": "yes"}).status_code == 422


def test_a_retry_with_other_opt_ins_is_not_taken_for_the_same_booking(client, site):
    first = book(client, site, **{"Idempotency-Key": "opt-1"})
    assert first.status_code == 201
    other = book(client, site, {**BODY, "notify_sms": True}, **{"Idempotency-Key": "opt-1"})
    assert other.status_code == 409


def test_cancel_keeps_the_patients_reason_for_staff(client, site):
    booked = book(client, site).json
    patient = {"X-Patient-Token": booked["manage_token"]}
    cancelled = client.post(
        f"/api/v1/appointments/{booked['reference']}/cancel",
        json={"reason": "  The time does not suit me: I have to work  "},
        headers=patient,
    )
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["cancel_reason"] == "The time does not suit me: I have to work"
    again = client.post(
        f"/api/v1/appointments/{booked['reference']}/cancel", json={"reason": "changed"}, headers=patient
    )
    assert again.json["cancel_reason"] == "The time does not suit me: I have to work"
    day = client.get(
        f"/api/v1/sites/{site.site_id}/appointments?date=2026-03-03", headers=site.headers("staff")
    ).json
    assert [(a["status"], a["cancel_reason"]) for a in day] == [
        ("cancelled", "The time does not suit me: I have to work")
    ]


def test_cancel_without_a_body_or_with_an_empty_one_still_cancels(client, site):
    for body in (None, {}):
        booked = book(client, site).json
        answer = client.post(
            f"/api/v1/appointments/{booked['reference']}/cancel",
            json=body,
            headers={"X-Patient-Token": booked["manage_token"]},
        )
        assert answer.status_code == 200, answer.json
        assert answer.json["status"] == "cancelled" and answer.json["cancel_reason"] is None


def test_a_cancel_reason_is_plain_text_of_bounded_length(client, site):
    booked = book(client, site).json
    patient = {"X-Patient-Token": booked["manage_token"]}
    for reason in ("x" * 501, "a\u202eb", 12):
        answer = client.post(
            f"/api/v1/appointments/{booked['reference']}/cancel", json={"reason": reason}, headers=patient
        )
        assert answer.status_code == 422 and "reason" in answer.json["errors"]["json"]
    assert (
        client.get(f"/api/v1/appointments/{booked['reference']}", headers=patient).json["status"] == "booked"
    )
