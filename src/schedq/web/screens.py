"""The staff's pages: the staff entry page, the lobby display, the staff console and the API reference."""

from __future__ import annotations

import swagger_ui_bundle
from flask import Response, abort, render_template, send_from_directory, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from schedq.services import sites
from schedq.web.blueprint import bp, private, site_or_404
from schedq.web_context import uow

DOCS_ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js"})
DOCS_ASSET_MAX_AGE = 24 * 3600


@bp.get("/staff")
def staff_entry():
    """Every site, with links to its lobby display and staff console, and the API reference."""
    return render_template("web/staff_entry.html", sites=sites.list_sites(uow(write=False)))


def display_words(language: str) -> dict[str, str]:
    """Every word the lobby display shows, in `language` (the page's script fills in `{placeholders}`)."""
    with force_locale(language):
        return {
            "nowCalling": _("Now calling"),
            "pleaseWait": _("Please wait for your number."),
            "goTo": _("Go to"),
            "waitNow": _("Walk-in wait now"),
            "noEstimate": _("No wait estimate right now."),
            "waiting": _("{count} waiting"),
            "recentCalls": _("Recent calls"),
            "noCalls": _("No calls yet today"),
            "listen": _("Listen and look for your ticket number. We never show names."),
            "stationsOpen": _("Open: {stations}"),
            "noStationOpen": _("No station is open"),
            # Spoken on a call, in each display language: "A042, Station 3".
            "announce": _("{code}, {station}"),
            "soundBlocked": _("Touch the screen once to turn on the sound."),
        }


@bp.get("/display/<id:site_id>")
def display(site_id: int):
    """The lobby screen of a site (public), in each of its display languages, one line each."""
    site = site_or_404(site_id)
    words = {language: display_words(language) for language in site.display_languages}
    return render_template("web/display.html", site=site, words=words, languages=list(words))


@bp.get("/staff/<id:site_id>")
def staff(site_id: int):
    """The staff console of a site; the staff token is typed in and kept in the tab's sessionStorage."""
    return private(Response(render_template("web/staff.html", site=site_or_404(site_id))))


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
