"""The ways a message leaves schedq, each behind the `Channel` protocol of `notify.message`.

Modules:

- `email`: email over SMTP (standard library `smtplib`), STARTTLS or TLS, a
  Message-ID derived from the delivery key, attachments such as the booking's
  `.ics`;
- `sms`: the SMS provider interface and its Twilio-compatible HTTP
  implementation (an idempotency header from the delivery key), and the
  check of an inbound post's `X-Twilio-Signature`;
- `webhook`: JSON posts to site systems signed per Standard Webhooks
  (`webhook-id` is the delivery key).

Each maps what its server answers to `TemporaryFailure` (try again later) or
`PermanentFailure` (never), the worker's only two outcomes besides success.
Which channels a deployment has is `notify.settings.configured_channels`
(README: "Channels").
"""
