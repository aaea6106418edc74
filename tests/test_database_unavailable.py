"""A database that cannot be reached is a 503 with Retry-After, in the usual error format."""

from __future__ import annotations

import socket

import pytest

from schedq import create_app


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable_client(tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/schedq"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "INSTANCE_DIR": str(tmp_path),
            "SECRET_KEY": "test-secret",
            "SEED_DEMO": False,
        }
    )
    yield app.test_client()
    app.extensions["schedq.database"].dispose()


def test_a_read_while_the_database_is_down_is_a_503_with_retry_after(unreachable_client):
    answer = unreachable_client.get("/api/v1/sites")
    assert answer.status_code == 503
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json["code"] == 503 and answer.json["message"]


def test_a_keyed_write_while_the_database_is_down_is_a_503_with_retry_after(unreachable_client):
    answer = unreachable_client.post(
        "/api/v1/sites/1/remote-tickets",
        json={
            "service": "DRAW",
            "contact": {"name": "Ann Example", "phone": "+1 201 555 0100"},
            "expected_arrival_at": "2030-03-02T08:30:00-06:00",
        },
        headers={"Idempotency-Key": "down-1"},
    )
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0


def test_the_openapi_document_declares_the_503_on_every_operation(client):
    document = client.get("/api/v1/openapi.json").json
    operations = [
        op
        for path in document["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "responses" in op
    ]
    assert operations and all("503" in op["responses"] for op in operations)
    declared = document["components"]["responses"]["DATABASE_UNAVAILABLE"]
    assert "Retry-After" in declared["headers"]
