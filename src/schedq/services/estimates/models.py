"""Each site's fitted model: its history read as visit records, the refit (once, by one worker) and the stored model.

The model is refitted from the site's own last `HISTORY_DAYS` when it is
missing or older than the maximum age (`fresh_model`); until a site's first
fit, the catalogue defaults and the prior arrival profile from the capacity
plan serve (`current_model`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from schedq import estimator
from schedq.db.models import Appointment, EstimatorModelRecord, Service, Site, Ticket
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import AppointmentStatus, TicketKind
from schedq.domain.errors import NotFound
from schedq.estimator.model import FALLBACK_SERVICE_MINUTES, prior_walk_in_profile
from schedq.services.estimate_store import store_for
from schedq.services.sites import closures_of, hours_of, load_site

HISTORY_DAYS = 8 * 7
"""How much history a refit reads: eight weeks, enough for a weekday × half-hour profile."""


def service_defaults(uow: UnitOfWork) -> dict[str, float]:
    return {s.code: s.default_minutes for s in uow.session.scalars(select(Service).order_by(Service.code))}


def visit_records(
    uow: UnitOfWork, site: Site, *, since: datetime, until: datetime
) -> list[estimator.VisitRecord]:
    """The site's visits between two instants as plain records for `estimator.fit`.

    Tickets give service, kind, joining (check-in for appointments), call, start
    and completion; appointments that never checked in are the no-shows.
    """
    records = []
    for ticket in uow.session.scalars(
        select(Ticket).where(Ticket.site_id == site.id, Ticket.joined_at >= since, Ticket.joined_at < until)
    ):
        records.append(
            estimator.VisitRecord(
                service_code=ticket.service.code,
                kind=ticket.kind.value,
                joined_at=ticket.joined_at,
                appointment_at=ticket.appointment.starts_at if ticket.appointment is not None else None,
                called_at=ticket.called_at,
                started_at=ticket.started_at,
                completed_at=ticket.completed_at,
            )
        )
    never_came = uow.session.scalars(
        select(Appointment).where(
            Appointment.site_id == site.id,
            Appointment.starts_at >= since,
            Appointment.starts_at < until,
            or_(
                Appointment.status == AppointmentStatus.NO_SHOW,
                and_(
                    Appointment.status == AppointmentStatus.BOOKED,
                    Appointment.starts_at < until - timedelta(hours=12),
                ),
            ),
            ~Appointment.id.in_(select(Ticket.appointment_id).where(Ticket.appointment_id.is_not(None))),
        )
    )
    records.extend(
        estimator.VisitRecord(
            service_code=a.service.code,
            kind=TicketKind.APPOINTMENT.value,
            joined_at=None,
            appointment_at=a.starts_at,
            no_show=True,
        )
        for a in never_came
    )
    return records


def prior_arrival_profile(uow: UnitOfWork, site: Site) -> tuple[tuple[float, ...], ...]:
    """The stated prior of walk-ins per hour (weekday x local half hour) from the capacity plan.

    Stations planned in each half hour of the opening hours, at the default
    mean duration of the walk-in services, times `PRIOR_LOAD_FRACTION` (docs/estimator.md, cold start).
    """
    hours = hours_of(site)
    planned = [[0.0] * 48 for _ in range(7)]
    for weekday in range(7):
        for half in range(48):
            middle = (datetime.min + timedelta(minutes=30 * half + 15)).time()
            if not any(i.weekday == weekday and i.opens <= middle < i.closes for i in hours):
                continue
            planned[weekday][half] = float(
                sum(
                    b.stations
                    for b in site.capacity_blocks
                    if b.weekday == weekday and b.starts <= middle < b.ends
                )
            )
    minutes = [
        s.default_minutes
        for s in uow.session.scalars(select(Service).where(Service.walk_in_allowed.is_(True)))
    ]
    mean_minutes = sum(minutes) / len(minutes) if minutes else FALLBACK_SERVICE_MINUTES
    return prior_walk_in_profile(planned, mean_minutes)


def refit(
    uow: UnitOfWork, *, site_id: int, now: datetime, history_days: int = HISTORY_DAYS
) -> EstimatorModelRecord:
    """Fit the site's model from its own last `history_days` of visits and store it."""
    with uow:
        site = load_site(uow, site_id)
        tz = schedule.zone(site.timezone)
        today = schedule.local_day(now, tz)
        first_day = today - timedelta(days=history_days)
        since = schedule.local_instant(first_day, datetime.min.time(), tz)
        until = schedule.local_instant(today, datetime.min.time(), tz)
        records = visit_records(uow, site, since=since, until=until)
        past = opening_intervals_between(site, first_day, today)
        model = estimator.fit(
            records,
            service_defaults=service_defaults(uow),
            tz=site.timezone,
            period=(first_day, today - timedelta(days=1)),
            fitted_at=now,
            prior_walk_in_rate_per_hour=prior_arrival_profile(uow, site),
            closure_starts=[end for day in past for (_, end), (reopens, _) in pairwise(day) if reopens > end],
            opening_starts=[opens for day in past for opens, _ in day],
        )
        stored = uow.session.get(EstimatorModelRecord, site_id)
        if stored is None:
            stored = EstimatorModelRecord(site_id=site_id, fitted_at=now, visit_count=0, model={})
            uow.session.add(stored)
            try:
                uow.session.flush()
            except IntegrityError:
                # A concurrent request stored the site's first model a moment ago: overwrite that one.
                uow.rollback()
                stored = uow.session.get_one(EstimatorModelRecord, site_id)
        stored.fitted_at = now
        stored.visit_count = len(records)
        stored.model = model.to_dict()
        uow.commit()
        return stored


