"""Quiet hours: a site's local night, when no reminder or rating request is delivered (README: "Notifications")."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from schedq.db.models import Site


def after_quiet_hours(site: Site, at: datetime) -> datetime:
    """`at`, or the end of the site's quiet hours when `at` falls inside them."""
    return quiet_until(site.quiet_hours_start, site.quiet_hours_end, ZoneInfo(site.timezone), at)


def quiet_until(start: time | None, end: time | None, zone: ZoneInfo, at: datetime) -> datetime:
    if start is None or end is None or start == end:
        return at
    local = at.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return at
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    ends = datetime.combine(day, end, tzinfo=zone)
    return max(at, ends.astimezone(at.tzinfo))
