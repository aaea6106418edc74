"""Location, HealthcareService and Schedule reads and searches: valid R4 resources, the mapping layer's."""

from __future__ import annotations

import pytest

from tests.fhir.bulk_models import parsed
from tests.fhir.test_api_basics import outcome

BASE = "http://127.0.0.1:5000/fhir"


def bundle_of(answer) -> dict:
    """A valid searchset Bundle whose entries' fullUrls are their resources' URLs."""
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.json
    parsed(body)
    assert body["type"] == "searchset"
    for entry in body.get("entry", []):
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}/{resource['resourceType']}/{resource['id']}"
        assert entry["search"]["mode"] == "match"
    return body


def ids(body: dict) -> list[str]:
    return [e["resource"]["id"] for e in body.get("entry", [])]


def test_a_location_is_the_site_with_address_and_hours(client, site):
    answer = client.get(f"/fhir/Location/site-{site.site_id}")
    assert answer.status_code == 200
    location = parsed(answer.json)
    assert location.name == "Riverside PSC" and location.address.text == "1200 River Road"
    assert {d for h in answer.json["hoursOfOperation"] for d in h["daysOfWeek"]} == {
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    }


def test_location_search_lists_every_site_and_finds_one_by_id(client, site):
    assert ids(bundle_of(client.get("/fhir/Location"))) == [
        f"site-{site.site_id}",
        f"site-{site.other_site_id}",
    ]
    one = bundle_of(client.get(f"/fhir/Location?_id=site-{site.other_site_id}"))
    assert ids(one) == [f"site-{site.other_site_id}"] and one["total"] == 1


def test_location_search_by_state_finds_the_sites_of_that_state(client, site):
    answer = client.patch(
        f"/api/v1/sites/{site.site_id}", json={"state": "il"}, headers=site.headers("admin")
    )
    assert answer.status_code == 200, answer.json

    in_illinois = bundle_of(client.get("/fhir/Location?address-state=IL"))
    assert ids(in_illinois) == [f"site-{site.site_id}"]
    assert in_illinois["entry"][0]["resource"]["address"]["state"] == "IL"
    assert ids(bundle_of(client.get("/fhir/Location?address-state=ma,il"))) == [f"site-{site.site_id}"]
    assert bundle_of(client.get("/fhir/Location?address-state=MA"))["total"] == 0


def test_a_healthcare_service_carries_its_preparation_and_the_sites_offering_it(client, site):
    answer = client.get("/fhir/HealthcareService/uds")
    assert answer.status_code == 200
    parsed(answer.json)
    assert answer.json["extraDetails"] == "Bring photo ID."
    assert answer.json["location"] == [{"reference": f"Location/site-{site.site_id}"}]


def test_healthcare_service_search_is_one_per_catalogue_service(client, site):
    body = bundle_of(client.get("/fhir/HealthcareService"))
    assert sorted(ids(body)) == ["draw", "gtt", "ped", "uds"]
    assert ids(bundle_of(client.get("/fhir/HealthcareService?service-type=GTT"))) == ["gtt"]


def test_a_schedule_is_a_site_and_a_service_it_offers(client, site):
    answer = client.get(f"/fhir/Schedule/site-{site.site_id}-DRAW")
    assert answer.status_code == 200
    parsed(answer.json)
    assert answer.json["actor"][0]["reference"] == f"Location/site-{site.site_id}"
    assert outcome(client.get(f"/fhir/Schedule/site-{site.other_site_id}-UDS"), 404)


def test_a_schedule_read_carries_the_walk_in_wait_the_wait_endpoint_gives(client, site):
    schedule = client.get(f"/fhir/Schedule/site-{site.site_id}-DRAW").json

    (extension,) = schedule["extension"]
    parts = {p["url"]: p for p in extension["extension"]}
    wait = client.get(f"/api/v1/sites/{site.site_id}/wait").json
    estimate = next(s["estimate"] for s in wait["services"] if s["service"] == "DRAW")
    assert extension["url"] == "http://127.0.0.1:5000/fhir/StructureDefinition/walk-in-wait"
    assert parts["status"]["valueCoding"]["code"] == wait["status"]["state"] == "open"
    assert parts["p90"]["valueDuration"]["value"] == round(estimate["p90_minutes"])
    searched = bundle_of(client.get(f"/fhir/Schedule?_id=site-{site.site_id}-DRAW"))
    assert searched["entry"][0]["resource"]["extension"] == schedule["extension"]


