"""Email over SMTP with the standard library: one message, one recipient, one connection.

The Message-ID is derived from the delivery key, so the same message tried
twice (a worker that crashed after the server took it and before it was
marked sent) carries the same Message-ID both times: mail clients and many
servers show it once, and anyone reading the logs can tell a resend from a
new message. SMTP has no idempotency key of its own; this is the closest it
has (README: "Channels").

What the server answers decides what a failure is: a connection that cannot
be made or drops, a time-out, or a 4xx reply is a `TemporaryFailure`; a 5xx
reply to the message (a refused recipient, a refused sender, a refused
message) is a `PermanentFailure`. A server that will not greet us or refuses
our login is temporary whatever its code: the deployment's settings are at
fault, not the message, and once they are fixed the message still goes.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from schedq.notify.message import (
    Attachment,
    ChannelName,
    DeliveryFailure,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from schedq.notify.settings import SmtpSettings, SmtpTls

# What RFC 5322 allows on the left of a msg-id's "@" (dot-atom text), so a key made of it is kept as is.
_MSGID_SAFE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}")
# Headers the channel writes itself; the same names in `Outgoing.headers` are ignored.
_OWN_HEADERS = {"from", "to", "subject", "date", "message-id", "auto-submitted", "content-language"}


def message_id(key: str, sender: str) -> str:
    """`<key@sender's domain>`: the same for every try of one delivery; keys RFC 5322 cannot carry are hashed."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "schedq.invalid"
    left = key if _MSGID_SAFE.fullmatch(key) and ".." not in key and not key.startswith(".") else None
    if left is None or left.endswith("."):
        left = "k" + hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"<{left}@{domain}>"


class EmailChannel:
    name = ChannelName.EMAIL

    def __init__(self, settings: SmtpSettings, *, clock=lambda: datetime.now(UTC)) -> None:
        self.settings = settings
        self._clock = clock

    def build(self, message: Outgoing) -> EmailMessage:
        """The MIME message for `message`: plain text, then each attachment (a booking's `.ics`)."""
        mail = EmailMessage()
        mail["From"] = self.sender_of(message)
        mail["To"] = message.to
        mail["Subject"] = message.subject or ""
        mail["Date"] = format_datetime(self._clock().astimezone(UTC))
        mail["Message-ID"] = message_id(message.key, self.sender_of(message))
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
        for name, value in message.headers.items():
            if name.lower() not in _OWN_HEADERS:
                mail[name] = value
        mail.set_content(message.text)
        for attachment in message.attachments:
            _attach(mail, attachment)
        # Last: set_content and add_attachment clear or move every Content-* header written before them.
        mail["Content-Language"] = message.language
        return mail

    def sender_of(self, message: Outgoing) -> str:
        """The site's own sender when it has one (`email_from`), else the deployment's (`SCHEDQ_SMTP_FROM`)."""
        return message.sender or self.settings.sender

    def send(self, message: Outgoing) -> str | None:
        """Hand `message` to the SMTP server; returns its Message-ID. Raises DeliveryFailure."""
        try:
            mail = self.build(message)
        except ValueError as error:  # a header holding a line break, an unreadable content type...
            raise PermanentFailure(f"the message cannot be written as email: {error}") from error
        try:
            with self._connect() as smtp:
                smtp.send_message(
                    mail, from_addr=parseaddr(self.sender_of(message))[1], to_addrs=[message.to]
                )
        except DeliveryFailure:
            raise
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _by_code(code, f"recipient refused: {code} {_text(reply)}") from error
        except (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError) as error:
            # The server or the deployment's settings, not this message: fixed settings let it go later.
            raise TemporaryFailure(
                f"SMTP server {self._where()}: {type(error).__name__}: {error.smtp_code} {_text(error.smtp_error)}"
            ) from error
        except smtplib.SMTPResponseException as error:  # the sender or the message refused
            raise _by_code(
                error.smtp_code, f"{type(error).__name__}: {error.smtp_code} {_text(error.smtp_error)}"
            ) from error
        except (smtplib.SMTPException, OSError) as error:  # refused, dropped, timed out, TLS failed
            raise TemporaryFailure(f"SMTP server {self._where()}: {type(error).__name__}: {error}") from error
        return str(mail["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context(cafile=settings.ca_file)
        if settings.tls is SmtpTls.SSL:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            smtp.ehlo()
            if settings.tls is SmtpTls.STARTTLS:
                if not smtp.has_extn("starttls"):
                    raise TemporaryFailure(f"SMTP server {self._where()} does not offer STARTTLS")
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"


def _attach(mail: EmailMessage, attachment: Attachment) -> None:
    kind, *params = (part.strip() for part in attachment.content_type.split(";"))
    maintype, _, subtype = kind.partition("/")
    extra = dict(param.split("=", 1) for param in params if "=" in param)
    mail.add_attachment(
        attachment.data,
        maintype=maintype,
        subtype=subtype or "octet-stream",
        filename=attachment.filename,
        params={k: v.strip('"') for k, v in extra.items()},
    )


def _by_code(code: int, reason: str) -> DeliveryFailure:
    """SMTP reply classes: 4xx is transient (try again), 5xx permanent (RFC 5321 section 4.2.1)."""
    return PermanentFailure(reason) if 500 <= code < 600 else TemporaryFailure(reason)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
