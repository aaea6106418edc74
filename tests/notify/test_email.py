"""Email over SMTP, against aiosmtpd's server started by each test on a local port (README: "Channels")."""

from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from schedq.notify.channels.email import EmailChannel, message_id
from schedq.notify.message import (
    Attachment,
    ChannelName,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from schedq.notify.settings import SmtpSettings, SmtpTls
from tests.notify.servers import Mailbox, free_port

SENDER = "Riverside Lab <noreply@lab.example>"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//schedq//EN\r\nEND:VCALENDAR\r\n"


def booking_email(key: str = "delivery-42-email", to: str = "ana@example.org") -> Outgoing:
    return Outgoing(
        key=key,
        channel=ChannelName.EMAIL,
        to=to,
        subject="Your appointment at Riverside Lab",
        text="Your appointment is on Monday 2 March at 09:30.\nFasting: nothing to eat for 8 hours before.",
        language="en",
        attachments=(Attachment("appointment.ics", "text/calendar; method=PUBLISH", ICS),),
        headers={"List-Unsubscribe": "<https://lab.example/unsubscribe#t=abc>"},
    )


def plain_channel(port: int, **settings) -> EmailChannel:
    return EmailChannel(
        SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, tls=SmtpTls.NONE, timeout=5, **settings)
    )


def test_the_server_receives_the_email_with_its_calendar_file_and_a_message_id_from_the_key(mailbox):
    handler, port = mailbox
    provider_id = plain_channel(port).send(booking_email())

    [(recipients, mail)] = handler.messages
    assert recipients == ["ana@example.org"]
    assert mail["Message-ID"] == "<delivery-42-email@lab.example>" == provider_id
    assert mail["From"] == SENDER
    assert mail["Subject"] == "Your appointment at Riverside Lab"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Content-Language"] == "en"
    assert mail["List-Unsubscribe"] == "<https://lab.example/unsubscribe#t=abc>"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and "Fasting: nothing to eat for 8 hours before." in body.get_content()
    [calendar] = list(mail.iter_attachments())
    assert calendar.get_filename() == "appointment.ics"
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "PUBLISH"
    assert calendar.get_payload(decode=True) == ICS


def test_a_site_with_its_own_sender_sends_from_it(mailbox):
    handler, port = mailbox
    own = "Northside Lab <northside@lab.example>"
    plain_channel(port).send(replace(booking_email(), sender=own))
    [(_, mail)] = handler.messages
    assert mail["From"] == own
    assert mail["Message-ID"] == "<delivery-42-email@lab.example>"


def test_a_resend_of_the_same_delivery_carries_the_same_message_id(mailbox):
    handler, port = mailbox
    channel = plain_channel(port)
    channel.send(booking_email())
    channel.send(booking_email())
    channel.send(booking_email(key="delivery-43-email"))

    ids = [mail["Message-ID"] for _, mail in handler.messages]
    assert ids == ["<delivery-42-email@lab.example>"] * 2 + ["<delivery-43-email@lab.example>"]


def test_a_key_a_message_id_cannot_carry_is_hashed_the_same_way_every_time():
    first = message_id("event 7/ana@example.org", SENDER)
    assert first == message_id("event 7/ana@example.org", SENDER)
    assert first != message_id("event 8/ana@example.org", SENDER)
    assert first.endswith("@lab.example>") and " " not in first and first.count("@") == 1


def test_a_message_that_cannot_be_written_as_email_is_permanent_and_nothing_is_sent(mailbox):
    handler, port = mailbox
    broken = Outgoing(
        key="delivery-44-email",
        channel=ChannelName.EMAIL,
        to="ana@example.org",
        subject="Hi\nBcc: x@y.z",
        text=".",
    )
    with pytest.raises(PermanentFailure, match="cannot be written as email"):
        plain_channel(port).send(broken)
    assert handler.messages == []


def test_smtp_down_is_a_temporary_failure():
    with pytest.raises(TemporaryFailure, match="127.0.0.1"):
        plain_channel(free_port()).send(booking_email())


def test_a_refused_recipient_is_a_permanent_failure(mailbox):
    handler, port = mailbox
    handler.refuse.add("nobody@example.org")
    with pytest.raises(PermanentFailure, match="550"):
        plain_channel(port).send(booking_email(to="nobody@example.org"))
    assert handler.messages == []


def test_a_deferred_recipient_is_a_temporary_failure(mailbox):
    handler, port = mailbox
    handler.defer.add("busy@example.org")
    with pytest.raises(TemporaryFailure, match="451"):
        plain_channel(port).send(booking_email(to="busy@example.org"))


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1, made with the system's openssl."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return key, cert


@pytest.fixture
def tls_mailbox(certificate):
    import ssl

    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        good = auth_data.login == b"lab" and auth_data.password == b"right"
        return AuthResult(success=good, handled=False)  # aiosmtpd answers 535 itself

    handler = Mailbox()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
    )
    controller.start()
    yield handler, controller.port, str(cert)
    controller.stop()


def test_starttls_and_login_deliver_to_a_server_that_requires_them(tls_mailbox):
    handler, port, cert = tls_mailbox
    channel = EmailChannel(
        SmtpSettings(
            host="127.0.0.1",
            port=port,
            sender=SENDER,
            tls=SmtpTls.STARTTLS,
            user="lab",
            password="right",
            ca_file=cert,
            timeout=5,
        )
    )
    channel.send(booking_email())
    assert [mail["Message-ID"] for _, mail in handler.messages] == ["<delivery-42-email@lab.example>"]


def test_a_refused_login_is_temporary_so_the_message_goes_once_the_settings_are_fixed(tls_mailbox):
    handler, port, cert = tls_mailbox
    settings = dict(host="127.0.0.1", port=port, sender=SENDER, user="lab", ca_file=cert, timeout=5)
    with pytest.raises(TemporaryFailure, match="535"):
        EmailChannel(SmtpSettings(**settings, password="wrong")).send(booking_email())
    EmailChannel(SmtpSettings(**settings, password="right")).send(booking_email())
    assert len(handler.messages) == 1


def test_a_certificate_the_channel_does_not_trust_is_temporary(tls_mailbox):
    handler, port, _ = tls_mailbox
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, timeout=5))
    with pytest.raises(TemporaryFailure, match="SSL|certificate"):
        channel.send(booking_email())
    assert handler.messages == []


def test_starttls_asked_of_a_server_without_it_is_temporary(mailbox):
    _, port = mailbox
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, timeout=5))
    with pytest.raises(TemporaryFailure, match="STARTTLS"):
        channel.send(booking_email())
