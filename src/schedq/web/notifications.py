"""Notification pages: the log sink's messages (staff, for the demo) and the unsubscribe link's page.

The unsubscribe link only shows a button: mail scanners open links, and a
GET must not unsubscribe anybody; the button's POST does. Neither page
names the address (nothing about a patient is rendered on the server).
"""

from __future__ import annotations

from flask import Response, abort, current_app, render_template

from schedq.domain.errors import NotFound
from schedq.notify import preferences
from schedq.web.blueprint import bp, private, site_or_404
from schedq.web_context import now, uow


@bp.get("/staff/<id:site_id>/messages")
def messages(site_id: int):
    """What the log sink holds for the site; the page reads it with the staff token of the console."""
    return private(Response(render_template("web/messages.html", site=site_or_404(site_id))))


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    _contact(token)
    return private(Response(render_template("web/unsubscribe.html", done=False)))


@bp.post("/unsubscribe/<token>")
def unsubscribe(token: str):
    _contact(token)
    preferences.unsubscribe_by_link(
        uow(), token=token, secret_key=current_app.config["SECRET_KEY"], now=now()
    )
    return private(Response(render_template("web/unsubscribe.html", done=True)))


def _contact(token: str) -> str:
    """The address the link names; 404 for a link we did not sign."""
    try:
        return preferences.contact_of(current_app.config["SECRET_KEY"], token)
    except NotFound:
        abort(404)
