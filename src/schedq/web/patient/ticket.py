"""The patient's ticket page: its place in line, wait and call, followed live.

The server renders the page around the ticket's site (its name, address and
phone, which are public) and the words in the page's language; the script
reads the token from the address's fragment (never sent here), asks the API
for the ticket every 2.5 s and tells time by the answer's `as_of`, the
server's clock, in the site's time (README: "The pages").
"""

from __future__ import annotations

from flask import Response, render_template
from flask_babel import gettext as _

from schedq.domain.errors import NotFound
from schedq.services import sites
from schedq.services.queue import locking
from schedq.web.blueprint import bp, private
from schedq.web_context import uow


def _words() -> dict[str, str]:
    """What the script says, in the page's language, with `{name}` placeholders it fills in."""
    return {
        "waiting": _("You are in line"),
        "away": _("We are keeping your place"),
        "called": _("It's your turn"),
        "in_service": _("You are being seen"),
        "done": _("Your visit is complete"),
        "no_show": _("We called you but could not find you"),
        "left": _("You left the line"),
        "cancelled": _("Your ticket was cancelled"),
        "detailCalled": _("Please go there now."),
        "detailDone": _("Thank you for coming."),
        "detailNoShow": _("Please speak to the front desk: staff can put you back in your place."),
        "detailLeft": _("Your place went to the next patient. Take a new ticket if you come back."),
        "detailCancelled": _("Please speak to the front desk if this is a mistake."),
        "goTo": _("Go to {station}"),
        "at": _("At {station}"),
        "next": _("You are next in line."),
        "second": _("You are second in line: one person is ahead of you."),
        "position": _("You are number {position} in line: {ahead} people are ahead of you."),
        "rangeHelp": _("Most patients in your place are called within this time. 1 in 10 waits longer."),
        "arriveBy": _(
            "Arrive by {time}: your turn could come from then. If you are later, you keep your place."
        ),
        "comeNow": _(
            "Come as soon as you can: your turn could come any time now. You keep your place until you arrive."
        ),
        "updated": _("Updated at {time}. This page updates by itself."),
        "offline": _("The server cannot be reached. Check your connection: this page tries again by itself."),
        "refused": _("That was not done: {reason}"),
        "pickRating": _("Choose a rating from 1 to 5 first."),
        "alertOn": _("Alerts are on: a notification, a sound and a vibration when it's your turn."),
        "alertBlocked": _(
            "Notifications are off for this site in your browser. "
            "While this page is open, it will still sound and vibrate when it's your turn."
        ),
        "alertNoNotifications": _(
            "This browser shows no notifications. "
            "While this page is open, it will sound and vibrate when it's your turn."
        ),
        "calledTitle": _("It's your turn: {code}"),
        "calledBody": _("Go to {station}"),
        "calledNoStation": _("Please go to the front desk."),
    }


def _ratings() -> list[tuple[int, str]]:
    """The five ratings the done page offers (`POST /tickets/{id}/feedback`), each with its word."""
    return [
        (1, _("Very poor")),
        (2, _("Poor")),
        (3, _("All right")),
        (4, _("Good")),
        (5, _("Very good")),
    ]


UNKNOWN_TICKET_SITES = 10
"""An unknown ticket's page lists the sites, with their phones and addresses, when there are at most this many."""


@bp.get("/ticket/<id:ticket_id>")
def ticket(ticket_id: int):
    """A patient's ticket; the page reads the token from its address's fragment (never sent here) and asks the API.

    A wrong token is found by the script (the API's 404), which then shows the
    site's name, phone and address rendered here; a ticket that does not exist
    at all gets a 404 page naming the sites (a few) and the way to find one.
    """
    try:
        with uow(write=False) as reading:
            site_id = locking.ticket_site_id(reading, ticket_id)
    except NotFound:
        listed = sites.first_sites(uow(write=False), limit=UNKNOWN_TICKET_SITES + 1)
        page = render_template(
            "web/ticket_unknown.html",
            ticket_id=ticket_id,
            sites=listed if len(listed) <= UNKNOWN_TICKET_SITES else [],
        )
        return private(Response(page, status=404))
    site = sites.get_site(uow(write=False), site_id=site_id)
    page = render_template(
        "web/ticket.html", ticket_id=ticket_id, site=site, words=_words(), ratings=_ratings()
    )
    return private(Response(page))
