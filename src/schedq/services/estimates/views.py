"""An estimate as the API shows it: minutes, flags, messages; and as people not in line read it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schedq import estimator
from schedq.db.models import Site
from schedq.domain import schedule
from schedq.domain.messages import CountedFrom, messages
from schedq.domain.site_status import SiteState, SiteStatus

if TYPE_CHECKING:
    from schedq.services.estimates.live import Estimates


def estimate_view(
    wait: estimator.WaitEstimate, *, newcomer: bool = False, status: SiteStatus | None = None
) -> dict[str, Any]:
    """One estimate as the API shows it: minutes (null when never), flags and messages.

    While the site is closed until later today (before opening, a midday
    break), the words count the range from the (re)opening and say so.
    """

    def minutes(value: float) -> float | None:
        return round(value, 1) if value != float("inf") else None

    counted_from = None
    if status is not None and status.waits_count_from is not None:
        opening = status.waits_count_from
        counted_from = CountedFrom(
            time=f"{opening.astimezone(schedule.zone(status.timezone)):%H:%M}",
            minutes_away=(opening - status.at).total_seconds() / 60,
            reopening=status.state is SiteState.MIDDAY_BREAK,
        )

    return {
        "p10_minutes": minutes(wait.p10),
        "p50_minutes": minutes(wait.p50),
        "p90_minutes": minutes(wait.p90),
        "mean_minutes": minutes(wait.mean),
        "runs_past_close": wait.runs_past_close,
        "no_station_can_serve": wait.no_station_can_serve,
        "thin_history": wait.thin_history,
        "history_days": wait.history_days,
        "message": messages(
            wait.p10,
            wait.p90,
            runs_past_close=wait.runs_past_close,
            no_station_can_serve=wait.no_station_can_serve,
            newcomer=newcomer,
            counted_from=counted_from,
        ),
    }


def headline(live: Estimates, site: Site) -> dict[str, Any] | None:
    """The walk-in wait a lobby screen shows: that of the service most stations here can do."""
    if not live.newcomer:
        return None
    reach = {code: sum(code in station.skills for station in site.stations) for code in live.newcomer}
    code = max(sorted(reach), key=lambda c: reach[c])
    return {"service": code, **for_newcomers(live.newcomer[code], live.status)}


def for_newcomers(view: dict[str, Any], status: SiteStatus) -> dict[str, Any]:
    """A newcomer's estimate as shown to people not in line: the status message when walk-ins cannot join."""
    if status.walk_ins_accepted:
        return view
    return {**view, "message": dict(status.messages)}
