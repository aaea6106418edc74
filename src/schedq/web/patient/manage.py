"""The patient's booking page: the confirmation right after booking, and where to manage it.

The address is `/booking/<reference>#token=<manage token>`: the token rides in
the fragment, never sent here, and the page (`manage.js`) asks the API for the
appointment with it, then offers the calendar file, the map, the site's phone,
and rescheduling, cancelling with a reason and checking in on the day, each
through the API's own rules (README: "Appointments"). The reference alone is
not a secret, but nothing about the appointment is rendered here.
"""

from __future__ import annotations

from flask import Response, render_template
from flask_babel import gettext as _

from schedq.web.blueprint import bp, private
from schedq.web.patient import slot_words
from schedq.web_context import now


@bp.get("/booking/<reference:reference>")
def booking(reference: str):
    """A booked appointment, seen and managed with the token in the address's fragment."""
    page = render_template(
        "web/patient/manage.html",
        reference=reference,
        server_now=now().isoformat(),
        reasons=_cancel_reasons(),
        site=None,
        words=_words(),
    )
    return private(Response(page))


def _cancel_reasons() -> list[tuple[str, str]]:
    """The reasons a patient picks from: (sent to the API in English so staff read one wording, shown)."""
    return [
        ("I no longer need the test", _("I no longer need the test")),
        ("The time does not suit me", _("The time does not suit me")),
        ("I will go to another site", _("I will go to another site")),
        ("I am not well enough to come", _("I am not well enough to come")),
        ("Other reason", _("Other reason")),
    ]


def _words() -> dict[str, str]:
    return {
        **slot_words.words(),
        "booked": _("Booked. Your appointment is confirmed."),
        "badLink": _("This booking link is not valid. Check the link you were given, or call the site."),
        "noReach": _("We could not reach the server. Check your connection and try again."),
        "status_booked": _("Booked"),
        "status_cancelled": _("Cancelled"),
        "status_checked_in": _("Checked in: you are in line"),
        "status_called": _("You have been called"),
        "status_in_service": _("You are being seen"),
        "status_done": _("Done"),
        "status_no_show": _("Missed"),
        "callSite": _("Call {site}:"),
        "dayAt": _("{day} at {time}"),
        "calendarFailed": _("The calendar file could not be made. Try again."),
        "copied": _("The link is copied."),
        "copyByHand": _("Select the link above and copy it."),
        "moved": _("Your appointment is moved to {when}."),
        "chooseTime": _("Choose a day and a time."),
        "slotFull": _("Someone just took that time. Please choose another time."),
        "cancelled": _("Your appointment is cancelled."),
        "chooseReason": _("Choose a reason."),
        "notOnDay": _("You can check in here on the day of your appointment, once you are at the site."),
        "openTicket": _("Open my place in line"),
        "checkInDayOnly": _("Check-in opens on the day of the appointment."),
        "cannotChange": _("This appointment can no longer be changed. Call the site if you need help."),
        "refused": _("That was not done: {reason}"),
    }
