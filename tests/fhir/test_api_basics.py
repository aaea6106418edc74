"""The FHIR API's frame: the CapabilityStatement, content types, and every error as an OperationOutcome."""

from __future__ import annotations

import pytest

from tests.fhir.bulk_models import parsed as valid


def outcome(answer, status: int) -> dict:
    """The answer is an OperationOutcome with this status, in FHIR JSON."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/fhir+json"
    assert answer.json["resourceType"] == "OperationOutcome"
    valid(answer.json)
    return answer.json["issue"][0]


def test_metadata_is_a_valid_r4_capability_statement(client):
    answer = client.get("/fhir/metadata")
    assert answer.status_code == 200 and answer.mimetype == "application/fhir+json"
    statement = valid(answer.json)
    assert statement.fhirVersion == "4.0.1" and statement.kind == "instance"
    assert "application/fhir+json" in statement.format


def test_metadata_names_every_resource_it_serves_with_its_interactions(client):
    served = {
        r["type"]: {i["code"] for i in r["interaction"]}
        for r in client.get("/fhir/metadata").json["rest"][0]["resource"]
    }
    assert served["Appointment"] == {"read", "create"}


def test_plain_json_is_answered_as_asked(client):
    answer = client.get("/fhir/metadata", headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert client.get("/fhir/metadata?_format=json").mimetype == "application/fhir+json"


def test_a_browser_gets_json_not_an_html_page(client):
    answer = client.get("/fhir/metadata", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert answer.status_code == 200 and answer.mimetype == "application/fhir+json"


@pytest.mark.parametrize(
    "url, headers",
    [
        ("/fhir/metadata?_format=xml", {}),
        ("/fhir/metadata?_format=application/fhir%2Bxml", {}),
        ("/fhir/metadata", {"Accept": "application/fhir+xml"}),
    ],
)
def test_xml_is_refused_with_406(client, url, headers):
    issue = outcome(client.get(url, headers=headers), 406)
    assert issue["code"] == "not-supported"


def test_unknown_resource_type_is_a_404_outcome(client):
    assert outcome(client.get("/fhir/Patient/1"), 404)["code"] == "not-found"
    assert outcome(client.get("/fhir/Patient"), 404)["code"] == "not-found"
    assert outcome(client.get("/fhir/a/b/c/d"), 404)["code"] == "not-found"
    assert outcome(client.get("/fhir/"), 404)["code"] == "not-found"


def test_writes_are_a_405_outcome_naming_the_allowed_methods(client):
    answer = client.post("/fhir/metadata", json={"resourceType": "Patient"})
    assert outcome(answer, 405)["code"] == "not-supported"
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert outcome(client.delete("/fhir/Appointment/ABC"), 405)


def test_fhir_answers_are_kept_by_no_cache(client):
    assert client.get("/fhir/metadata").headers["Cache-Control"] == "no-store"


def test_a_read_while_the_database_is_down_is_a_503_outcome_with_retry_after(tmp_path):
    from schedq import create_app
    from tests.test_database_unavailable import closed_port

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/schedq",
            "INSTANCE_DIR": str(tmp_path),
            "SECRET_KEY": "test-secret",
            "SEED_DEMO": False,
        }
    )
    try:
        answer = app.test_client().get("/fhir/Location/site-1")
        assert outcome(answer, 503)["code"] == "transient"
        assert int(answer.headers["Retry-After"]) > 0
    finally:
        app.extensions["schedq.database"].dispose()


def test_a_write_to_the_bulk_manifest_is_a_405_outcome_not_a_404(client):
    answer = client.post("/fhir/$bulk-publish")
    assert outcome(answer, 405) and "GET" in answer.headers["Allow"]
