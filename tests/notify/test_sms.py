"""SMS through the Twilio-compatible provider, against a fake provider the tests start (README: "Channels")."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import pytest

from schedq.notify.channels.sms import SmsChannel, TwilioSms, twilio_signature, valid_twilio_signature
from schedq.notify.message import ChannelName, Outgoing, PermanentFailure, TemporaryFailure
from schedq.notify.settings import SmsSettings
from tests.notify.servers import Answer, free_port, recording_server

TEXT = "Riverside Lab: it is your turn soon. Code A042. https://lab.example/t/9#t=x"


@pytest.fixture
def provider():
    with recording_server() as server:
        yield server


def channel_to(base_url: str, *, sender: str = "+12175550100", timeout: float = 5) -> SmsChannel:
    settings = SmsSettings(
        account_sid="AC0123456789",
        auth_token="tok-secret",
        sender=sender,
        base_url=base_url,
        timeout=timeout,
    )
    return SmsChannel(TwilioSms(settings))


def near_turn(key: str = "delivery-7-sms") -> Outgoing:
    return Outgoing(key=key, channel=ChannelName.SMS, to="+12175550123", text=TEXT)


def created(sid: str) -> Answer:
    body = json.dumps({"sid": sid, "status": "queued"}).encode()
    return Answer(201, body, {"Content-Type": "application/json"})


def test_the_provider_receives_the_text_with_basic_auth_and_the_idempotency_key(provider):
    provider.answers = [created("SM0001")]
    assert channel_to(provider.url).send(near_turn()) == "SM0001"

    [request] = provider.received
    assert request.path == "/2010-04-01/Accounts/AC0123456789/Messages.json"
    assert (
        request.headers["Authorization"] == "Basic " + base64.b64encode(b"AC0123456789:tok-secret").decode()
    )
    assert request.headers["Idempotency-Key"] == "delivery-7-sms"
    assert parse_qs(request.body.decode()) == {
        "To": ["+12175550123"],
        "From": ["+12175550100"],
        "Body": [TEXT],
    }


def test_a_retry_of_the_same_delivery_sends_the_same_key(provider):
    provider.answers = [Answer(500), created("SM0002")]
    channel = channel_to(provider.url)
    with pytest.raises(TemporaryFailure):
        channel.send(near_turn())
    assert channel.send(near_turn()) == "SM0002"
    assert [r.headers["Idempotency-Key"] for r in provider.received] == ["delivery-7-sms"] * 2


def test_a_messaging_service_sends_from_its_pool(provider):
    provider.answers = [created("SM0003")]
    channel_to(provider.url, sender="MG9999").send(near_turn())
    form = parse_qs(provider.received[0].body.decode())
    assert form["MessagingServiceSid"] == ["MG9999"] and "From" not in form


def test_a_site_with_its_own_number_sends_from_it(provider):
    provider.answers = [created("SM0004")]
    message = Outgoing(
        key="k-site", channel=ChannelName.SMS, to="+12175550123", text=TEXT, sender="+12175550142"
    )
    channel_to(provider.url).send(message)
    assert parse_qs(provider.received[0].body.decode())["From"] == ["+12175550142"]


def test_too_many_requests_is_temporary_and_says_when_to_retry(provider):
    provider.answers = [Answer(429, b'{"code": 20429, "message": "Too Many Requests"}', {"Retry-After": "7"})]
    with pytest.raises(TemporaryFailure, match="429") as caught:
        channel_to(provider.url).send(near_turn())
    assert caught.value.retry_after_seconds == 7


def test_a_server_error_is_temporary(provider):
    provider.answers = [Answer(500, b"oops")]
    with pytest.raises(TemporaryFailure, match="500"):
        channel_to(provider.url).send(near_turn())


def test_a_refused_number_is_permanent_with_the_providers_reason(provider):
    error = {"code": 21211, "message": "The 'To' number +12175550123 is not a valid phone number."}
    provider.answers = [Answer(400, json.dumps(error).encode(), {"Content-Type": "application/json"})]
    with pytest.raises(PermanentFailure, match="400: 21211 The 'To' number"):
        channel_to(provider.url).send(near_turn())


def test_a_provider_that_cannot_be_reached_or_does_not_answer_in_time_is_temporary(provider):
    with pytest.raises(TemporaryFailure, match="unreachable"):
        channel_to(f"http://127.0.0.1:{free_port()}").send(near_turn())
    provider.answers = [Answer(hang=True)]
    with pytest.raises(TemporaryFailure, match="timed out"):
        channel_to(provider.url, timeout=0.3).send(near_turn())


def test_the_inbound_signature_matches_twilios_documented_example():
    # The example request of Twilio's "Webhooks security" page: its auth token, URL, fields and signature.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params.items()) == "GvWf1cFY/Q7PnoempGyD5oXAezc="
    assert valid_twilio_signature("12345", url, params.items(), "GvWf1cFY/Q7PnoempGyD5oXAezc=")
    assert not valid_twilio_signature(
        "12345", url, {**params, "Digits": "1235"}.items(), "GvWf1cFY/Q7PnoempGyD5oXAezc="
    )
    assert not valid_twilio_signature("12345", url, params.items(), None)
