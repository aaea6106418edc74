"""Alembic, driven from code: the run command and the tests apply migrations this way."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from schedq.db.engine import private_sqlite_file

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    private_sqlite_file(url)
    command.upgrade(alembic_config(url), revision)


def make_revision(url: str, message: str) -> None:
    """Autogenerate a new revision from the models (developers: `schedq db revision`)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