def opening_intervals_between(
    site: Site, first_day: date, end_day: date
) -> list[list[tuple[datetime, datetime]]]:
    """Each local day's opening intervals (UTC), from `first_day` up to, not including, `end_day`."""
    tz = schedule.zone(site.timezone)
    hours, closed = hours_of(site), closures_of(site)
    return [
        list(schedule.opening_intervals(first_day + timedelta(days=offset), hours, tz, closed))
        for offset in range((end_day - first_day).days)
    ]


def current_model(uow: UnitOfWork, site: Site) -> estimator.FittedModel:
    """The stored model, or the service defaults and the prior arrival profile when none is stored yet."""
    stored = uow.session.get(EstimatorModelRecord, site.id)
    if stored is not None:
        try:
            return estimator.FittedModel.from_dict(stored.model)
        except (KeyError, ValueError):
            pass  # an older format: the defaults serve until the next refit
    return estimator.FittedModel.from_defaults(
        service_defaults(uow), fitted_at=None, walk_in_rate_per_hour=prior_arrival_profile(uow, site)
    )


def fresh_model(make_uow, *, site_id: int, now: datetime, max_age_hours: int) -> None:
    """Refit the site's model when it is missing or older than `max_age_hours`: once, by one worker.

    Through the shared store's single flight: the others go on with the model
    they have (they wait only for a site's very first fit). Inside a request's
    shared transaction (`db.uow`) it leaves the refit to the next request: the
    store's own connection would wait behind that transaction's locks, and the
    model there is (or the cold-start prior) serves meanwhile.
    """
    with make_uow(write=False) as uow:
        # The site and its model's age in one statement (NotFound before the store keeps a lease for no site).
        row = uow.session.execute(
            select(Site.id, EstimatorModelRecord.fitted_at)
            .outerjoin(EstimatorModelRecord, EstimatorModelRecord.site_id == Site.id)
            .where(Site.id == site_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"no site {site_id}")
        if uow.sees_uncommitted:
            return
        fitted_at = row.fitted_at
        if fitted_at is not None and now - fitted_at <= timedelta(hours=max_age_hours):
            return
        replaces = fitted_at.isoformat() if fitted_at is not None else "-"
        database = uow.database

    def fit() -> dict[str, Any]:
        return {"fitted_at": refit(make_uow(), site_id=site_id, now=now).fitted_at}

    store_for(database).fetch(
        site_id=site_id, kind="refit", state=f"replaces/{replaces}", compute=fit, now=now
    )


def model_summary(uow: UnitOfWork, *, site_id: int, now: datetime) -> dict[str, Any]:
    """What the site's history taught the estimator, for managers."""
    with uow:
        site = load_site(uow, site_id)
        stored = uow.session.get(EstimatorModelRecord, site_id)
        model = current_model(uow, site)
        return {
            "site_id": site_id,
            "fitted_at": stored.fitted_at if stored else None,
            "visit_count": stored.visit_count if stored else 0,
            "history_days": model.history_days,
            "no_show_rate": round(model.no_show_rate, 4),
            "lateness_mean_minutes": round(model.lateness.mean_minutes, 1),
            "services": [
                {
                    "service": code,
                    "mean_minutes": round(m.mean_minutes, 2),
                    "median_minutes": round(m.median_minutes, 2),
                    "observations": m.n_observations,
                }
                for code, m in sorted(model.services.items())
            ],
        }
