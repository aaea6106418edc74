"""End to end: events through the real channels, and what arrives, how many times, when things fail.

The worker's channels come from the deployment's settings (`channels_from_config`)
and talk to real local servers: aiosmtpd for email, a fake Twilio-compatible
provider for SMS, a site system's endpoint that verifies every webhook with
`standardwebhooks` and handles each `webhook-id` once. Worker passes run in
the test with a hand-moved clock (backoff one second), except where a real
`schedq worker` process is killed (marked slow). Each test prints a one-line
summary of what arrived and how often (`pytest -s`). README: "What the fault
tests show".
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from schedq.db.models import Delivery, DeliveryAttempt
from schedq.domain.contact import Contact
from schedq.notify import delivery, endpoints
from schedq.notify.channels.email import message_id
from schedq.notify.channels.sms import twilio_signature
from schedq.services import appointments, tickets
from schedq.services.queue import calling, corrections
from schedq.services.rate_limits import TableCounters
from tests.conftest import MONDAY_8AM
from tests.notify.helpers import EMAIL, PHONE, TUESDAY_9AM, book, rows, tries
from tests.notify.servers import Answer, Received, recording_server

SENDER = "Riverside Lab <noreply@lab.example>"
SMS_SID, SMS_TOKEN, SMS_FROM = "AC0123456789", "tok-secret", "+12175550100"
SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
SECRET_ENV = "SCHEDQ_TEST_EHR_SECRET"
TICKET_PHONE = "+12175550177"
SETTINGS = delivery.Settings(
    public_url="https://schedq.example.org",
    secret_key="test-secret",
    max_attempts=8,
    backoff_seconds=1,
    max_backoff_seconds=4,
    lease_seconds=1,
)
SCHEDQ = shutil.which("schedq", path=str(Path(sys.executable).parent)) or "schedq"
WAIT_SECONDS = 60


class SiteSystem:
    """A site's endpoint: answers as scripted; verifies each post and handles each webhook-id once.

    A scripted 5xx fails before handling; a hang handles the event and then
    answers too late (a slow receiver), so the sender's next try is a repeat.
    """

    def __init__(self, *answers: Answer) -> None:
        self.webhook = Webhook(SECRET)
        self.answers = list(answers) or [Answer(204)]
        self.ids: list[str] = []
        self.handled: dict[str, dict] = {}

    def __call__(self, request: Received) -> Answer:
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        self.ids.append(request.headers["webhook-id"])
        if answer.status >= 500:
            return answer
        try:
            payload = self.webhook.verify(request.body, request.headers)
        except WebhookVerificationError:
            return Answer(400)
        self.handled.setdefault(request.headers["webhook-id"], payload)
        return answer


class Provider:
    """The fake Twilio-compatible provider: takes every message, numbering the ids it gives."""

    def __init__(self) -> None:
        self.texts: list[dict[str, str]] = []

    def __call__(self, request: Received) -> Answer:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        self.texts.append(form | {"key": request.headers["Idempotency-Key"]})
        body = f'{{"sid": "SM{len(self.texts):04d}", "status": "queued"}}'.encode()
        return Answer(201, body, {"Content-Type": "application/json"})


@pytest.fixture
def wired(app, site, make_uow, smtp_server, monkeypatch):
    """The deployment set up with SMTP, SMS and the site's webhook endpoint; yields the three receivers."""
    provider = Provider()
    with recording_server() as sms_server, recording_server() as hook_server:

        class Wired:
            mailbox = smtp_server.handler
            smtp = smtp_server
            texts = provider.texts
            hooks = hook_server.received
            system = SiteSystem()

            @classmethod
            def site_system(cls, *answers: Answer) -> SiteSystem:
                cls.system = SiteSystem(*answers)
                return cls.system

        sms_server.judge, hook_server.judge = provider, lambda request: Wired.system(request)
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp_server.port,
            SMTP_FROM=SENDER,
            SMTP_TLS="none",
            SMTP_TIMEOUT=2.0,
            SMS_ACCOUNT_SID=SMS_SID,
            SMS_AUTH_TOKEN=SMS_TOKEN,
            SMS_FROM=SMS_FROM,
            SMS_BASE_URL=sms_server.url,
            WEBHOOK_TIMEOUT=0.5,
        )
        monkeypatch.setenv(SECRET_ENV, SECRET)
        endpoints.add(
            make_uow(),
            site_id=site.site_id,
            url=hook_server.url + "/hooks",
            secret_env=SECRET_ENV,
            now=MONDAY_8AM,
        )
        yield Wired


