"""Telling patients and site systems what they need to know: events, their messages, and delivery.

A change that patients or site systems must hear of (a booking confirmed, a
patient called...) writes an `Event` and, per recipient and channel, an
outbox row in the same transaction as the change; `schedq worker` delivers
the outbox through the channels with retries, once per recipient (README:
"Notifications").

Modules: `message` (what a channel is given, and how it fails), `events` (the
kinds of event and what each carries), `outbox` (writing events and their
deliveries in the change's transaction), `facts` (what an event's messages may
say, kept with it), `scheduler` (reminders, leave now, near turn), `delivery`
(`schedq worker`: claim, send, mark, retry; the channel registry), `outgoing`
(the message one delivery sends), `content` (the words of every message, per
channel and language, and webhook bodies), `sms_text` (fitting an SMS in two
segments), `channels/` (email, SMS, webhooks), `settings` (the channels'
settings and registry), `log_sink` (the LOG channel), `preferences`
(unsubscribing, on top of `services.opt_outs`), `quiet_hours`, `endpoints` (a
site's webhooks), `status` (what staff see, resend).
"""
