"""The patient's start page ("Where should I go now?") and a site's own page.

Both are rendered on the server through the same services the API answers
from (`services.nearby`, the public wait summary), so they show what
`GET /api/v1/nearby` and `GET /api/v1/sites/{id}/wait` show and need no script
to be read. The start page's form sends the typed place as `?near=`; its
"Use my location" button asks the browser for the position only when pressed
and sends it the same way, as "latitude, longitude".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from babel.dates import get_day_names
from flask import current_app, render_template, request
from flask_babel import gettext as _

from schedq.domain import schedule
from schedq.domain.errors import InvalidInput
from schedq.services import nearby, places, public, sites
from schedq.services.estimates.wait import wait_summary
from schedq.web.blueprint import bp, site_or_404
from schedq.web.i18n import current_language
from schedq.web_context import model_max_age, now, uow

CLOSURES_SHOWN_DAYS = 60
"""How far ahead a site's page lists its closed dates."""


def _speed() -> float:
    return current_app.config["TRAVEL_KMH"]


def _words() -> dict[str, str]:
    """Words the start page's script shows, translated here (`schedq.say`)."""
    return {
        "locating": _("Finding where you are…"),
        "denied": _("Your browser did not share your location. Type a place instead."),
        "unavailable": _("Your location could not be found. Type a place instead."),
        "unsupported": _("This browser cannot share a location. Type a place instead."),
    }


@bp.get("/")
def index():
    """Where should I go now: the sites near the place given (or all, by name), their wait, and who sees you soonest."""
    typed = " ".join(request.args.get("near", "").split())[:200]
    at = now()
    rows = nearby.site_rows(uow(write=False))
    problem = None
    place = None
    if typed:
        try:
            place = places.read_place(typed, [row.text() for row in rows])
        except InvalidInput:
            problem = _(
                "We do not know that place. Type a US ZIP code (62701), a city and state "
                "(Springfield, IL), latitude and longitude (39.78, -89.65), or part of a site's name or address."
            )
    chosen = nearby.choose(rows, place)
    # As the API's reads do before they answer: stale models refit, overdue calls settled (the names are the API's ETags).
    nearby.states(uow, chosen, now=at, max_model_age_hours=model_max_age())
    found = nearby.build(uow, chosen, now=at, speed_kmh=_speed(), language=current_language())
    return render_template(
        "web/patient/start.html",
        found=found,
        typed=typed,
        problem=problem,
        speed=f"{_speed():g}",
        language=current_language(),
        words=_words(),
        site=None,
    )


@bp.get("/sites/<id:site_id>")
def site_page(site_id: int):
    """One site for patients: its status and wait now, where it is, its week, its services and what to bring."""
    site = site_or_404(site_id)
    at = now()
    # As `GET /sites/{id}/wait` does before it answers: a stale model refit, overdue calls settled.
    public.site_read_state(uow, site_id=site_id, now=at, max_model_age_hours=model_max_age())
    wait = wait_summary(uow(write=False), site_id=site_id, now=at, language=current_language())
    offered = {code for station in site.stations for code in station.skills}
    services = [s for s in sites.list_services(uow(write=False)) if s.code in offered]
    today = schedule.local_day(at, schedule.zone(site.timezone))
    return render_template(
        "web/patient/site.html",
        site=site,
        wait=wait,
        services=services,
        week=_week(site),
        closures=[c for c in site.closures if today <= c.day <= today + timedelta(days=CLOSURES_SHOWN_DAYS)],
        language=current_language(),
    )


def _week(site) -> list[dict[str, Any]]:
    """Monday to Sunday in the page's language, each day's opening intervals (two intervals: a lunch closure)."""
    names = get_day_names("wide", locale=current_language())
    return [
        {
            "name": names[weekday],
            "intervals": [
                (f"{h.opens:%H:%M}", f"{h.closes:%H:%M}") for h in site.hours if h.weekday == weekday
            ],
        }
        for weekday in range(7)
    ]


@bp.app_template_filter("local_day")
def local_day_words(day: date) -> str:
    """A date as the page's language writes it in full (`Thursday, December 24, 2026`)."""
    from flask_babel import format_date

    return format_date(day, "full")
