"""One estimate per site state, shared by every worker and host (single flight).

The service layer asks the store for "the result of kind K for site S at state
V" and hands it the function that computes it; the estimator knows nothing of
where results live. A state names everything an estimate depends on: the
site's `state_version`, the model's `fitted_at` and the time bucket the
estimate is made for (estimates age with time even when nothing changes).

Single flight: the first worker to ask for a new state takes the site's lease
for that kind and computes; the others either serve the previous state's
answer, marked stale with its age, or (when they cannot use it: a ticket that
just joined is not in it) wait for the result. At most one computation per
site and kind runs at a time; a lease expires after `LEASE_SECONDS`, so a
worker that dies mid-computation does not stall the site.

Where results live:

- `TableEstimateStore` (the default): the `shared_estimates` table of the
  site's own database, one row per site and kind holding the state it answers
  for, when it was computed and the JSON payload, plus the lease. Leases are
  taken by a conditional UPDATE: PostgreSQL's row lock and SQLite's write lock
  let exactly one worker, in any process on any host, win it.
- `RedisEstimateStore`, when `SCHEDQ_REDIS_URL` is set: the same on Redis
  (`SET NX PX` for the lease), keeping the database free of estimate writes.

Reading a state that is already stored writes nothing. Payloads are JSON;
instants and infinities are tagged so they come back as they went in.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from cachetools import LRUCache
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from schedq.db.engine import Database, make_engine
from schedq.db.models import SharedEstimate

LEASE_SECONDS = 15.0
"""How long a computing worker holds a site's lease before another may take over."""

POLL_SECONDS = 0.02
"""How often a waiting worker looks for the result."""

_kept_lock = threading.Lock()

REDIS_TTL_SECONDS = 24 * 3600
"""Redis keeps a result this long after it was last written."""


@dataclass(frozen=True, slots=True)
class Stored:
    """A result the store answered with."""

    payload: Any
    state: str
    computed_at: datetime
    fresh: bool  # False: the previous state's answer, served while another worker computes

    def age_seconds(self, now: datetime) -> float:
        return max((now - self.computed_at).total_seconds(), 0.0)


class EstimateStore(Protocol):
    def fetch(
        self,
        *,
        site_id: int,
        kind: str,
        state: str,
        compute: Callable[[], Any],
        now: datetime,
        stale_ok: bool = True,
    ) -> Stored:
        """The result of `kind` for `site_id` at `state`, computed once across workers by `compute`."""
        ...


KEPT_RESULTS = 512
"""Results one process keeps after reading or computing them: the latest state's of a site and kind each,
for this many sites and kinds (least recently used dropped), tens of kilobytes each."""


class _SingleFlight:
    """The single-flight protocol over three primitives a backend provides.

    A result never changes once stored for its state (the state names all it
    depends on), so each process keeps the last result it has read or computed
    for each site and kind: the wait, the display feed and the tickets of a site
    built in one worker for one state read the store once between them.
    """

    def _kept(self) -> LRUCache:
        kept = self.__dict__.get("_kept_states")
        if kept is None:
            kept = self.__dict__.setdefault("_kept_states", LRUCache(KEPT_RESULTS))
        return kept

    def _keep(self, site_id: int, kind: str, stored: Stored) -> Stored:
        with _kept_lock:
            self._kept()[(site_id, kind)] = stored
        return stored

    def read(self, site_id: int, kind: str) -> Stored | None:
        raise NotImplementedError

    def take_lease(self, site_id: int, kind: str, state: str) -> bool:
        raise NotImplementedError

    def save(self, site_id: int, kind: str, state: str, computed_at: datetime, payload: Any) -> None:
        """Keep the result and give the lease back."""
        raise NotImplementedError

    def release(self, site_id: int, kind: str, state: str) -> None:
        raise NotImplementedError

    def fetch(
        self,
        *,
        site_id: int,
        kind: str,
        state: str,
        compute: Callable[[], Any],
        now: datetime,
        stale_ok: bool = True,
    ) -> Stored:
        with _kept_lock:
            kept = self._kept().get((site_id, kind))
        if kept is not None and kept.state == state:
            return kept
        give_up = time.monotonic() + 2 * LEASE_SECONDS
        while True:
            found = self.read(site_id, kind)
            if found is not None and found.state == state:
                return self._keep(site_id, kind, found)
            if self.take_lease(site_id, kind, state):
                # Another worker may have saved this state and let its lease go between
                # our read and our lease: look once more before computing it again.
                found = self.read(site_id, kind)
                if found is not None and found.state == state:
                    self.release(site_id, kind, state)
                    return self._keep(site_id, kind, found)
                try:
                    payload = decode(encode(compute()))
                except BaseException:
                    self.release(site_id, kind, state)
                    raise
                self.save(site_id, kind, state, now, payload)
                return self._keep(site_id, kind, Stored(payload, state, now, fresh=True))
            if stale_ok and found is not None:
                return Stored(found.payload, found.state, found.computed_at, fresh=False)
            if time.monotonic() > give_up:
                # The store is unreachable in practice (leases keep being renewed):
                # answer anyway, without keeping it.
                return Stored(decode(encode(compute())), state, now, fresh=True)
            time.sleep(POLL_SECONDS)


