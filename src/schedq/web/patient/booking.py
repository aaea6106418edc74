"""Booking an appointment: service, day, time, the preparation, then the contact.

The page lists the site's bookable services and its booking horizon; its script
(`book.js`) asks the API for free slots and books through
`POST /api/v1/sites/{id}/appointments` with an `Idempotency-Key` it keeps for
the attempt, so a retried or doubled submit never books twice (README:
"Appointments"). Nothing about the patient passes through this module.
"""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from flask_babel import gettext as _

from schedq.domain import schedule
from schedq.services import appointments, sites
from schedq.web.blueprint import bp, site_or_404
from schedq.web.patient import slot_words
from schedq.web_context import now, uow


@bp.get("/sites/<id:site_id>/book")
def book(site_id: int):
    """Choose a service, a day and a time at one site, see how to prepare, and book."""
    site = site_or_404(site_id)
    tz = schedule.zone(site.timezone)
    today = schedule.local_day(now(), tz)
    # The slots API answers at most MAX_SLOT_RANGE_DAYS at once; the horizon is usually shorter.
    last = today + timedelta(days=min(site.booking_horizon_days, appointments.MAX_SLOT_RANGE_DAYS - 1))
    return render_template(
        "web/patient/book.html",
        site=site,
        services=sites.bookable_services(uow(write=False), site.id),
        first_day=today.isoformat(),
        last_day=last.isoformat(),
        words=_words(),
    )


def _words() -> dict[str, str]:
    return {
        **slot_words.words(),
        "chooseService": _("Choose a service first."),
        "chooseTime": _("Choose a day and a time."),
        "needContact": _("Give a phone number or an email, so the site can reach you."),
        "needName": _("Give your name."),
        "smsNeedsPhone": _("Text messages need a phone number."),
        "emailNeedsEmail": _("Email messages need an email address."),
        "badPhone": _("That phone number does not look right. Check it and try again."),
        "badEmail": _("That email address does not look right. Check it and try again."),
        "badName": _("Check your name and try again."),
        "booking": _("Booking…"),
        "slotFull": _("Someone just took that time. Please choose another time."),
        "slotGone": _("The time you chose is no longer free. Please choose another time."),
        "tooMany": _(
            "You have made as many bookings as this site allows for now. "
            "Try again after {time}, or call the site."
        ),
        "tooManyCall": _(
            "You have made as many bookings as this site allows for now. "
            "Try again after {time}, or call {phone}."
        ),
        "noReach": _(
            "We could not reach the server. Check your connection and press Book again: you will not be booked twice."
        ),
        "refused": _("The booking was not made: {reason}"),
        "summary": _("{service} on {day} at {time}"),
    }
