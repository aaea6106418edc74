"""How a deployment reaches patients and site systems: SMTP, the SMS provider, webhook endpoints.

Every setting is a `SCHEDQ_*` environment variable (README: "Channels"),
read by `schedq.config.load` with the others. Secrets (the SMTP password, the
SMS auth token, webhook signing secrets) come from the environment only and
are never written to the database: a site's webhook endpoint is matched to
its signing secret by URL through `SCHEDQ_WEBHOOK_ENDPOINTS`, which names the
environment variable that holds each secret, not the secret itself.

A channel whose settings are missing is left out of `configured_channels`;
messages for it then go to the local log sink (README: "Notifications").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from schedq.notify.message import Channel, ChannelName

# Read from SCHEDQ_<NAME> by schedq.config.load, with how to parse each.
ENV_PARSERS: dict[str, type] = {
    "SMTP_HOST": str,
    "SMTP_PORT": int,
    "SMTP_USER": str,
    "SMTP_PASSWORD": str,
    "SMTP_FROM": str,
    "SMTP_TLS": str,
    "SMTP_TIMEOUT": float,
    "SMTP_CA_FILE": str,
    "SMS_BASE_URL": str,
    "SMS_ACCOUNT_SID": str,
    "SMS_AUTH_TOKEN": str,
    "SMS_FROM": str,
    "SMS_INBOUND_URL": str,
    "SMS_IDEMPOTENCY_HEADER": str,
    "SMS_TIMEOUT": float,
    "WEBHOOK_URL": str,
    "WEBHOOK_SECRET": str,
    "WEBHOOK_ENDPOINTS": str,
    "WEBHOOK_TIMEOUT": float,
}

DEFAULTS: dict[str, Any] = {
    "SMTP_HOST": None,
    "SMTP_PORT": None,  # None: 465 with SMTP_TLS=ssl, else 587 with starttls, else 25
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_FROM": None,
    "SMTP_TLS": "starttls",
    "SMTP_TIMEOUT": 10.0,
    "SMTP_CA_FILE": None,  # None: the system's certificate authorities
    "SMS_BASE_URL": "https://api.twilio.com",
    "SMS_ACCOUNT_SID": None,
    "SMS_AUTH_TOKEN": None,
    "SMS_FROM": None,
    "SMS_INBOUND_URL": None,  # None: the URL the request came to (see SCHEDQ_TRUSTED_PROXY_HOPS)
    "SMS_IDEMPOTENCY_HEADER": "Idempotency-Key",
    "SMS_TIMEOUT": 10.0,
    "WEBHOOK_URL": None,
    "WEBHOOK_SECRET": None,
    "WEBHOOK_ENDPOINTS": None,
    "WEBHOOK_TIMEOUT": 10.0,
}


class SettingError(ValueError):
    """A channel setting that cannot work as given; raised at start-up rather than at the first message."""


class SmtpTls(StrEnum):
    STARTTLS = "starttls"  # plain connection upgraded with STARTTLS (port 587); refused if the server cannot
    SSL = "ssl"  # TLS from the first byte (port 465)
    NONE = "none"  # no encryption: only for a relay on the same host or the tests' local server


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    tls: SmtpTls = SmtpTls.STARTTLS
    user: str | None = None
    password: str | None = None
    timeout: float = 10.0
    ca_file: str | None = None
    """Certificate authorities to trust for the server's TLS certificate (None: the system's)."""


@dataclass(frozen=True, slots=True)
class SmsSettings:
    account_sid: str
    auth_token: str
    sender: str
    """An E.164 number or a messaging service id (`MG…`)."""
    base_url: str = "https://api.twilio.com"
    idempotency_header: str = "Idempotency-Key"
    timeout: float = 10.0


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings | None:
    """The SMTP settings, or None when no SMTP host and sender are set."""
    host, sender = config.get("SMTP_HOST"), config.get("SMTP_FROM")
    if not host or not sender:
        return None
    try:
        tls = SmtpTls(str(config.get("SMTP_TLS") or "starttls").lower())
    except ValueError:
        raise SettingError("SCHEDQ_SMTP_TLS must be starttls, ssl or none") from None
    port = config.get("SMTP_PORT") or {SmtpTls.SSL: 465, SmtpTls.STARTTLS: 587, SmtpTls.NONE: 25}[tls]
    return SmtpSettings(
        host=host,
        port=int(port),
        sender=sender,
        tls=tls,
        user=config.get("SMTP_USER") or None,
        password=config.get("SMTP_PASSWORD") or None,
        timeout=float(config.get("SMTP_TIMEOUT") or 10.0),
        ca_file=config.get("SMTP_CA_FILE") or None,
    )


def sms_settings(config: Mapping[str, Any]) -> SmsSettings | None:
    """The SMS provider's settings, or None unless account, token and sender are all set."""
    sid, token, sender = (config.get(k) for k in ("SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM"))
    if not (sid and token and sender):
        return None
    return SmsSettings(
        account_sid=sid,
        auth_token=token,
        sender=sender,
        base_url=str(config.get("SMS_BASE_URL") or DEFAULTS["SMS_BASE_URL"]).rstrip("/"),
        idempotency_header=config.get("SMS_IDEMPOTENCY_HEADER") or DEFAULTS["SMS_IDEMPOTENCY_HEADER"],
        timeout=float(config.get("SMS_TIMEOUT") or 10.0),
    )


