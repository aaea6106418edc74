"""The manager's pages: a site's hours, closed dates, capacity plan, stations, cut-off and target, staffing.

One page a site, `/manage/<site id>`, in sections. An admin signs in with an admin API token kept in the
tab's sessionStorage, as the staff console does; the page's script (static/manage_site.js) reads and writes
through the same API endpoints an API client uses, so it shows the API's own validation: a 422 names the
field and the page says it beside that field, in the page's language where the catalogue has the words
(README: "The manager's pages").

The what-if and the staffing advice also come as pictures (`what_if_chart`, `staffing_chart`), drawn on the
server through `web.charts` in the page's language, from the same answers the tables show.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from schedq.web import charts
from schedq.web.blueprint import bp, private, site_or_404


def weekday_names() -> list[str]:
    """Monday first, as the API numbers weekdays (0 = Monday)."""
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def manager_words() -> dict[str, str]:
    """Every word manage_site.js shows, in the page's language; `{name}` placeholders are filled by the script."""
    return {
        "working": _("Working…"),
        "loading": _("Loading…"),
        "signedOut": _("Signed out."),
        "notAdmin": _(
            "This token can run the line but cannot change settings. Ask for an admin token for this site."
        ),
        "saved": _("Saved."),
        "notSaved": _("Not saved. Fix what is marked and try again."),
        "fixMarked": _("Fix what is marked and try again."),
        "apiSays": _("The server says: {text}"),
        "apiSaysAt": _("The server says about {field}: {text}"),
        # What the API and the browser refuse, in the page's words.
        "needed": _("Fill this in."),
        "wholeNumber": _("Give a whole number."),
        "numberFromTo": _("Give a number from {min} to {max}."),
        "timeHHMM": _("Give a time like 08:30."),
        "dateNeeded": _("Give a date."),
        "afterStart": _("This must be later than the start."),
        "overlaps": _("This overlaps another time on the same day."),
        "pastDay": _("This date has passed."),
        "alreadyClosed": _("That date is already closed."),
        "nameTaken": _("Another station has this name."),
        "pickService": _("Tick at least one service."),
        "noChange": _("Change the closing time or the missing stations first."),
        # Weekly hours and the plan.
        "opens": _("Opens"),
        "closes": _("Closes"),
        "starts": _("Starts"),
        "ends": _("Ends"),
        "stationsCount": _("Stations"),
        "seats": _("Seats per slot"),
        "remove": _("Remove"),
        "removeRow": _("Remove row {row} of {day}"),
        "closedAllDay": _("Closed all day."),
        "noBlocks": _("No plan for this day."),
        # Closed dates.
        "noClosures": _("No closed dates."),
        "removeClosure": _("Open again on {day}"),
        "closureAdded": _("Closed on {day}."),
        "closureRemoved": _("Open again on {day}."),
        # Stations.
        "stationName": _("Name"),
        "does": _("Services it does"),
        "save": _("Save"),
        "saveStation": _("Save {station}"),
        "stationAdded": _("Added {station}."),
        # Staffing.
        "closedThatDay": _("The site is closed that day, so there is nothing to staff."),
        "shortOfTarget": _("Even with this advice, the target is met on only {share} of days."),
        "thinHistory": _("This site has little history yet, so the advice leans on usual figures."),
        "simulated": _("From {days} simulated days and {history} days of history."),
        "target": _("Target: {percent} of patients called within {minutes} minutes, on {days} of days."),
        "planChanged": _("The plan changed after this advice. Show the advice again."),
        "noPlanChange": _("The advice is the same as the plan now. There is nothing to adopt."),
        "adopted": _("Adopted. The plan below is now in force for {day}."),
        "notAdopted": _("Not adopted: the plan did not change."),
        "notApplies": _("—"),
        "changed": _("changed"),
        # The figures of a day, in the staffing and what-if tables.
        "stationHours": _("Station-hours"),
        "daysMeeting": _("Days that meet the target"),
        "withinTarget": _("Called within target"),
        "waitP50": _("Typical wait (minutes)"),
        "waitP90": _("9 in 10 wait less than (minutes)"),
        "walkIns": _("Walk-ins"),
        "turnedAway": _("Walk-ins turned away"),
        "halfHour": _("{starts}–{ends}"),
        "chartFailed": _("The chart could not be drawn. The figures are in the table."),
    }


@bp.get("/manage/<id:site_id>")
def manage_site(site_id: int):
    """A site's settings for its admin: hours, closed dates, plan, stations, cut-off, target and staffing."""
    site = site_or_404(site_id)
    weekdays = weekday_names()
    words = manager_words() | {f"day{number}": name for number, name in enumerate(weekdays)}
    page = render_template("web/manage_site.html", site=site, weekdays=weekdays, words=words)
    return private(Response(page))


# The pictures ---------------------------------------------------------------------------


def what_if_chart(answer: dict[str, Any], language: str) -> str:
    """The what-if answer (`services.staffing.staffing_what_if`) as SVG: the 9-in-10 wait each half hour,
    as planned and with the change, against the target line; its words in `language`."""
    rows = answer["half_hours"]
    minutes = answer["target"]["sla_minutes"]
    with force_locale(language):
        return charts.line_chart(
            "what-if-chart",
            charts.ChartText(
                title=_("How long 9 in 10 patients wait"),
                x_label=_("Time of day"),
                y_label=_("Minutes"),
                description=_(
                    "In each half hour, the wait that 9 in 10 patients stay under, as planned and with the "
                    "change, against the target of %(minutes)s minutes. A gap means nobody comes then, or "
                    "some are never called. The figures are in the table of half hours.",
                    minutes=minutes,
                ),
                empty=_("The site is closed that day."),
            ),
            [row["starts"] for row in rows],
            [
                charts.Series(_("As planned"), [row["baseline"]["wait_p90_minutes"] for row in rows]),
                charts.Series(_("With the change"), [row["what_if"]["wait_p90_minutes"] for row in rows]),
            ],
            target=minutes,
            target_label=_("Target wait: %(minutes)s minutes", minutes=minutes),
        )


def staffing_chart(answer: dict[str, Any], language: str) -> str:
    """The staffing answer (`services.staffing.staffing_recommendation`) as SVG: stations in the plan now
    and advised, each half hour; its words in `language`."""
    rows = answer["half_hours"]
    target = answer["target"]
    with force_locale(language):
        return charts.step_chart(
            "staffing-chart",
            charts.ChartText(
                title=_("Stations now and advised"),
                x_label=_("Time of day"),
                y_label=_("Stations"),
                description=_(
                    "In each half hour, the stations in the plan now and the stations the advice gives, to "
                    "call %(percent)s%% of patients within %(minutes)s minutes. The figures are in the table "
                    "of half hours.",
                    percent=target["sla_percent"],
                    minutes=target["sla_minutes"],
                ),
                empty=_("The site is closed that day."),
            ),
            [row["starts"] for row in rows],
            [
                charts.Series(_("Stations now"), [row["current_stations"] for row in rows]),
                charts.Series(_("Advised stations"), [row["recommended_stations"] for row in rows]),
            ],
        )
