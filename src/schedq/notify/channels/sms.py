"""SMS through a provider: the interface schedq needs, and a Twilio-compatible HTTP implementation.

`SmsProvider` is all the SMS channel asks of a provider: send this text to
this number, with this idempotency key, and say what id you gave it. `TwilioSms`
speaks Twilio's Messages API (and that of the providers that copy it):
`POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded `To`,
`From` (or `MessagingServiceSid`) and `Body`, HTTP basic auth with the
account id and auth token. It sends the delivery key in an idempotency header
(`Idempotency-Key` unless set otherwise) so a provider that honours one
takes a retry of the same message once. A time-out, a connection error, a
408, a 429 or a 5xx is a `TemporaryFailure` (a 429's `Retry-After` is
passed on); any other 4xx (an invalid or unreachable number, a refused
message) is a `PermanentFailure`. The provider's message id (`SM…`) is what
`send` returns.

Inbound messages (a patient answering STOP) come as form posts signed with
`X-Twilio-Signature`; `twilio_signature` computes it (README: "Channels").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from typing import Protocol

import httpx

from schedq.notify.message import ChannelName, Outgoing, PermanentFailure, TemporaryFailure
from schedq.notify.settings import SmsSettings

_TEMPORARY_STATUSES = {408, 425, 429}


class SmsProvider(Protocol):
    def send_sms(self, to: str, body: str, *, key: str, sender: str | None = None) -> str | None:
        """Send `body` to the E.164 number `to` (from `sender`, else the deployment's); returns the provider's id.

        Raises DeliveryFailure."""
        ...


class SmsChannel:
    """The SMS channel: an `Outgoing` handed to whichever provider is configured."""

    name = ChannelName.SMS

    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    def send(self, message: Outgoing) -> str | None:
        return self.provider.send_sms(message.to, message.text, key=message.key, sender=message.sender)


class TwilioSms:
    """Twilio's Messages API, or any provider that speaks it (`SCHEDQ_SMS_BASE_URL`)."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    @property
    def messages_url(self) -> str:
        return f"{self.settings.base_url}/2010-04-01/Accounts/{self.settings.account_sid}/Messages.json"

    def send_sms(self, to: str, body: str, *, key: str, sender: str | None = None) -> str | None:
        """Send from `sender` (a site's own number or messaging service) when given, else `SCHEDQ_SMS_FROM`."""
        settings = self.settings
        sender = sender or settings.sender
        sender_field = "MessagingServiceSid" if sender.startswith("MG") else "From"
        try:
            response = httpx.post(
                self.messages_url,
                data={"To": to, sender_field: sender, "Body": body},
                auth=(settings.account_sid, settings.auth_token),
                headers={settings.idempotency_header: key, "User-Agent": "schedq"},
                timeout=settings.timeout,
            )
        except httpx.TimeoutException as error:
            raise TemporaryFailure(f"SMS provider timed out: {error!r}") from error
        except httpx.HTTPError as error:
            raise TemporaryFailure(f"SMS provider unreachable: {error!r}") from error
        if response.is_success:
            sid = _json(response).get("sid")
            return str(sid) if sid else None
        reason = _reason(response)
        if response.status_code in _TEMPORARY_STATUSES or response.status_code >= 500:
            raise TemporaryFailure(reason, retry_after_seconds=_retry_after(response))
        raise PermanentFailure(reason)


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _reason(response: httpx.Response) -> str:
    """The status, and the provider's own error code and words when it gave them (Twilio: `code`, `message`)."""
    body = _json(response)
    detail = " ".join(str(body[k]) for k in ("code", "message") if body.get(k) is not None)
    return f"SMS provider answered {response.status_code}" + (f": {detail}" if detail else "")


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None  # absent, or an HTTP date: the worker's own backoff decides


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """`X-Twilio-Signature` of a form post to `url`: base64 HMAC-SHA1, keyed with the auth token, of the
    full URL followed by each parameter's name and value, sorted by name."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_twilio_signature(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str | None
) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(twilio_signature(auth_token, url, params), signature.strip())