def passes(app, database, clock, count: int) -> list[int]:
    """`count` worker passes, the clock moved past the longest backoff after each; tries made per pass."""
    channels = delivery.channels_from_config(app.config, database)
    made = []
    for _ in range(count):
        made.append(delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w"))
        clock.advance(seconds=5)
    return made


def remote_ticket(make_uow, site_id: int, phone: str = TICKET_PHONE):
    return tickets.join_remote(
        make_uow(),
        site_id=site_id,
        service_code="DRAW",
        contact=Contact("Ben Ortiz", phone, None),
        expected_arrival_at=MONDAY_8AM + timedelta(minutes=20),
        client_address="192.0.2.1",
        counters=TableCounters(),
        now=MONDAY_8AM,
        secret_key="test-secret",
        opt_ins=appointments.OptIns(sms=True, email=False, language="en"),
    )


def call(make_uow, site, ticket_id: int) -> None:
    corrections.mark_present(make_uow(), ticket_id=ticket_id, actor="staff", now=MONDAY_8AM)
    calling.call_ticket(
        make_uow(),
        ticket_id=ticket_id,
        station_id=site.station_ids["Station 1"],
        actor="staff",
        now=MONDAY_8AM,
    )


def deliveries(make_uow, channel: str) -> list[Delivery]:
    with make_uow(write=False) as uow:
        return list(
            uow.session.scalars(select(Delivery).where(Delivery.channel == channel).order_by(Delivery.id))
        )


def try_details(make_uow, delivery_id: int) -> list[str | None]:
    with make_uow(write=False) as uow:
        return list(
            uow.session.scalars(
                select(DeliveryAttempt.detail)
                .where(DeliveryAttempt.delivery_id == delivery_id)
                .order_by(DeliveryAttempt.number)
            )
        )


def test_each_event_reaches_each_channel_once(wired, app, site, make_uow, database, clock, backend):
    """A Spanish booking with both opt-ins: email (.ics), SMS (no service), webhook; a called ticket: SMS with the station."""
    booking = book(make_uow, site.site_id, sms=True, email=True, language="es")
    ticket = remote_ticket(make_uow, site.site_id)
    call(make_uow, site, ticket.id)
    made = passes(app, database, clock, 3)
    assert made[1:] == [0, 0], made  # everything went on the first pass; nothing after

    [(to, mail)] = wired.mailbox.messages
    [email_row] = deliveries(make_uow, "email")
    assert to == [EMAIL]
    assert mail["Subject"] == "Su cita en Riverside PSC está reservada"
    assert mail["Content-Language"] == "es"
    assert mail["Message-ID"] == message_id(email_row.key, SENDER)
    [calendar] = list(mail.iter_attachments())
    assert (calendar.get_filename(), calendar.get_content_type()) == (
        f"{booking.reference}.ics",
        "text/calendar",
    )
    assert b"BEGIN:VEVENT" in calendar.get_payload(decode=True)

    booked_sms, called_sms = wired.texts
    assert (booked_sms["To"], called_sms["To"]) == (PHONE, TICKET_PHONE)
    assert "Riverside PSC" in booked_sms["Body"]
    assert "Blood draw" not in booked_sms["Body"] and "Drink water" not in booked_sms["Body"]
    assert "Station 1" in called_sms["Body"] and ticket.code in called_sms["Body"]
    assert Counter(text["key"] for text in wired.texts).most_common(1)[0][1] == 1

    hook_rows = deliveries(make_uow, "webhook")
    system_ids = [row.key for row in hook_rows]
    assert [r.headers["webhook-id"] for r in wired.hooks] == system_ids  # one post each, all verified
    assert list(wired.system.handled) == system_ids
    types = [payload["type"] for payload in wired.system.handled.values()]
    assert types[0] == "appointment.booked" and "ticket.called" in types
    assert {status for *_, status in rows(make_uow)} == {"sent"}
    print(
        f"\n[{backend}] all channels: {len(wired.mailbox.messages)} email, {len(wired.texts)} SMS, "
        f"{len(wired.hooks)} webhooks ({', '.join(types)}), each once"
    )


def test_smtp_down_for_three_passes_then_back_delivers_the_email_once(
    wired, app, site, make_uow, database, clock, backend
):
    """SMTP stopped for 3 passes, then started again: 1 email; log: 3 temporary tries, then sent."""
    wired.smtp.stop()
    book(make_uow, site.site_id, sms=False, email=True)
    [row] = deliveries(make_uow, "email")
    passes(app, database, clock, 3)
    assert wired.mailbox.messages == []
    wired.smtp.start()
    passes(app, database, clock, 3)

    assert len(wired.mailbox.messages) == 1
    assert tries(make_uow, row.id) == [(1, "temporary"), (2, "temporary"), (3, "temporary"), (4, "sent")]
    assert all("SMTP server 127.0.0.1" in (d or "") for d in try_details(make_uow, row.id)[:3])
    print(
        f"\n[{backend}] SMTP down 3 passes: arrived {len(wired.mailbox.messages)}x, tries {tries(make_uow, row.id)}"
    )


def test_a_webhook_answered_500_then_timed_out_then_200_is_handled_once(
    wired, app, site, make_uow, database, clock, backend
):
    """500, then a time-out (handled, answered late), then 204: 3 posts, one webhook-id, handled once."""
    system = wired.site_system(Answer(500), Answer(204, hang=True), Answer(204))
    book(make_uow, site.site_id, sms=False, email=False)
    [row] = deliveries(make_uow, "webhook")
    passes(app, database, clock, 4)

    assert system.ids == [row.key] * 3
    assert list(system.handled) == [row.key]
    assert system.handled[row.key]["type"] == "appointment.booked"
    assert tries(make_uow, row.id) == [(1, "temporary"), (2, "temporary"), (3, "sent")]
    first, second, _ = try_details(make_uow, row.id)
    assert "500" in (first or "") and "timed out" in (second or "")
    print(
        f"\n[{backend}] webhook 500/time-out/200: {len(system.ids)} posts with one webhook-id, "
        f"handled {len(system.handled)}x, tries {tries(make_uow, row.id)}"
    )


def test_stop_by_sms_keeps_later_texts_from_the_provider(
    wired, app, site, make_uow, database, clock, backend
):
    """After a signed STOP, later SMS to that number are written opted_out and the provider gets none."""
    booking = book(make_uow, site.site_id, sms=True, email=False)
    passes(app, database, clock, 1)
    assert [text["To"] for text in wired.texts] == [PHONE]

    form = {"MessageSid": "SM5f1e", "AccountSid": SMS_SID, "From": PHONE, "To": SMS_FROM, "Body": "STOP"}
    signature = twilio_signature(SMS_TOKEN, "http://localhost/api/v1/sms/inbound", form.items())
    answer = app.test_client().post(
        "/api/v1/sms/inbound", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert answer.status_code == 200

    appointments.reschedule(
        make_uow(),
        reference=booking.reference,
        token=booking.token,
        starts_at=TUESDAY_9AM + timedelta(minutes=15),
        now=MONDAY_8AM,
        secret_key="test-secret",
    )
    call(make_uow, site, remote_ticket(make_uow, site.site_id, phone=PHONE).id)
    passes(app, database, clock, 2)

    sms = [(kind, status) for kind, channel, to, status in rows(make_uow) if channel == "sms"]
    assert sms == [
        ("appointment.booked", "sent"),
        ("appointment.rescheduled", "opted_out"),
        ("ticket.called", "opted_out"),
    ]
    assert len(wired.texts) == 1
    print(f"\n[{backend}] STOP: provider got {len(wired.texts)} SMS; after STOP: {sms[1:]}")


def _until(predicate, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the worker stopped ({process.returncode}): {process.stdout.read()}")
        assert time.monotonic() < deadline, f"waited {WAIT_SECONDS} s for {what}"
        time.sleep(0.05)


@pytest.mark.slow  # two `schedq worker` processes and a lease: about 10 s a database
def test_a_worker_killed_after_smtp_took_the_email_sends_it_again_with_the_same_message_id(
    site, make_uow, database_url, smtp_server, tmp_path, backend
):
    """SMTP's limit: the server accepted (250), the worker died before marking; the next worker sends
    it again, so the mailbox holds two copies with one Message-ID, and the log shows interrupted, sent."""
    book(make_uow, site.site_id, sms=False, email=True)
    [row] = deliveries(make_uow, "email")
    env = os.environ | {
        "SCHEDQ_DATABASE_URL": database_url,
        "SCHEDQ_INSTANCE_DIR": str(tmp_path / "worker-instance"),
        "SCHEDQ_SECRET_KEY": "test-secret",
        "SCHEDQ_SEED_DEMO": "false",
        "SCHEDQ_ESTIMATOR_WARM_UP": "false",
        "SCHEDQ_NOTIFY_LEASE_SECONDS": "1",
        "SCHEDQ_NOTIFY_POLL_SECONDS": "0.1",
        "SCHEDQ_SMTP_HOST": "127.0.0.1",
        "SCHEDQ_SMTP_PORT": str(smtp_server.port),
        "SCHEDQ_SMTP_FROM": SENDER,
        "SCHEDQ_SMTP_TLS": "none",
    }
    mailbox = smtp_server.handler
    mailbox.hold_quit = True  # the message is accepted; the worker waits on QUIT, before marking
    worker = subprocess.Popen(
        [SCHEDQ, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
    )
    try:
        _until(lambda: len(mailbox.messages) == 1, "the server to accept the email", worker)
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=WAIT_SECONDS)
    mailbox.hold_quit = False
    assert tries(make_uow, row.id) == [(1, None)]

    with make_uow(write=False) as uow:
        lease = uow.session.get_one(Delivery, row.id).lease_until
    assert lease is not None
    _until(lambda: datetime.now(UTC) > lease, "the lease to run out")
    again = subprocess.run(
        [SCHEDQ, "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=WAIT_SECONDS,
    )
    assert again.returncode == 0, again.stdout + again.stderr

    ids = [mail["Message-ID"] for _, mail in mailbox.messages]
    assert ids == [message_id(row.key, SENDER)] * 2
    assert tries(make_uow, row.id) == [(1, "interrupted"), (2, "sent")]
    with make_uow(write=False) as uow:
        assert uow.session.get_one(Delivery, row.id).status == "sent"
    print(f"\n[{backend}] worker killed after SMTP 250: {len(ids)} copies, {len(set(ids))} Message-ID")
