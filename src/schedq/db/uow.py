"""The unit of work: one transaction per use case, rolled back unless committed.

After cosmicpython's `unit_of_work.py`: only use cases commit.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import select
from sqlalchemy.orm import Session

from schedq.db.engine import Database
from schedq.db.models import Site


class UnitOfWork:
    def __init__(self, database: Database, *, write: bool = True) -> None:
        self.database = database
        self.write = write
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self.database.session(write=self.write)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches the objects
        # without expiring them, so what a use case returns stays readable.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def lock_site(self, site_id: int) -> Site | None:
        """The site row, locked until commit: serialises seat and queue decisions per site.

        On PostgreSQL a row lock (FOR UPDATE); on SQLite the write transaction
        already holds the database's single write lock (BEGIN IMMEDIATE).
        """
        stmt = select(Site).where(Site.id == site_id)
        if not self.database.is_sqlite:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()
