"""STOP and START texted to the site's number, as the SMS provider posts them (README: "Channels")."""

from __future__ import annotations

import pytest

from schedq.db.uow import UnitOfWork
from schedq.notify.channels.sms import twilio_signature
from schedq.notify.message import ChannelName
from schedq.services import opt_outs

URL = "http://localhost/api/v1/sms/inbound"
TOKEN = "inbound-auth-token"
PATIENT = "+12175550123"


@pytest.fixture
def sms_app(app):
    app.config.update(SMS_ACCOUNT_SID="AC0123456789", SMS_AUTH_TOKEN=TOKEN, SMS_FROM="+12175550100")
    return app


def inbound(body: str, *, sender: str = PATIENT) -> dict[str, str]:
    """The fields Twilio posts for an inbound text (those that matter here, and a few it always sends)."""
    return {
        "MessageSid": "SM5f1e0c0ffee",
        "AccountSid": "AC0123456789",
        "From": sender,
        "To": "+12175550100",
        "Body": body,
        "NumMedia": "0",
    }


def post(client, form: dict[str, str], *, token: str = TOKEN, url: str = URL):
    signature = twilio_signature(token, url, form.items())
    return client.post("/api/v1/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})


def opted_out(app, number: str = PATIENT) -> bool:
    with UnitOfWork(app.extensions["schedq.database"], write=False) as uow:
        return opt_outs.is_opted_out(uow, ChannelName.SMS, number)


@pytest.mark.usefixtures("backend")
def test_stop_from_a_signed_post_opts_the_number_out_and_start_lets_it_back_in(sms_app):
    client = sms_app.test_client()
    answer = post(client, inbound("STOP"))
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/xml")
    assert b"<Response></Response>" in answer.data
    assert opted_out(sms_app)

    assert post(client, inbound(" stop. ")).status_code == 200  # again: still one opt-out
    assert opted_out(sms_app)

    assert post(client, inbound("Start")).status_code == 200
    assert not opted_out(sms_app)


@pytest.mark.parametrize("word", ["UNSUBSCRIBE", "cancel", "End", "QUIT", "STOPALL"])
def test_every_stop_word_opts_out(sms_app, word):
    post(sms_app.test_client(), inbound(word))
    assert opted_out(sms_app)


def test_other_texts_change_nothing(sms_app):
    client = sms_app.test_client()
    for text in ("stop sending me the reminder please", "Thanks!", ""):
        assert post(client, inbound(text)).status_code == 200
    assert not opted_out(sms_app)


def test_a_wrong_or_missing_signature_is_refused_and_changes_nothing(sms_app):
    client = sms_app.test_client()
    assert post(client, inbound("STOP"), token="someone-elses-token").status_code == 403
    forged = inbound("STOP")
    signature = twilio_signature(TOKEN, URL, forged.items())
    forged["From"] = "+12175550199"  # signed for one number, sent for another
    answer = client.post("/api/v1/sms/inbound", data=forged, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 403
    assert client.post("/api/v1/sms/inbound", data=inbound("STOP")).status_code == 403
    assert not opted_out(sms_app) and not opted_out(sms_app, "+12175550199")


def test_the_public_url_set_for_the_provider_is_the_one_signed(sms_app):
    public = "https://schedq.lab.example/api/v1/sms/inbound"
    sms_app.config["SMS_INBOUND_URL"] = public
    client = sms_app.test_client()
    assert post(client, inbound("STOP")).status_code == 403  # signed for the URL the app saw
    assert post(client, inbound("STOP"), url=public).status_code == 200
    assert opted_out(sms_app)


def test_without_sms_settings_there_is_no_inbound_endpoint(client):
    assert post(client, inbound("STOP")).status_code == 404
