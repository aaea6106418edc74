"""The reports page (staff) and the words of its charts (README: "Reports").

The page holds no figure itself: its script reads the report with the staff
token the console keeps in the tab, fills the tables, and inserts the charts,
which the API draws on the server (`report_chart`, through `web.charts`) in
the page's language.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_skeleton
from flask import Response, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from schedq.services.reports import SiteReport
from schedq.services.sites import service_day
from schedq.web import charts
from schedq.web.blueprint import bp, private, site_or_404
from schedq.web_context import now


@bp.get("/staff/<id:site_id>/reports")
def reports(site_id: int):
    """A site's reports: the date range, headline figures, charts, tables and their CSV files."""
    site = site_or_404(site_id)
    today = service_day(site, now())  # the server's clock, as every page's "now" (README: the pages)
    return private(Response(render_template("web/reports.html", site=site, today=today, words=page_words())))


def page_words() -> dict[str, str]:
    """What the page's script says (the island `words`), in the page's language."""
    return {
        "arrivals": _("Patients who came"),
        "served": _("Served"),
        "noShow": _("Did not come when called"),
        "left": _("Left before being seen"),
        "cancelled": _("Cancelled visits"),
        "inLine": _("Still in line"),
        "waitMedian": _("Typical wait (half waited less)"),
        "waitP90": _("Nine in ten waited at most"),
        "waitMax": _("Longest wait"),
        "withinTarget": _("Called within {minutes} minutes"),
        "targetIs": _("The goal is {percent}."),
        "targetMet": _("Goal met"),
        "targetMissed": _("Goal missed"),
        "busy": _("Stations busy"),
        "coverage": _("Waits inside the range we told"),
        "pastTop": _("Waits longer than the range we told"),
        "rating": _("Mean rating (1 to 5)"),
        "minutes": _("{value} min"),
        "percent": _("{value}%"),
        "none": _("No data"),
        "date": _("Date"),
        "hour": _("Half hour starting"),
        "timeOfDay": _("Time of day"),
        "walkIn": _("Walk-in"),
        "remote": _("Saved a spot"),
        "appointment": _("Appointment"),
        "kind": _("Kind of visit"),
        "service": _("Service"),
        "station": _("Station"),
        "openMinutes": _("Minutes open"),
        "busyMinutes": _("Minutes busy"),
        "count": _("How many"),
        "comment": _("Comment"),
        "stars": _("Rating"),
        "allServices": _("All services"),
        "noComments": _("No comments in these days."),
        "noRows": _("Nothing in these days."),
        "rangeTooLong": _("Pick at most 366 days."),
        "rangeBackwards": _("The first day must come before the last day."),
        "stationsOpen": _("Stations open"),
        "download": _("Download CSV"),
        "downloadFailed": _("The file could not be made. Try again."),
        "chartFailed": _("The chart could not be drawn. The figures are in the tables."),
        "asOf": _("Counted up to {time}."),
    }


# The charts ---------------------------------------------------------------------------


def report_chart(report: SiteReport, name: str, language: str) -> str:
    """One chart of the report (`api.reports.tables.CHARTS`) as SVG, its words in `language`."""
    with force_locale(language):
        return _CHARTS[name](report)


def _waits(report: SiteReport) -> str:
    rows = report.figures.half_hours
    return charts.line_chart(
        "chart-waits",
        charts.ChartText(
            title=_("Waits through the day"),
            x_label=_("Time of day"),
            y_label=_("Minutes"),
            description=_(
                "The typical wait and the wait nine in ten stayed under, by the half hour the wait began, "
                "against the goal of %(minutes)s minutes. The figures are in the table of half hours.",
                minutes=report.sla_minutes,
            ),
            empty=_("Nothing in these days."),
        ),
        [row.starts for row in rows],
        [
            charts.Series(_("Typical wait"), [row.waits.p50_minutes for row in rows]),
            charts.Series(_("Nine in ten waited at most"), [row.waits.p90_minutes for row in rows]),
        ],
        target=report.sla_minutes,
        target_label=_("Goal: %(minutes)s minutes", minutes=report.sla_minutes),
    )


def _arrivals(report: SiteReport) -> str:
    rows = report.figures.half_hours
    return charts.bar_chart(
        "chart-arrivals",
        charts.ChartText(
            title=_("Patients and stations through the day"),
            x_label=_("Time of day"),
            y_label=_("Patients a day"),
            description=_(
                "Bars: patients who came in each half hour, per day open. Line: stations open then. "
                "The figures are in the table of half hours."
            ),
            empty=_("Nothing in these days."),
        ),
        [row.starts for row in rows],
        charts.Series(_("Patients a day"), [row.arrivals_per_day for row in rows]),
        steps=charts.Series(_("Stations open"), [row.stations_open for row in rows]),
        steps_label=_("Stations open"),
    )


def _target(report: SiteReport) -> str:
    rows = report.figures.days
    return charts.day_chart(
        "chart-target",
        charts.ChartText(
            title=_("Goal met, day by day"),
            x_label=_("Date"),
            y_label=_("Called within %(minutes)s minutes (%%)", minutes=report.sla_minutes),
            description=_(
                "For each day, the share of patients called within %(minutes)s minutes, against the goal "
                "of %(percent)s%%. Days below the goal have striped bars. The figures are in the table of days.",
                minutes=report.sla_minutes,
                percent=report.sla_percent,
            ),
            empty=_("Nothing in these days."),
        ),
        [_short_day(row.day) for row in rows],
        [row.target.percent for row in rows],
        target=report.sla_percent,
        label=_("Goal met"),
        target_label=_("Goal: %(percent)s%%", percent=report.sla_percent),
        missed_label=_("Goal missed"),
        y_max=100,
    )


def _satisfaction(report: SiteReport) -> str:
    rows = report.figures.days
    return charts.line_chart(
        "chart-satisfaction",
        charts.ChartText(
            title=_("How patients rated their visit"),
            x_label=_("Date"),
            y_label=_("Mean rating (1 to 5)"),
            description=_(
                "The mean rating patients gave each day, from 1 to 5. The figures are in the table of days."
            ),
            empty=_("No ratings in these days."),
        ),
        [_short_day(row.day) for row in rows],
        [charts.Series(_("Mean rating (1 to 5)"), [row.mean_rating for row in rows])],
        y_min=0,
        y_max=5.2,
    )


def _short_day(day: date) -> str:
    """A day as the page's language writes it short ("Mar 2", "2 mar"), as the tables name days."""
    return format_skeleton("MMMd", day, locale=get_locale())


_CHARTS = {"waits": _waits, "arrivals": _arrivals, "target": _target, "satisfaction": _satisfaction}
