"""`GET /fhir/Appointment/{reference}`: the patient's own booking with its manage token, or the site's staff."""

from __future__ import annotations

import pytest

from tests.fhir.test_api_basics import outcome, valid

BODY = {
    "service": "DRAW",
    "starts_at": "2026-03-03T09:00:00-06:00",
    "contact": {"name": "Ann Example", "phone": "+1 201 555 0100"},
}


@pytest.fixture
def booked(client, site) -> dict:
    answer = client.post(f"/api/v1/sites/{site.site_id}/appointments", json=BODY)
    assert answer.status_code == 201
    return answer.json


def read(client, booked, **headers):
    return client.get(f"/fhir/Appointment/{booked['reference']}", headers=headers)


def test_patient_reads_their_appointment_with_the_manage_token(client, site, booked):
    answer = read(client, booked, **{"X-Patient-Token": booked["manage_token"]})
    assert answer.status_code == 200 and answer.mimetype == "application/fhir+json"
    appointment = valid(answer.json)
    assert appointment.id == booked["reference"] and appointment.status == "booked"
    assert answer.json["start"] == "2026-03-03T09:00:00-06:00"
    assert answer.json["end"] == "2026-03-03T09:15:00-06:00"
    assert answer.json["patientInstruction"] == "Drink water."
    assert answer.json["serviceType"][0]["coding"][0]["code"] == "DRAW"
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_token_may_come_as_a_query_parameter(client, booked):
    answer = client.get(f"/fhir/Appointment/{booked['reference']}?token={booked['manage_token']}")
    assert answer.status_code == 200


def test_participants_are_the_site_and_the_patient_by_name(client, site, booked):
    body = read(client, booked, **{"X-Patient-Token": booked["manage_token"]}).json
    actors = [p["actor"] for p in body["participant"]]
    assert actors == [
        {"reference": f"Location/site-{site.site_id}", "display": "Riverside PSC"},
        {"display": "Ann Example"},
    ]


def test_the_location_and_slot_it_refers_to_are_readable(client, site, booked):
    body = read(client, booked, **{"X-Patient-Token": booked["manage_token"]}).json
    for reference in [body["participant"][0]["actor"]["reference"], body["slot"][0]["reference"]]:
        answer = client.get(f"/fhir/{reference}")
        assert answer.status_code == 200, reference
        assert f"{answer.json['resourceType']}/{answer.json['id']}" == reference


def test_staff_of_the_site_read_it_with_their_api_token(client, site, booked):
    answer = read(client, booked, **site.headers("staff"))
    assert answer.status_code == 200 and answer.json["participant"][1]["actor"]["display"] == "Ann Example"
    assert read(client, booked, **site.headers("admin")).status_code == 200


def test_staff_of_another_site_and_display_screens_are_refused(client, site, booked):
    assert outcome(read(client, booked, **site.headers("other_staff")), 403)["code"] == "forbidden"
    assert outcome(read(client, booked, **site.headers("display")), 403)


def test_without_a_token_it_is_a_401_outcome(client, booked):
    answer = read(client, booked)
    assert outcome(answer, 401)["code"] == "login"
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_or_made_up_api_token_is_a_401(client, booked):
    answer = read(client, booked, Authorization="Bearer sq_not-a-token")
    assert outcome(answer, 401)["code"] == "login" and answer.headers["WWW-Authenticate"] == "Bearer"


def test_a_wrong_manage_token_answers_as_an_unknown_reference(client, booked):
    wrong = read(client, booked, **{"X-Patient-Token": "wrong"})
    unknown = client.get("/fhir/Appointment/ZZZZ-ZZZZ", headers={"X-Patient-Token": "wrong"})
    assert outcome(wrong, 404) == outcome(unknown, 404)


def test_cancelled_appointment_says_so_with_the_patients_reason(client, booked):
    client.post(
        f"/api/v1/appointments/{booked['reference']}/cancel",
        json={"reason": "feeling better"},
        headers={"X-Patient-Token": booked["manage_token"]},
    )
    body = read(client, booked, **{"X-Patient-Token": booked["manage_token"]}).json
    valid(body)
    assert body["status"] == "cancelled" and body["cancelationReason"] == {"text": "feeling better"}


@pytest.mark.parametrize(
    "schedq, fhir",
    [("checked_in", "arrived"), ("in_service", "arrived"), ("done", "fulfilled"), ("no_show", "noshow")],
)
def test_status_maps_to_fhir_appointment_status(client, site, booked, make_uow, schedq, fhir):
    from schedq.db.models import Appointment
    from schedq.domain.enums import AppointmentStatus

    with make_uow() as unit:
        appointment = unit.session.query(Appointment).filter_by(reference=booked["reference"]).one()
        appointment.status = AppointmentStatus(schedq)
        unit.commit()
    body = read(client, booked, **site.headers("staff")).json
    assert body["status"] == fhir
    valid(body)


def test_preparation_and_service_name_follow_the_language_asked(client, site, booked, make_uow):
    from schedq.services import sites

    sites.update_service(
        make_uow(), code="DRAW", translations={"es": {"name": "Extracción", "preparation": "Beba agua."}}
    )
    body = client.get(
        f"/fhir/Appointment/{booked['reference']}",
        headers={"X-Patient-Token": booked["manage_token"], "Accept-Language": "es"},
    ).json
    assert body["serviceType"][0]["text"] == "Extracción" and body["patientInstruction"] == "Beba agua."
    answer = client.get(f"/fhir/Appointment/{booked['reference']}?lang=es&token={booked['manage_token']}")
    assert answer.headers["Content-Language"] == "es" and "Accept-Language" in answer.headers["Vary"]


def test_patient_and_staff_reads_on_both_databases(backend, client, site, booked):
    assert read(client, booked, **{"X-Patient-Token": booked["manage_token"]}).json["status"] == "booked"
    assert read(client, booked, **site.headers("staff")).status_code == 200
