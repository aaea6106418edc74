"""Which channels a deployment has, from its SCHEDQ_* settings; secrets only from the environment."""

from __future__ import annotations

import base64

import pytest

from schedq import config
from schedq.notify.message import ChannelName
from schedq.notify.settings import SettingError, SmtpTls, configured_channels, smtp_settings

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def test_with_nothing_set_patients_messages_go_to_the_log_sink(tmp_path, monkeypatch):
    """No email or SMS channel; the webhook channel stays for endpoints sites register (their secret's variable named there)."""
    for name in ("SMTP_HOST", "SMS_ACCOUNT_SID", "WEBHOOK_URL", "WEBHOOK_ENDPOINTS"):
        monkeypatch.delenv(f"SCHEDQ_{name}", raising=False)
    assert set(configured_channels(config.load({"INSTANCE_DIR": str(tmp_path)}))) == {ChannelName.WEBHOOK}


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SCHEDQ_SMTP_HOST", "mail.lab.example")
    monkeypatch.setenv("SCHEDQ_SMTP_FROM", "Riverside Lab <noreply@lab.example>")
    monkeypatch.setenv("SCHEDQ_SMTP_TLS", "ssl")
    monkeypatch.setenv("SCHEDQ_SMS_ACCOUNT_SID", "AC1")
    monkeypatch.setenv("SCHEDQ_SMS_AUTH_TOKEN", "tok")
    monkeypatch.setenv("SCHEDQ_SMS_FROM", "+12175550100")
    monkeypatch.setenv("SCHEDQ_WEBHOOK_URL", "https://ehr.lab.example/hooks")
    monkeypatch.setenv("SCHEDQ_WEBHOOK_SECRET", SECRET)
    settings = config.load({"INSTANCE_DIR": str(tmp_path)})

    smtp = smtp_settings(settings)
    assert smtp is not None and smtp.tls is SmtpTls.SSL and smtp.port == 465
    assert set(configured_channels(settings)) == {ChannelName.EMAIL, ChannelName.SMS, ChannelName.WEBHOOK}


def test_more_webhook_endpoints_name_the_variable_holding_their_secret():
    settings = {"WEBHOOK_ENDPOINTS": "https://app.chain.example/in=CHAIN_HOOK_SECRET"}
    channels = configured_channels(settings, environ={"CHAIN_HOOK_SECRET": SECRET})
    assert set(channels) == {ChannelName.WEBHOOK}
    with pytest.raises(SettingError, match="CHAIN_HOOK_SECRET is not set"):
        configured_channels(settings, environ={})


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"WEBHOOK_URL": "https://ehr.example/hooks"}, "without SCHEDQ_WEBHOOK_SECRET"),
        (
            {"WEBHOOK_URL": "https://ehr.example/hooks", "WEBHOOK_SECRET": "whsec_"},
            "not a Standard Webhooks key",
        ),
        (
            {"SMTP_HOST": "mail.example", "SMTP_FROM": "a@example.org", "SMTP_TLS": "maybe"},
            "starttls, ssl or none",
        ),
        ({"WEBHOOK_ENDPOINTS": "https://ehr.example/hooks"}, "is not URL=ENV_NAME"),
    ],
)
def test_settings_that_cannot_work_stop_the_start(settings, why):
    with pytest.raises(SettingError, match=why):
        configured_channels(settings, environ={})
