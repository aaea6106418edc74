"""Webhooks signed per Standard Webhooks, to a receiver that verifies them with `standardwebhooks` (README: "Channels")."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from schedq.notify.channels.webhook import WebhookChannel
from schedq.notify.message import ChannelName, Outgoing, PermanentFailure, TemporaryFailure
from schedq.notify.settings import SettingError
from tests.notify.servers import Answer, Received, recording_server

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
PAYLOAD = {
    "type": "ticket.called",
    "timestamp": "2026-03-02T14:05:00Z",
    "data": {"site_id": 1, "ticket_id": 9, "code": "A042", "station": "Booth 2"},
}


class Receiver:
    """A site system's endpoint: it verifies each post as the README tells receivers to, and keeps the result."""

    def __init__(self, secret: str) -> None:
        self.webhook = Webhook(secret)
        self.verified: list[dict] = []

    def __call__(self, request: Received) -> Answer:
        try:
            self.verified.append(self.webhook.verify(request.body, request.headers))
        except WebhookVerificationError:
            return Answer(400)
        return Answer(204)


@pytest.fixture
def receiver():
    with recording_server() as server:
        yield server


def event(url: str, key: str = "delivery-11-webhook-1") -> Outgoing:
    return Outgoing(key=key, channel=ChannelName.WEBHOOK, to=url, text=json.dumps(PAYLOAD))


def channel_for(url: str, *, timeout: float = 5) -> WebhookChannel:
    return WebhookChannel({url: SECRET}, timeout=timeout)


def test_the_receiver_verifies_the_signature_and_reads_the_event(receiver):
    site = Receiver(SECRET)
    receiver.judge = site
    url = receiver.url + "/hooks/schedq"
    assert channel_for(url).send(event(url)) is None

    assert site.verified == [PAYLOAD]
    [request] = receiver.received
    assert request.path == "/hooks/schedq"
    assert request.headers["webhook-id"] == "delivery-11-webhook-1"
    assert request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 300


def test_a_tampered_body_or_another_secret_fails_verification(receiver):
    url = receiver.url + "/hooks"
    receiver.answers = [Answer(204)]
    channel_for(url).send(event(url))
    [request] = receiver.received

    tampered = request.body.replace(b"A042", b"A043")
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, request.headers)
    other = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(request.body, request.headers)
    assert Webhook(SECRET).verify(request.body, request.headers) == PAYLOAD


def test_every_try_of_one_delivery_carries_the_same_webhook_id(receiver):
    url = receiver.url + "/hooks"
    receiver.answers = [Answer(503), Answer(204)]
    channel = channel_for(url)
    with pytest.raises(TemporaryFailure, match="503"):
        channel.send(event(url))
    channel.send(event(url))
    assert [r.headers["webhook-id"] for r in receiver.received] == ["delivery-11-webhook-1"] * 2


def test_a_server_error_and_a_time_out_are_temporary(receiver):
    url = receiver.url + "/hooks"
    receiver.answers = [Answer(500)]
    with pytest.raises(TemporaryFailure, match="500"):
        channel_for(url).send(event(url))
    receiver.answers = [Answer(hang=True)]
    with pytest.raises(TemporaryFailure, match="timed out"):
        channel_for(url, timeout=0.3).send(event(url))


def test_too_many_requests_is_temporary_and_passes_on_retry_after(receiver):
    url = receiver.url + "/hooks"
    receiver.answers = [Answer(429, headers={"Retry-After": "30"})]
    with pytest.raises(TemporaryFailure) as caught:
        channel_for(url).send(event(url))
    assert caught.value.retry_after_seconds == 30


@pytest.mark.parametrize(
    ("status", "why"), [(410, "gone"), (400, "400"), (301, "redirects are not followed")]
)
def test_gone_refused_or_moved_is_permanent(receiver, status, why):
    url = receiver.url + "/hooks"
    receiver.answers = [Answer(status, headers={"Location": "http://elsewhere.example/"})]
    with pytest.raises(PermanentFailure, match=why):
        channel_for(url).send(event(url))
    assert len(receiver.received) == 1


def test_nothing_leaves_unsigned(receiver):
    url = receiver.url + "/hooks"
    with pytest.raises(PermanentFailure, match="no signing secret"):
        channel_for(url).send(event(receiver.url + "/another"))
    assert receiver.received == []


def test_a_secret_that_is_not_a_standard_webhooks_key_is_refused_at_start():
    with pytest.raises(SettingError):
        WebhookChannel({"https://ehr.example/hooks": "whsec_"})