def test_schedule_search_by_actor_and_service_type(client, site):
    at_site = bundle_of(client.get(f"/fhir/Schedule?actor=Location/site-{site.site_id}"))
    assert sorted(ids(at_site)) == [f"site-{site.site_id}-{c}" for c in ("DRAW", "GTT", "PED", "UDS")]
    draws = bundle_of(client.get("/fhir/Schedule?service-type=DRAW"))
    assert sorted(ids(draws)) == [f"site-{site.site_id}-DRAW", f"site-{site.other_site_id}-DRAW"]
    by_service = bundle_of(client.get("/fhir/Schedule?actor=HealthcareService/uds"))
    assert ids(by_service) == [f"site-{site.site_id}-UDS"]


def test_actor_values_of_both_kinds_are_ored(client, site):
    either = bundle_of(
        client.get(f"/fhir/Schedule?actor=Location/site-{site.other_site_id},HealthcareService/uds")
    )
    assert sorted(ids(either)) == [f"site-{site.site_id}-UDS", f"site-{site.other_site_id}-DRAW"]


def test_every_reference_in_a_schedule_bundle_is_readable(client, site):
    body = bundle_of(client.get("/fhir/Schedule"))
    references = {a["reference"] for e in body["entry"] for a in e["resource"]["actor"]}
    for reference in references:
        answer = client.get(f"/fhir/{reference}")
        assert answer.status_code == 200, reference
        parsed(answer.json)


@pytest.mark.parametrize(
    "path",
    [
        "/fhir/Location/site-999",
        "/fhir/Location/1",
        "/fhir/Location/site-99999999999",
        "/fhir/HealthcareService/nope",
        "/fhir/HealthcareService/DRAW",
        "/fhir/Schedule/site-1-NOPE",
        "/fhir/Slot/site-1-DRAW-20260303T0000Z",
        "/fhir/Slot/site-1-DRAW-20261399T9999Z",
    ],
)
def test_unknown_ids_are_a_404_outcome(client, site, path):
    assert outcome(client.get(path), 404)["code"] == "not-found"


def test_unknown_search_parameters_are_ignored_unless_strict(client, site):
    lenient = bundle_of(client.get("/fhir/Location?color=blue"))
    assert "color" not in lenient["link"][0]["url"] and lenient["total"] == 2
    strict = client.get("/fhir/Location?color=blue", headers={"Prefer": "handling=strict"})
    assert outcome(strict, 400)["expression"] == ["color"]


def test_metadata_lists_the_resources_and_their_search_parameters(client):
    statement = client.get("/fhir/metadata").json
    parsed(statement)
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(served) == {"Appointment", "HealthcareService", "Location", "Schedule", "Slot"}
    assert {p["name"] for p in served["Slot"]["searchParam"]} >= {"schedule", "start", "status", "_count"}
    assert statement["rest"][0]["operation"][0]["name"] == "bulk-publish"


def test_a_healthcare_service_carries_its_name_and_preparation_in_other_languages(client, site, make_uow):
    from schedq.services import sites

    sites.update_service(
        make_uow(),
        code="UDS",
        translations={"es": {"name": "Prueba de drogas", "preparation": "Traiga su ID."}},
    )
    body = client.get("/fhir/HealthcareService/uds").json
    parsed(body)
    [name] = body["_name"]["extension"]
    assert name["url"] == "http://hl7.org/fhir/StructureDefinition/translation"
    assert name["extension"] == [
        {"url": "lang", "valueCode": "es"},
        {"url": "content", "valueString": "Prueba de drogas"},
    ]
    assert body["_extraDetails"]["extension"][0]["extension"][1]["valueString"] == "Traiga su ID."
    assert "_name" not in client.get("/fhir/HealthcareService/draw").json
