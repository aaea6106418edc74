"""The LOG channel: with no channel configured, messages are kept in the database for the demo's page.

A newcomer running `./scripts/run` with nothing set up sees on
`/staff/<site>/messages` what a patient (or a site's system) would have
received. The sink honours the delivery key like a provider would: the same
key twice keeps one message. With `SCHEDQ_NOTIFY_LOG_FILE` set, each message
delivered is also appended to that file as one JSON line (to follow with `tail -f`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from schedq.db.engine import Database
from schedq.db.models import LoggedMessage
from schedq.db.uow import UnitOfWork
from schedq.notify.message import ChannelName, Outgoing


class LogChannel:
    name = ChannelName.LOG

    def __init__(
        self, database: Database, *, file: str | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.database = database
        self.file = Path(file) if file else None
        self.clock = clock or (lambda: datetime.now(UTC))

    def send(self, message: Outgoing) -> str | None:
        kept = self._keep(message)
        if self.file is not None:
            line = {
                "key": message.key,
                "channel": message.channel.value,
                "to": message.to,
                "subject": message.subject,
                "text": message.text,
            }
            with self.file.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")
        return f"log-{kept}"

    def _keep(self, message: Outgoing) -> int:
        """The sink's id for the message, kept once per key."""
        with UnitOfWork(self.database) as uow:
            found = uow.session.scalar(select(LoggedMessage.id).where(LoggedMessage.key == message.key))
            if found is not None:
                return found
            row = LoggedMessage(
                key=message.key,
                channel=message.channel.value,
                recipient=message.to,
                subject=message.subject,
                text=message.text,
                language=message.language,
                attachments=[a.filename for a in message.attachments],
                at=self.clock(),
            )
            uow.session.add(row)
            try:
                uow.commit()
            except IntegrityError:  # the same key kept by another worker a moment ago
                uow.rollback()
                return uow.session.scalars(
                    select(LoggedMessage.id).where(LoggedMessage.key == message.key)
                ).one()
            return row.id