def webhook_secrets(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each webhook endpoint's URL and its signing secret (`whsec_…`), from the environment only.

    `SCHEDQ_WEBHOOK_URL` with `SCHEDQ_WEBHOOK_SECRET` names the deployment's
    endpoint; `SCHEDQ_WEBHOOK_ENDPOINTS` adds others (a site's EHR, the chain's
    app) as space-separated `URL=ENV_NAME` pairs, each secret read from the
    environment variable named. A site's endpoint URL kept with the site is
    signed with the secret found here for the same URL.
    """
    environ = os.environ if environ is None else environ
    secrets: dict[str, str] = {}
    if config.get("WEBHOOK_URL"):
        if not config.get("WEBHOOK_SECRET"):
            raise SettingError("SCHEDQ_WEBHOOK_URL is set without SCHEDQ_WEBHOOK_SECRET")
        secrets[config["WEBHOOK_URL"]] = config["WEBHOOK_SECRET"]
    for pair in str(config.get("WEBHOOK_ENDPOINTS") or "").split():
        url, _, name = pair.rpartition("=")
        if not url or not name:
            raise SettingError(f"SCHEDQ_WEBHOOK_ENDPOINTS: {pair!r} is not URL=ENV_NAME")
        secret = environ.get(name)
        if not secret:
            raise SettingError(f"SCHEDQ_WEBHOOK_ENDPOINTS: the environment variable {name} is not set")
        secrets[url] = secret
    return secrets


def configured_channels(
    config: Mapping[str, Any], *, environ: Mapping[str, str] | None = None
) -> dict[ChannelName, Channel]:
    """The channels this deployment has settings for (none: every message goes to the log sink).

    Raises SettingError for settings that cannot work (an unknown TLS mode, a
    webhook URL without its secret, a secret that is not a Standard Webhooks
    `whsec_` key), so a deployment learns of it when it starts.
    """
    from schedq.notify.channels.email import EmailChannel
    from schedq.notify.channels.sms import SmsChannel, TwilioSms
    from schedq.notify.channels.webhook import WebhookChannel

    channels: dict[ChannelName, Channel] = {}
    smtp = smtp_settings(config)
    if smtp is not None:
        channels[ChannelName.EMAIL] = EmailChannel(smtp)
    sms = sms_settings(config)
    if sms is not None:
        channels[ChannelName.SMS] = SmsChannel(TwilioSms(sms))
    # Always there: endpoints sites register name their secret's variable themselves.
    channels[ChannelName.WEBHOOK] = WebhookChannel(
        webhook_secrets(config, environ), timeout=float(config.get("WEBHOOK_TIMEOUT") or 10.0)
    )
    return channels
