"""The patient's ticket page: its place in line, wait and call, followed live."""

from __future__ import annotations

from flask import Response, render_template

from schedq.web.blueprint import bp, private


@bp.get("/ticket/<id:ticket_id>")
def ticket(ticket_id: int):
    """A patient's ticket; the page reads the token from its address's fragment (never sent here) and asks the API."""
    return private(Response(render_template("web/ticket.html", ticket_id=ticket_id)))
