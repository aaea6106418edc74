"""`POST /fhir/Appointment`: a FHIR client books a Slot it found, by the JSON API's booking rule."""

from __future__ import annotations

import pytest

from schedq.services import sites
from tests.fhir.test_api_basics import outcome, valid
from tests.fhir.test_api_resources import bundle_of

NINE = "2026-03-03T09:00:00-06:00"  # the site fixture's Tuesday; 2 seats a slot


def free_slot(client, site, start: str = NINE) -> dict:
    found = bundle_of(
        client.get(f"/fhir/Slot?schedule=Schedule/site-{site.site_id}-DRAW&start={start}&status=free")
    )
    assert found["total"] == 1, found
    return found["entry"][0]["resource"]


def appointment(slot_id: str, *, telecom: list[dict] | None = None, name: dict | None = None) -> dict:
    patient = {
        "resourceType": "Patient",
        "id": "patient",
        "name": [name or {"given": ["Ann"], "family": "Example"}],
        "telecom": [{"system": "phone", "value": "+1 201 555 0100"}] if telecom is None else telecom,
    }
    return {
        "resourceType": "Appointment",
        "status": "proposed",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "contained": [patient],
        "participant": [{"actor": {"reference": "#patient"}, "status": "needs-action"}],
    }


def book(client, body: dict, **headers):
    return client.post(
        "/fhir/Appointment", json=body, headers={"Content-Type": "application/fhir+json", **headers}
    )


def test_a_free_slot_found_by_search_is_booked_and_readable_with_the_token_returned(client, site):
    slot = free_slot(client, site)

    answer = book(client, appointment(slot["id"]))

    assert answer.status_code == 201 and answer.mimetype == "application/fhir+json"
    booked = valid(answer.json)
    assert booked.status == "booked" and answer.json["start"] == NINE
    assert answer.json["slot"] == [{"reference": f"Slot/{slot['id']}"}]
    assert answer.json["participant"][1]["actor"] == {"display": "Ann Example"}
    assert answer.headers["Location"].endswith(f"/fhir/Appointment/{booked.id}")
    token = answer.headers["X-Patient-Token"]
    again = client.get(f"/fhir/Appointment/{booked.id}", headers={"X-Patient-Token": token})
    assert again.status_code == 200 and again.json == answer.json
    # The same booking on the JSON API: same reference, contact kept in E.164.
    own = client.get(f"/api/v1/appointments/{booked.id}", headers={"X-Patient-Token": token}).json
    assert own["starts_at"] == NINE and own["service"] == "DRAW"


def test_the_seat_it_takes_is_the_json_apis_seat(client, site):
    for phone in ("+1 201 555 0100", "+1 201 555 0101"):
        assert (
            book(
                client,
                appointment(free_slot(client, site)["id"], telecom=[{"system": "sms", "value": phone}]),
            ).status_code
            == 201
        )

    assert (
        bundle_of(
            client.get(f"/fhir/Slot?schedule=Schedule/site-{site.site_id}-DRAW&start={NINE}&status=busy")
        )["total"]
        == 1
    )
    full = book(client, appointment(f"site-{site.site_id}-DRAW-20260303T1500Z"))
    assert outcome(full, 409)["code"] == "conflict"


def test_a_retry_with_the_same_idempotency_key_returns_the_first_booking(client, site):
    body = appointment(free_slot(client, site)["id"])

    first = book(client, body, **{"Idempotency-Key": "fhir-retry-1"})
    second = book(client, body, **{"Idempotency-Key": "fhir-retry-1"})

    assert first.status_code == second.status_code == 201
    assert second.json["id"] == first.json["id"] and second.headers["Idempotent-Replayed"] == "true"
    assert free_slot(client, site)["extension"]  # one seat of two is still free


