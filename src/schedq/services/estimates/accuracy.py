"""How the ranges promised at joining held: the accuracy report managers read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from schedq.db.models import Service, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.errors import InvalidInput
from schedq.estimator.accuracy import AccuracyScore, score
from schedq.services.sites import load_site


@dataclass(frozen=True, slots=True)
class AccuracyRow:
    service: str | None  # None: every service together
    score: AccuracyScore


def accuracy_report(
    uow: UnitOfWork, *, site_id: int, first_day: date, last_day: date, service_code: str | None = None
) -> list[AccuracyRow]:
    """How the ranges promised at joining held, per service and overall, between two local dates."""
    with uow:
        site = load_site(uow, site_id)
        if last_day < first_day:
            raise InvalidInput("to", "is before from")
        tz = schedule.zone(site.timezone)
        query = (
            select(
                Service.code,
                Ticket.actual_wait_minutes,
                Ticket.promised_p10_minutes,
                Ticket.promised_p50_minutes,
                Ticket.promised_p90_minutes,
            )
            .join(Service, Service.id == Ticket.service_id)
            .where(
                Ticket.site_id == site_id,
                Ticket.joined_at >= schedule.local_instant(first_day, datetime.min.time(), tz),
                Ticket.joined_at
                < schedule.local_instant(last_day + timedelta(days=1), datetime.min.time(), tz),
                Ticket.actual_wait_minutes.is_not(None),
                Ticket.promised_p50_minutes.is_not(None),
                Ticket.promised_p90_minutes.is_not(None),
            )
            .order_by(Service.code)
        )
        if service_code is not None:
            query = query.where(Service.code == service_code)
        rows = uow.session.execute(query).all()
    by_service: dict[str | None, list[Any]] = {None: list(rows)}
    for row in rows:
        by_service.setdefault(row[0], []).append(row)
    return [
        AccuracyRow(
            code,
            score([r[1] for r in group], [r[3] for r in group], [r[2] for r in group], [r[4] for r in group]),
        )
        for code, group in by_service.items()
    ]