class TableEstimateStore(_SingleFlight):
    """Results in the `shared_estimates` table of the database itself.

    The store has a small connection pool of its own: a request waiting for a
    result holds its own connection meanwhile, and must never find the pool
    empty of connections to look for that result with.
    """

    def __init__(self, database: Database) -> None:
        self.engine = make_engine(database.url)
        weakref.finalize(self, self.engine.dispose)

    def _writer(self):
        # On SQLite take the write lock at BEGIN, so the UPDATE waits its turn
        # instead of failing on a snapshot another writer moved.
        return self.engine.connect().execution_options(sqlite_begin="BEGIN IMMEDIATE")

    def read(self, site_id: int, kind: str) -> Stored | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(SharedEstimate.state_key, SharedEstimate.computed_at, SharedEstimate.payload).where(
                    SharedEstimate.site_id == site_id, SharedEstimate.kind == kind
                )
            ).one_or_none()
            connection.rollback()
        if row is None or row.state_key is None:
            return None
        return Stored(decode(row.payload), row.state_key, row.computed_at, fresh=True)

    def take_lease(self, site_id: int, kind: str, state: str) -> bool:
        wall = datetime.now(UTC)
        with self._writer() as connection, connection.begin():
            dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
            connection.execute(
                dialect.insert(SharedEstimate).values(site_id=site_id, kind=kind).on_conflict_do_nothing()
            )
            taken = connection.execute(
                update(SharedEstimate)
                .where(
                    SharedEstimate.site_id == site_id,
                    SharedEstimate.kind == kind,
                    (SharedEstimate.state_key.is_(None)) | (SharedEstimate.state_key != state),
                    (SharedEstimate.lease_key.is_(None)) | (SharedEstimate.lease_expires_at < wall),
                )
                .values(lease_key=state, lease_expires_at=wall + timedelta(seconds=LEASE_SECONDS))
            )
            return taken.rowcount == 1

    def save(self, site_id: int, kind: str, state: str, computed_at: datetime, payload: Any) -> None:
        with self._writer() as connection, connection.begin():
            connection.execute(
                update(SharedEstimate)
                .where(
                    SharedEstimate.site_id == site_id,
                    SharedEstimate.kind == kind,
                    SharedEstimate.lease_key == state,
                )
                .values(
                    state_key=state,
                    computed_at=computed_at,
                    payload=encode(payload),
                    lease_key=None,
                    lease_expires_at=None,
                )
            )

    def release(self, site_id: int, kind: str, state: str) -> None:
        with self._writer() as connection, connection.begin():
            connection.execute(
                update(SharedEstimate)
                .where(
                    SharedEstimate.site_id == site_id,
                    SharedEstimate.kind == kind,
                    SharedEstimate.lease_key == state,
                )
                .values(lease_key=None, lease_expires_at=None)
            )


_RELEASE_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisEstimateStore(_SingleFlight):
    """Results in Redis: `<prefix>:estimate:<site>:<kind>` and its lease `<prefix>:lease:<site>:<kind>`."""

    def __init__(self, url: str, *, prefix: str) -> None:
        import redis  # only deployments that set SCHEDQ_REDIS_URL need it

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self._release = self.redis.register_script(_RELEASE_IF_OURS)

    def _keys(self, site_id: int, kind: str) -> tuple[str, str]:
        return f"{self.prefix}:estimate:{site_id}:{kind}", f"{self.prefix}:lease:{site_id}:{kind}"

    def read(self, site_id: int, kind: str) -> Stored | None:
        raw = self.redis.get(self._keys(site_id, kind)[0])
        if raw is None:
            return None
        found = json.loads(raw)
        return Stored(
            decode(found["payload"]), found["state"], datetime.fromisoformat(found["computed_at"]), fresh=True
        )

    def take_lease(self, site_id: int, kind: str, state: str) -> bool:
        return bool(
            self.redis.set(self._keys(site_id, kind)[1], state, nx=True, px=int(LEASE_SECONDS * 1000))
        )

    def save(self, site_id: int, kind: str, state: str, computed_at: datetime, payload: Any) -> None:
        value = json.dumps(
            {"state": state, "computed_at": computed_at.isoformat(), "payload": encode(payload)}
        )
        data, lease = self._keys(site_id, kind)
        self.redis.set(data, value, ex=REDIS_TTL_SECONDS)
        self._release(keys=[lease], args=[state])

    def release(self, site_id: int, kind: str, state: str) -> None:
        self._release(keys=[self._keys(site_id, kind)[1]], args=[state])

    def forget_all(self) -> None:
        """Drop every key under this store's prefix (tests, or a database recreated from scratch)."""
        for key in self.redis.scan_iter(match=f"{self.prefix}:*"):
            self.redis.delete(key)


# Which store serves a database ---------------------------------------------------------

_stores: weakref.WeakKeyDictionary[Database, EstimateStore] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def use(database: Database, store: EstimateStore) -> None:
    """Serve `database`'s estimates from `store` (the app does this when Redis is configured)."""
    with _stores_lock:
        _stores[database] = store


def store_for(database: Database) -> EstimateStore:
    """The store for `database`: the one set by `use`, else its own table."""
    with _stores_lock:
        store = _stores.get(database)
        if store is None:
            store = _stores[database] = TableEstimateStore(database)
        return store


def redis_prefix(base: str, database_url: str) -> str:
    """Keys of one database apart from another's on a shared Redis."""
    digest = hashlib.sha1(database_url.encode()).hexdigest()[:12]
    return f"{base}:{digest}"


# JSON payloads -----------------------------------------------------------------------


def encode(value: Any) -> Any:
    """`value` as plain JSON: instants and non-finite floats tagged, tuples as lists."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("payload keys must be strings")
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} in an estimate payload")


def decode(value: Any) -> Any:
    """The inverse of `encode`."""
    if isinstance(value, dict):
        if value.keys() == {"$datetime"}:
            return datetime.fromisoformat(value["$datetime"])
        if value.keys() == {"$float"}:
            return float(value["$float"])
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value
