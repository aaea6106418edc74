"""When is best? A site's week for one walk-in service, drawn from the public best-times API.

The server renders the frame (the site, the service picker, the words); the
page's script asks `GET /api/v1/sites/{id}/best-times?service=CODE`, as any
client would, and draws the week as a heat grid (SVG: days as rows, half hours
as columns, coloured and numbered by the typical wait), the booked
appointments of each half hour, the quietest and busiest times in words, and
every figure in a table for people who read them rather than look.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from schedq.db.models import Service, Site
from schedq.web.blueprint import bp, site_or_404


def walk_in_services(site: Site) -> list[Service]:
    """The services a walk-in can come for at `site`: offered by a station, and not by appointment only."""
    offered = {service.code: service for station in site.stations for service in station.services}
    return [offered[code] for code in sorted(offered) if offered[code].walk_in_allowed]


def chosen_service(services: list[Service], asked: str | None) -> Service | None:
    """The service asked for in the address when the site takes walk-ins for it; else the first (DRAW first)."""
    by_code = {service.code: service for service in services}
    if asked in by_code:
        return by_code[asked]
    return by_code.get("DRAW") or (services[0] if services else None)


# Typical-wait buckets: the chart's colours, numbered so colour is never the only cue.
BUCKET_LIMITS_MINUTES = (10, 20, 40)


@bp.get("/sites/<id:site_id>/best-times")
def best_times_page(site_id: int):
    """A site's week for a walk-in service: quiet and busy half hours at a glance."""
    site = site_or_404(site_id)
    services = walk_in_services(site)
    service = chosen_service(services, request.args.get("service"))
    words = {
        "failed": _("The week's waits could not be loaded. Please try again in a moment."),
        "caption": _(
            "Typical wait for a walk-in for {service}, by half hour, today and the next six days. "
            "The number in each square is its level, from 1 (short) to 4 (long); a bar at the "
            "bottom of a square shows the appointments booked for it."
        ),
        "quietest": _("Quietest: {when}, usually under {minutes} minutes."),
        "quietestNoWait": _("Quietest: {when}, usually no wait."),
        "busiest": _("Busiest: {when}, usually {low} to {high} minutes."),
        "noOpen": _("Walk-ins for this service are not taken in the coming week."),
        "span": _("{day} {start}–{end}"),
        "closed": _("Closed"),
        "today": _("Today"),
        "thin": _(
            "This site has little history with us yet ({days} days), so these figures lean on "
            "general defaults and may change as we learn its real week."
        ),
        "minutes": _("{minutes} min"),
        "range": _("{low}–{high} min"),
        "colTime": _("Time"),
        "colTypical": _("Typical wait"),
        "colRange": _("8 in 10 people wait"),
        "colWalkIns": _("Walk-ins expected"),
        "colBooked": _("Appointments booked"),
    }
    return render_template(
        "web/patient/best_times.html",
        site=site,
        services=services,
        service=service,
        words=words,
        bucket_limits=BUCKET_LIMITS_MINUTES,
    )
