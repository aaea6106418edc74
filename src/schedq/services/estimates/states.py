"""A site's state by name, and computing a result once per state for every worker.

A state is the site's `state_version`, the model's `fitted_at` and the
15-second instant; the shared store (`schedq.services.estimate_store`) keeps
one result per state and hands the previous state's answer, with its age,
to the workers that wait while another computes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from schedq.db.models import EstimatorModelRecord, Site
from schedq.db.uow import UnitOfWork
from schedq.domain.errors import NotFound
from schedq.services.estimate_store import Stored, decode, encode, store_for

SNAPSHOT_RESOLUTION_SECONDS = 15
"""States within this many seconds of one another share an estimate."""


def resolution(now: datetime) -> datetime:
    """`now` rounded down to the snapshot resolution."""
    return now - timedelta(seconds=now.second % SNAPSHOT_RESOLUTION_SECONDS, microseconds=now.microsecond)


def site_state(uow: UnitOfWork, site_id: int, at: datetime, *, with_version: bool = True) -> str:
    """The name of a site's state at instant `at`: its version, its model and the instant (NotFound when absent).

    One cheap read; it names the shared estimates and the ETags of public reads.
    `with_version=False` leaves the version out: the answer then changes only
    with the model and the instant (best times, a plan for the week ahead,
    are renewed each `BEST_TIME_RESOLUTION` rather than at every call or join).
    """
    uow.session.flush()
    row = uow.session.execute(
        select(Site.state_version, EstimatorModelRecord.fitted_at)
        .outerjoin(EstimatorModelRecord, EstimatorModelRecord.site_id == Site.id)
        .where(Site.id == site_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no site {site_id}")
    return state_name(*row, at, with_version)


def state_name(version: int, fitted_at: datetime | None, at: datetime, with_version: bool = True) -> str:
    """A state's name from the site's version, its model's `fitted_at` and the instant."""
    model = f"m{fitted_at.isoformat() if fitted_at else '-'}/t{at.isoformat()}"
    return f"v{version}/{model}" if with_version else model


def shared(
    uow: UnitOfWork,
    *,
    site_id: int,
    kind: str,
    state: str,
    compute: Callable[[], Any],
    now: datetime,
    stale_ok: bool,
) -> Stored:
    """`compute()` once per state for every worker, through the store; inside a write, computed here and not kept.

    A write transaction (or a request's shared transaction, `db.uow`) may hold
    changes that are never committed, so what it sees must not be shared under
    a state name another change may take; and the store's own connection
    would wait behind that transaction's locks.
    """
    if uow.sees_uncommitted:
        return Stored(decode(encode(compute())), state, now, fresh=True)
    return store_for(uow.database).fetch(
        site_id=site_id, kind=kind, state=state, compute=compute, now=now, stale_ok=stale_ok
    )
