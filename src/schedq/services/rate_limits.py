"""Counters for the per-address limits, shared by every worker and host (README: limits).

A limit allows `limit` hits of one key (say remote joins at site 3 from one
client address) in each fixed window of time (windows are aligned on the
epoch: an hour's window runs from :00 to :00, UTC). A hit beyond the limit is
refused and not counted; the refusal says when the window ends, for
`Retry-After`. Addresses are kept hashed, and only until their window ends.

Where the counts live:

- `TableCounters` (the default): the `rate_counters` table of the site's own
  database, one row per key and window, counted in the caller's transaction
  with one `INSERT … ON CONFLICT DO UPDATE … WHERE hits < limit RETURNING`, so
  concurrent workers on PostgreSQL or on the embedded SQLite file never count
  past the limit, and a write that fails later takes its hit back with it.
- `RedisCounters`, when `SCHEDQ_REDIS_URL` is set: `INCR` on a key that
  expires with its window.

Both follow the app's clock (`now` is passed in), as every rule in schedq does.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, SQLColumnExpression, delete, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from schedq.db.models import RateCounter
from schedq.db.uow import UnitOfWork
from schedq.domain.contact import Contact
from schedq.domain.errors import TooManyRequests

FORGET_BATCH = 100
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime


def window_of(now: datetime, length: timedelta) -> Window:
    """The fixed window of `length` that holds `now`."""
    start = EPOCH + ((now - EPOCH) // length) * length
    return Window(start, start + length)


def address_key(kind: str, site_id: int, address: str) -> str:
    """The counter's key for writes of `kind` at a site from one client address (the address hashed)."""
    return f"{kind}:{site_id}:{hashlib.sha256(address.encode()).hexdigest()[:32]}"


class Counters(Protocol):
    def take(
        self, uow: UnitOfWork, *, key: str, limit: int, window: timedelta, now: datetime
    ) -> datetime | None:
        """Count one hit of `key` now: None when counted, or (limit reached) when the window ends."""
        ...


class TableCounters:
    """Counts in the `rate_counters` table, inside the caller's unit of work."""

    def take(
        self, uow: UnitOfWork, *, key: str, limit: int, window: timedelta, now: datetime
    ) -> datetime | None:
        current = window_of(now, window)
        if limit < 1:
            return current.end
        session = uow.session
        _forget_ended(session, now)
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = insert(RateCounter).values(
            key=key, window_start=current.start, window_end=current.end, hits=1
        )
        counting = statement.on_conflict_do_update(
            index_elements=[RateCounter.key, RateCounter.window_start],
            set_={"hits": RateCounter.hits + 1},
            where=RateCounter.hits < limit,
        ).returning(RateCounter.hits)
        counted = session.execute(counting).scalar_one_or_none()
        return None if counted is not None else current.end


def _forget_ended(session, now: datetime) -> None:
    """Drop counts of ended windows, skipping rows another request is dropping right now."""
    ended = (
        select(RateCounter.key, RateCounter.window_start)
        .where(RateCounter.window_end <= now)
        .limit(FORGET_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(RateCounter).where(tuple_(RateCounter.key, RateCounter.window_start).in_(ended)))


class RedisCounters:
    """Counts on Redis: one key per counter and window, expiring when the window ends."""

    def __init__(self, url: str, *, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def take(
        self, uow: UnitOfWork, *, key: str, limit: int, window: timedelta, now: datetime
    ) -> datetime | None:
        current = window_of(now, window)
        if limit < 1:
            return current.end
        name = f"{self.prefix}:rate:{key}:{int(current.start.timestamp())}"
        # A relative expiry: the app's clock, not Redis's, says where the window is.
        ttl_ms = int((current.end - now).total_seconds() * 1000) + 60_000
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(name)
        pipe.pexpire(name, ttl_ms)
        hits, _ = pipe.execute()
        if hits > limit:
            self.client.decr(name)  # refused hits are not counted
            return current.end
        return None


ADDRESS_WINDOW = timedelta(hours=1)
CONTACT_WINDOW = timedelta(days=1)


def take_address_hit(
    counters: Counters,
    uow: UnitOfWork,
    *,
    kind: str,
    site_id: int,
    address: str | None,
    per_hour: int,
    what: str,
    now: datetime,
) -> None:
    """Count one write of `kind` from `address` at the site; TooManyRequests past `per_hour` in this hour."""
    if not address:
        return
    key = address_key(kind, site_id, address)
    ends = counters.take(uow, key=key, limit=per_hour, window=ADDRESS_WINDOW, now=now)
    if ends is not None:
        raise TooManyRequests(
            f"too many {what} from this address; try again later",
            retry_after_seconds=math.ceil((ends - now).total_seconds()),
            per="address",
            count=per_hour,
        )


def same_contact(
    phone: SQLColumnExpression[str | None], email: SQLColumnExpression[str | None], contact: Contact
) -> ColumnElement[bool]:
    """The condition on a table's phone and email columns for rows written by `contact` (by either)."""
    return or_(
        *(column == value for column, value in ((phone, contact.phone), (email, contact.email)) if value)
    )


def refuse_contact_over_limit(joined_at: list[datetime], *, per_day: int, what: str, now: datetime) -> None:
    """TooManyRequests when the contact's writes in the last 24 hours (`joined_at`) reach `per_day`.

    Retry-After is when the oldest of them leaves the 24 hours.
    """
    recent = sorted(at for at in joined_at if at > now - CONTACT_WINDOW)
    if len(recent) < per_day:
        return
    frees_at = recent[len(recent) - per_day] + CONTACT_WINDOW if per_day >= 1 else now + CONTACT_WINDOW
    raise TooManyRequests(
        f"at most {per_day} {what} a day for the same contact",
        retry_after_seconds=math.ceil((frees_at - now).total_seconds()),
        per="contact",
        count=per_day,
    )
