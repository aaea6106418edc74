"""Save my spot: join a site's line from home, then follow the place on the ticket page.

The server renders the form (service, name, phone or email, when the patient
expects to arrive) and the words; the page's script shows the site's status and
the wait now (`GET /api/v1/sites/{id}/wait`), joins with
`POST /api/v1/sites/{id}/remote-tickets` and an `Idempotency-Key` (a retry of
the same answers never makes a second ticket), shows the range and the time to
arrive by (README: "Save my spot"), and hands over to the ticket page with the
ticket's token in the address's fragment. Refusals are said in plain words:
the site's status (409) and the limits per contact and per address (429).
"""

from __future__ import annotations

from flask import Response, render_template, request
from flask_babel import gettext as _

from schedq.web.blueprint import bp, phone_for_people, private, site_or_404
from schedq.web.patient.best_times import chosen_service, walk_in_services

ARRIVAL_CHOICES_MINUTES = (15, 30, 45, 60, 90, 120)


@bp.get("/sites/<id:site_id>/save-my-spot")
def save_spot_page(site_id: int):
    """The form to join a site's line from afar (the answer holds a ticket token: kept by no cache)."""
    site = site_or_404(site_id)
    services = walk_in_services(site)
    service = chosen_service(services, request.args.get("service"))
    call = (
        _(
            "You can also call %(site)s at %(phone)s.",
            site=site.name,
            phone=phone_for_people(site.phone, site.country),
        )
        if site.phone
        else ""
    )
    words = {
        "statusFailed": _("The site's status could not be loaded. You can still try to save your spot."),
        "waitNow": _("Wait now for {service}: {range}"),
        "closedNow": _("Walk-ins cannot join right now, so spots cannot be saved."),
        "saving": _("Saving your spot…"),
        "saved": _("Your spot is saved: {code}"),
        "arriveBy": _("Arrive by {time}"),
        "arriveByWhy": _(
            "Your turn could come as early as {time}. If you arrive later, you keep your place: "
            "we call the people after you meanwhile and you when you are here."
        ),
        "arriveByAsSaid": _(
            "That is when you said you would come; your turn is not likely before then. "
            "If you are late, you keep your place: we call you once you are here."
        ),
        "rangeNow": _("Your wait: {message}"),
        "needContact": _("Give a phone number or an email, so the site can reach you."),
        "needName": _("Give your name."),
        "offline": _(
            "The server cannot be reached. Check your connection and try again: you will not get two spots."
        ),
        "limitPhone": _(
            "This phone number has already saved {count} spots in the last 24 hours. "
            "You can save another {when}."
        ),
        "limitEmail": _(
            "This email has already saved {count} spots in the last 24 hours. You can save another {when}."
        ),
        "limitContact": _(
            "This phone number or email has already saved {count} spots in the last 24 hours. "
            "You can save another {when}."
        ),
        "limitAddress": _(
            "This internet connection has already saved {count} spots at this site this hour "
            "(a shared connection counts as one). You can save another {when}."
        ),
        "limitAgain": _("Too many spots were saved just now. You can save another {when}."),
        "busy": _(
            "The site is busy for a moment. Please try again in a few seconds: you will not get two spots."
        ),
        "invalid": _("Please check the form: {detail}"),
        "badPhone": _("That phone number does not look right. Please check it."),
        "badEmail": _("That email does not look right. Please check it."),
        "badArrival": _("Please choose an arrival before the site closes today."),
        "todayAfter": _("after {time}"),
        "tomorrowAfter": _("tomorrow after {time}"),
        "call": call,
    }
    return private(
        Response(
            render_template(
                "web/patient/save_spot.html",
                site=site,
                services=services,
                service=service,
                arrival_choices=ARRIVAL_CHOICES_MINUTES,
                words=words,
            )
        )
    )
