"""What a request needs from the app: a unit of work and the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, request

from schedq.db.engine import Database
from schedq.db.uow import UnitOfWork
from schedq.services.rate_limits import Counters


def database() -> Database:
    return current_app.extensions["schedq.database"]


def counters() -> Counters:
    """Where the per-address limits count (README: limits)."""
    return current_app.extensions["schedq.counters"]


def client_address() -> str | None:
    """The client's address: the peer, or what the trusted proxies say (SCHEDQ_TRUSTED_PROXY_HOPS)."""
    return request.remote_addr


def uow(*, write: bool = True) -> UnitOfWork:
    return UnitOfWork(database(), write=write)


def now() -> datetime:
    """The current instant; tests and the demo simulator set `CLOCK` to move time."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock is not None else datetime.now(UTC)


def model_max_age() -> int:
    """Hours after which a site's wait model is refitted before it serves."""
    return current_app.config["MODEL_MAX_AGE_HOURS"]


def ensure_model(site_id: int) -> None:
    """Refit the site's wait model first when it is missing or stale."""
    from schedq.services.estimates import fresh_model

    fresh_model(uow, site_id=site_id, now=now(), max_age_hours=model_max_age())