@pytest.mark.parametrize(
    ("change", "status", "expression"),
    [
        (lambda body: body.update(status="cancelled"), 422, "Appointment.status"),
        (lambda body: body.update(slot=[]), 422, "Appointment.slot"),
        (lambda body: body.update(slot=[{"reference": "Slot/elsewhere-1"}]), 422, "Appointment.slot[0]"),
        (lambda body: body.update(participant=[]), 422, "Appointment.participant"),
        (lambda body: body["contained"][0].update(telecom=[]), 422, "Appointment.contained[0]"),
        (
            lambda body: body["contained"][0].update(telecom=[{"system": "phone", "value": "12"}]),
            422,
            "Appointment.contained[0]",
        ),
        (lambda body: body["contained"][0].update(name=[]), 422, "Appointment.contained[0]"),
    ],
)
def test_an_appointment_it_cannot_book_is_an_outcome_naming_the_element(
    client, site, change, status, expression
):
    body = appointment(free_slot(client, site)["id"])
    change(body)

    issue = outcome(book(client, body), status)

    assert issue["expression"] == [expression]
    assert free_slot(client, site)  # nothing was booked


def test_a_slot_of_a_site_number_past_any_id_is_a_422_on_either_database(backend, client, site):
    issue = outcome(book(client, appointment("site-9999999999-DRAW-20260303T1500Z")), 422)
    assert issue["expression"] == ["Appointment.slot[0]"]


def test_a_slot_named_by_its_absolute_url_is_booked(client, site):
    slot = free_slot(client, site)
    body = appointment(slot["id"])
    body["slot"] = [{"reference": f"http://127.0.0.1:5000/fhir/Slot/{slot['id']}"}]
    assert book(client, body).status_code == 201


def test_a_slot_in_the_past_or_not_of_the_schedule_is_refused(client, site):
    past = outcome(book(client, appointment(f"site-{site.site_id}-DRAW-20260301T1500Z")), 422)
    off_grid = outcome(book(client, appointment(f"site-{site.site_id}-DRAW-20260303T1507Z")), 422)
    assert "past" in past["diagnostics"] and "start of a slot" in off_grid["diagnostics"]
    assert outcome(book(client, appointment("site-999999-DRAW-20260303T1500Z")), 404)["code"] == "not-found"


def test_a_body_that_is_not_an_appointment_is_a_400(client):
    assert outcome(book(client, {"resourceType": "Patient"}), 400)["code"] == "structure"
    answer = client.post(
        "/fhir/Appointment", data=b"not json", headers={"Content-Type": "application/fhir+json"}
    )
    assert outcome(answer, 400)


def test_the_name_may_be_given_as_text(client, site):
    answer = book(client, appointment(free_slot(client, site)["id"], name={"text": "José Núñez"}))
    assert answer.status_code == 201 and answer.json["participant"][1]["actor"]["display"] == "José Núñez"


def test_a_service_whose_code_has_an_underscore_is_read_and_booked_by_its_ids(client, site, make_uow):
    # Ids write a code's `_` as `-` (FHIR ids hold no `_`); every read and the booking read it back.
    sites.create_service(make_uow(), code="BLOOD_DRAW", name="Blood draw, fasting", default_minutes=6.0)
    sites.create_station(make_uow(), site_id=site.site_id, name="Station 4", service_codes=["BLOOD_DRAW"])
    schedule = f"site-{site.site_id}-BLOOD-DRAW"

    assert client.get("/fhir/HealthcareService/blood-draw").json["name"] == "Blood draw, fasting"
    assert client.get(f"/fhir/Schedule/{schedule}").json["id"] == schedule
    found = bundle_of(client.get(f"/fhir/Slot?schedule=Schedule/{schedule}&start={NINE}&status=free"))
    assert found["total"] == 1, found
    slot_id = found["entry"][0]["resource"]["id"]
    assert client.get(f"/fhir/Slot/{slot_id}").json["schedule"] == {"reference": f"Schedule/{schedule}"}

    answer = book(client, appointment(slot_id))

    assert answer.status_code == 201, answer.json
    token = answer.headers["X-Patient-Token"]
    own = client.get(f"/api/v1/appointments/{valid(answer.json).id}", headers={"X-Patient-Token": token}).json
    assert own["starts_at"] == NINE and own["service"] == "BLOOD_DRAW"
