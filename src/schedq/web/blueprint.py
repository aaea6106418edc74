"""The pages' blueprint and what every page shares: headers, language, the site a page is about."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort
from flask.blueprints import BlueprintSetupState

from schedq.db.models import Site
from schedq.domain import geo
from schedq.domain.contact import phone_for_people
from schedq.domain.errors import NotFound
from schedq.services import sites
from schedq.web import demo_play, i18n
from schedq.web_context import uow

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)


def _install(state: BlueprintSetupState) -> None:
    """Languages for the pages; SCHEDQ_DEMO_PLAY: the demo site plays a day."""
    assert isinstance(state.app, Flask)  # typed as Flask's framework-neutral base; registered on a Flask app
    i18n.install(state.app)
    demo_play.install(state.app)


bp.record_once(_install)


# Scripts and styles come only from our own origin: no inline script, style or handler.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)


@bp.after_request
def _page_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # The ticket and booking pages carry the patient's secret in their address: never pass it on.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return i18n.remember_language(response)


def site_or_404(site_id: int) -> Site:
    try:
        return sites.get_site(uow(write=False), site_id=site_id)
    except NotFound:
        abort(404)


# A stored E.164 number as people of the site's country write it: `(217) 555-0100` in the US.
bp.add_app_template_filter(phone_for_people, "phone")
bp.add_app_template_global(geo.map_link, "map_link")


def private(response: Response) -> Response:
    """A page that holds, or whose script holds, a secret or personal data: kept by no cache."""
    response.headers["Cache-Control"] = "no-store"
    return response
