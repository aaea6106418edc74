"""Secrets and personal data stay where they belong: out of logs, caches and other users' files."""

from __future__ import annotations

import logging
import re
import signal
import stat
import threading
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from werkzeug.serving import make_server

from schedq import create_app
from schedq.db import migrate
from schedq.db.models import IdempotencyRecord
from tests.test_serve import get, served  # noqa: F401  (the `schedq serve` fixture)

API = "/api/v1"


def remote_join(client, site, clock, phone="+1 201 555 0100", **headers):
    body = {
        "service": "DRAW",
        "contact": {"name": "Rosalind Privateperson", "phone": phone},
        "expected_arrival_at": (clock() + timedelta(minutes=20)).isoformat(),
    }
    return client.post(f"{API}/sites/{site.site_id}/remote-tickets", json=body, headers=headers)


# Headers -------------------------------------------------------------------------------


def test_answers_carrying_tokens_or_contacts_are_never_stored(client, site, clock):
    joined = remote_join(client, site, clock)
    booked = client.post(
        f"{API}/sites/{site.site_id}/appointments",
        json={
            "service": "DRAW",
            "starts_at": "2026-03-03T09:00:00-06:00",
            "contact": {"name": "Ann Example", "email": "ann@example.org"},
        },
    )
    staff_list = client.get(
        f"{API}/sites/{site.site_id}/appointments?date=2026-03-03", headers=site.headers("staff")
    )
    own = client.get(
        f"{API}/appointments/{booked.json['reference']}",
        headers={"X-Patient-Token": booked.json["manage_token"]},
    )
    assert joined.json["token"] and booked.json["manage_token"]
    assert "ann@example.org" in staff_list.get_data(as_text=True)
    for answer in (joined, booked, staff_list, own):
        assert answer.headers["Cache-Control"] == "no-store"


def test_public_reads_keep_their_own_cache_control(client, site):
    answer = client.get(f"{API}/sites/{site.site_id}/wait?service=DRAW")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "public, max-age=2"


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/sites",
        f"{API}/openapi.json",
        f"{API}/docs",
        f"{API}/tickets/999",
        "/",
        "/static/web/ticket.js",
        "/no-such-page",
    ],
)
def test_every_answer_says_nosniff(client, site, path):
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"


# Idempotent answers --------------------------------------------------------------------


def test_a_stored_answer_keeps_no_token_and_a_replay_carries_it_again(client, site, clock, database):
    first = remote_join(client, site, clock, **{"Idempotency-Key": "join-1"})
    replay = remote_join(client, site, clock, **{"Idempotency-Key": "join-1"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json["token"] == first.json["token"]
    with database.session(write=False) as session:
        stored = [record.response for record in session.query(IdempotencyRecord)]
    assert stored and all(first.json["token"] not in repr(answer) for answer in stored)


def test_anonymous_callers_on_other_addresses_do_not_share_a_key(client, site, clock):
    key = {"Idempotency-Key": "shared-key"}
    mine = client.post(
        f"{API}/sites/{site.site_id}/remote-tickets",
        json={
            "service": "DRAW",
            "contact": {"name": "Ann", "phone": "+1 201 555 0101"},
            "expected_arrival_at": (clock() + timedelta(minutes=20)).isoformat(),
        },
        headers=key,
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    theirs = client.post(
        f"{API}/sites/{site.site_id}/remote-tickets",
        json={
            "service": "DRAW",
            "contact": {"name": "Ann", "phone": "+1 201 555 0101"},
            "expected_arrival_at": (clock() + timedelta(minutes=20)).isoformat(),
        },
        headers=key,
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.json["id"] != mine.json["id"]


# The embedded database's files ---------------------------------------------------------


def test_the_embedded_database_and_its_journal_are_readable_by_the_owner_only(tmp_path):
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_DIR": str(instance), "SEED_DEMO": False, "ESTIMATOR_WARM_UP": False})
    try:
        migrate.upgrade(app.config["DATABASE_URL"])
        assert app.test_client().get(f"{API}/sites").status_code == 200
        with app.extensions["schedq.database"].engine.connect():
            files = sorted(p.name for p in instance.glob("schedq.sqlite3*"))
            assert files == ["schedq.sqlite3", "schedq.sqlite3-shm", "schedq.sqlite3-wal"]
            modes = {name: stat.S_IMODE((instance / name).stat().st_mode) for name in files}
    finally:
        app.extensions["schedq.database"].dispose()
    assert modes == dict.fromkeys(files, 0o600)


# Access logs ---------------------------------------------------------------------------


def test_werkzeugs_access_log_keeps_no_token(app, site, clock, tmp_path):
    ticket = remote_join(app.test_client(), site, clock).json
    log_file = tmp_path / "access.log"
    handler = logging.FileHandler(log_file)
    logger = logging.getLogger("werkzeug")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        status, _ = get(f"{base}{API}/tickets/{ticket['id']}?token={ticket['token']}")
        assert status == 200
        get(f"{base}/ticket/{ticket['id']}?service=x&token={ticket['token']}")
        get(f"{base}/?near=1200+River+Road")
        get(f"{base}{API}/nearby?lat=39.7990&lon=-89.6440")
    finally:
        server.shutdown()
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()
    log = log_file.read_text()
    assert f"/api/v1/tickets/{ticket['id']}?token=[redacted]" in log
    assert f"/ticket/{ticket['id']}?service=x&token=[redacted]" in log
    assert ticket["token"] not in log
    assert "/?near=[redacted]" in log and "/nearby?lat=[redacted]&lon=[redacted]" in log
    assert "River" not in log and "39.799" not in log


@pytest.mark.slow
def test_the_served_access_log_keeps_no_token(served):  # noqa: F811
    base, process = served
    status, _ = get(f"{base}/api/v1/sites")
    assert status == 200
    secret = "pt-secret-token-0123456789"
    for path in (f"/api/v1/tickets/1?token={secret}", f"/ticket/1?token={secret}&x=1"):
        try:
            get(f"{base}{path}")
        except OSError:
            pass  # 404 or 401: the line is logged all the same
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=15)[0]
    assert re.search(r'"GET /api/v1/tickets/1\?token=\[redacted\] HTTP/1\.1" \d{3}', output), output
    assert "/ticket/1?token=[redacted]&x=1" in output
    assert secret not in output


# The API reference, offline ------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_api_reference_is_served_from_the_app_alone(client):
    page = client.get(f"{API}/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "//" not in re.sub(r"<!doctype[^>]*>", "", html, flags=re.IGNORECASE)
    parser = _Links()
    parser.feed(html)
    assert len(parser.urls) == 3 and all(url.startswith("/") for url in parser.urls)
    for url in parser.urls:
        assert client.get(url).status_code == 200, url
    spec_url = re.search(r'data-spec-url="([^"]+)"', html).group(1)
    assert client.get(spec_url).json["info"]["title"] == "schedq"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy


def test_the_api_reference_serves_only_its_own_files(client):
    assert client.get(f"{API}/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get(f"{API}/docs/assets/package.json").status_code == 404
    assert client.get(f"{API}/docs/assets/..%2F..%2F__init__.py").status_code == 404
