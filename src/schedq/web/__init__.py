"""The pages people use: the lobby display, the patient's ticket page and the staff console.

Each page is a small HTML shell; its script polls the public JSON API under
/api/v1 (the same contract every other client uses), so pages show what the
database says whichever worker or host answers, and pick up again by
themselves after a restart or a network drop. No build step: plain templates,
one stylesheet and plain modern JavaScript served from static/.

Only the site's name and address are rendered on the server: nothing about
patients ever reaches public HTML.
"""

from __future__ import annotations

import swagger_ui_bundle
from flask import Blueprint, Flask, Response, abort, render_template, send_from_directory, url_for
from flask.blueprints import BlueprintSetupState

from schedq.domain.errors import NotFound
from schedq.services import sites
from schedq.web import demo_play
from schedq.web_context import uow

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web"
)


def _install_demo_play(state: BlueprintSetupState) -> None:
    """SCHEDQ_DEMO_PLAY: the demo site plays a day."""
    assert isinstance(state.app, Flask)  # typed as Flask's framework-neutral base; registered on a Flask app
    demo_play.install(state.app)


bp.record_once(_install_demo_play)


# Scripts and styles come only from our own origin: no inline script, style or handler.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)


@bp.after_request
def _page_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # The ticket page carries the patient's secret in its address: never pass it on.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


DOCS_ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js"})
DOCS_ASSET_MAX_AGE = 24 * 3600


def _site_or_404(site_id: int):
    try:
        return sites.get_site(uow(write=False), site_id=site_id)
    except NotFound:
        abort(404)


@bp.get("/")
def index():
    """Every site, with links to its lobby display and staff console."""
    return render_template("web/index.html", sites=sites.list_sites(uow(write=False)))


@bp.get("/display/<id:site_id>")
def display(site_id: int):
    """The lobby screen of a site (public)."""
    return render_template("web/display.html", site=_site_or_404(site_id))


@bp.get("/ticket/<id:ticket_id>")
def ticket(ticket_id: int):
    """A patient's ticket; the page reads the token from its address's fragment (never sent here) and asks the API."""
    response = Response(render_template("web/ticket.html", ticket_id=ticket_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/v1/docs")
def docs():
    """The API reference: Swagger UI from the packaged swagger-ui-bundle, nothing from another origin."""
    return render_template("web/docs.html", spec_url=url_for("api-docs.openapi_json"))


@bp.get("/api/v1/docs/assets/<name>")
def docs_asset(name: str):
    """One file of the packaged Swagger UI (its version pinned by the swagger-ui-bundle package)."""
    if name not in DOCS_ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, name, max_age=DOCS_ASSET_MAX_AGE)


@bp.get("/staff/<id:site_id>")
def staff(site_id: int):
    """The staff console of a site; the staff token is typed in and kept in the tab's sessionStorage."""
    response = Response(render_template("web/staff.html", site=_site_or_404(site_id)))
    response.headers["Cache-Control"] = "no-store"
    return response
