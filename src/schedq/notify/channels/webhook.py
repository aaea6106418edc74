"""Webhooks to site systems (an EHR, the chain's app), signed per the Standard Webhooks specification.

Each post carries `webhook-id` (the delivery key: the same on every try, so a
receiver that keeps the ids it has handled takes a retry once),
`webhook-timestamp` (Unix seconds when this try was signed) and
`webhook-signature` (`v1,` and the base64 HMAC-SHA256 of
`id.timestamp.body` under the endpoint's secret), computed with the
`standardwebhooks` package, which receivers can use to verify (README:
"Channels" shows how). The body is the event's JSON as `notify.content`
wrote it, sent byte for byte as signed.

A 2xx answer is delivered. A time-out, a connection error, a 408, 425, 429
or 5xx is a `TemporaryFailure`; a 410 (the receiver says the endpoint is
gone), any other 4xx, or a redirect (not followed: the signature names no
URL, and a moved endpoint should be set to its new URL) is a
`PermanentFailure`. No URL is posted to without its secret: nothing leaves
unsigned. The secret is the deployment's for that URL (`SCHEDQ_WEBHOOK_*`),
or, for an endpoint a site registered, the one in the environment variable
its `Outgoing` names (`SECRET_ENV_HEADER`, never sent on).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from schedq.notify.message import (
    SECRET_ENV_HEADER,
    ChannelName,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from schedq.notify.settings import SettingError

_TEMPORARY_STATUSES = {408, 425, 429}
_OWN_HEADERS = {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type", SECRET_ENV_HEADER}


class WebhookChannel:
    name = ChannelName.WEBHOOK

    def __init__(
        self,
        secrets: Mapping[str, str],
        *,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`secrets`: each endpoint URL's signing secret (`whsec_` and base64, as Standard Webhooks gives them)."""
        self._signers: dict[str, Webhook] = {}
        for url, secret in secrets.items():
            try:
                self._signers[url] = Webhook(secret)
            except Exception as error:
                raise SettingError(f"the webhook secret for {url} is not a Standard Webhooks key") from error
        self.timeout = timeout
        self._clock = clock

    def signed_headers(self, message: Outgoing) -> dict[str, str]:
        """The headers of one try: the Standard Webhooks three, the content type, and the message's own."""
        signer = self._signers.get(message.to) or self._site_signer(message)
        if signer is None:
            raise PermanentFailure(f"no signing secret is configured for {message.to}: not sent unsigned")
        at = self._clock().astimezone(UTC)
        headers = {k: v for k, v in message.headers.items() if k.lower() not in _OWN_HEADERS}
        headers.update(
            {
                "webhook-id": message.key,
                "webhook-timestamp": str(int(at.timestamp())),
                "webhook-signature": signer.sign(message.key, at, message.text),
                "content-type": "application/json",
                "user-agent": "schedq-webhooks",
            }
        )
        return headers

    @staticmethod
    def _site_signer(message: Outgoing) -> Webhook | None:
        """The signer of a site's endpoint: its secret from the environment variable the message names."""
        name = message.headers.get(SECRET_ENV_HEADER)
        secret = os.environ.get(name) if name else None
        if not secret:
            return None
        try:
            return Webhook(secret)
        except Exception as error:
            raise PermanentFailure(f"{name} holds no Standard Webhooks key") from error

    def send(self, message: Outgoing) -> str | None:
        """Post the event; returns None (the receiver's answer names no id). Raises DeliveryFailure."""
        try:
            json.loads(message.text)
        except ValueError as error:
            raise PermanentFailure(f"the webhook body is not JSON: {error}") from error
        headers = self.signed_headers(message)
        try:
            response = httpx.post(
                message.to,
                content=message.text.encode(),
                headers=headers,
                timeout=self.timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException as error:
            raise TemporaryFailure(f"webhook receiver timed out: {error!r}") from error
        except httpx.HTTPError as error:
            raise TemporaryFailure(f"webhook receiver unreachable: {error!r}") from error
        status = response.status_code
        if 200 <= status < 300:
            return None
        reason = f"webhook receiver answered {status}"
        if status in _TEMPORARY_STATUSES or status >= 500:
            raise TemporaryFailure(reason, retry_after_seconds=_retry_after(response))
        if status == 410:
            raise PermanentFailure(f"{reason}: the endpoint is gone")
        if 300 <= status < 400:
            raise PermanentFailure(f"{reason}: redirects are not followed; set the endpoint's new URL")
        raise PermanentFailure(reason)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "").strip()))
    except ValueError:
        return None
