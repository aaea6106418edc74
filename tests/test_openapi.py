"""The committed OpenAPI document is the one the code generates, and it is valid."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate

DOCUMENT = Path(__file__).parents[1] / "openapi" / "openapi.json"
REGENERATE = "schedq openapi write openapi/openapi.json"


def test_committed_document_equals_the_generated_one(app):
    generated = json.loads(json.dumps(app.extensions["schedq.api"].spec.to_dict()))
    committed = json.loads(DOCUMENT.read_text())
    assert committed == generated, f"openapi/ is stale: run `{REGENERATE}`"


def test_document_is_valid_openapi_3():
    document = json.loads(DOCUMENT.read_text())
    assert document["openapi"].startswith("3.")
    validate(document)


def test_json_document_and_interactive_docs_are_served(client):
    assert client.get("/api/v1/openapi.json").json["info"]["title"] == "schedq"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data
