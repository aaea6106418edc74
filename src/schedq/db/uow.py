"""The unit of work: one transaction per use case, rolled back unless committed.

After cosmicpython's `unit_of_work.py`: only use cases commit. Inside a
`shared_transaction` (a request retried with an Idempotency-Key, see
`api/idempotency.py`) every unit of work on that database runs as a savepoint
of the one shared transaction instead: its commit releases the savepoint, and
nothing is durable until the shared transaction commits, together with the
answer the request stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType

from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction, lazyload

from schedq.db.engine import Database
from schedq.db.models import Site, Station, Ticket


@dataclass(frozen=True, slots=True)
class _Shared:
    database: Database
    session: Session


_shared: ContextVar[_Shared | None] = ContextVar("schedq_shared_transaction", default=None)


@contextmanager
def shared_transaction(database: Database) -> Iterator[Session]:
    """One write transaction that every unit of work opened inside joins; the caller commits it.

    Left without a commit, everything done inside is rolled back.
    """
    session = database.session(write=True)
    token = _shared.set(_Shared(database, session))
    try:
        yield session
    finally:
        _shared.reset(token)
        session.close()


def in_shared_transaction(database: Database) -> bool:
    """Whether units of work on `database` opened now would join a shared transaction."""
    shared = _shared.get()
    return shared is not None and shared.database is database


class UnitOfWork:
    def __init__(self, database: Database, *, write: bool = True) -> None:
        self.database = database
        self.write = write
        self.session: Session
        self._savepoint: SessionTransaction | None = None

    def __enter__(self) -> UnitOfWork:
        shared = _shared.get()
        if shared is not None and shared.database is self.database:
            self.session = shared.session
            self._savepoint = self.session.begin_nested()
        else:
            self._savepoint = None
            self.session = self.database.session(write=self.write)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._savepoint is None:
            # close() rolls back whatever was not committed and detaches the objects
            # without expiring them, so what a use case returns stays readable.
            self.session.close()
            return
        if self._savepoint_open():
            try:
                self._savepoint.rollback()
            except Exception:
                if exc is None:
                    raise  # else the error already leaving (often a lost connection) says more

    def commit(self) -> None:
        if self._savepoint is None:
            self.session.commit()
            return
        self._savepoint.commit()
        self._savepoint = self.session.begin_nested()

    def rollback(self) -> None:
        if self._savepoint is None:
            self.session.rollback()
            return
        if self._savepoint_open():
            self._savepoint.rollback()
        self._savepoint = self.session.begin_nested()

    @property
    def sees_uncommitted(self) -> bool:
        """Whether what this unit of work reads may yet be rolled back: a write, or part of a shared transaction."""
        return self.write or in_shared_transaction(self.database)

    def _savepoint_open(self) -> bool:
        """Still to end: active, or failed in a flush and waiting for its rollback."""
        return self._savepoint is not None and self.session.get_nested_transaction() is self._savepoint

    def lock_site_of(self, owner: type[Ticket] | type[Station], owner_id: int) -> Site | None:
        """`lock_site` for the site of a ticket or station (`owner`: a model with `site_id`), in one statement."""
        return self._locked(Site.id == select(owner.site_id).where(owner.id == owner_id).scalar_subquery())

    def lock_site(self, site_id: int) -> Site | None:
        """The site row, locked until commit: serialises seat and queue decisions per site.

        On PostgreSQL a row lock (FOR UPDATE); on SQLite the write transaction
        already holds the database's single write lock (BEGIN IMMEDIATE).
        """
        return self._locked(Site.id == site_id)

    def _locked(self, which) -> Site | None:
        # Its collections load when first used, not with the lock: most writes need none of them.
        stmt = select(Site).where(which).options(lazyload("*"))
        if not self.database.is_sqlite:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()
