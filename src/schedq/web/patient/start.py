"""The patient's start page and a site's own page."""

from __future__ import annotations

from flask import render_template

from schedq.services import sites
from schedq.web.blueprint import bp, site_or_404
from schedq.web_context import uow


@bp.get("/")
def index():
    """Where a patient starts: the collection sites, each with the way to its page."""
    return render_template("web/patient/start.html", sites=sites.list_sites(uow(write=False)), site=None)


@bp.get("/sites/<id:site_id>")
def site_page(site_id: int):
    """One site for patients: where it is, how to reach it, and what they can do there."""
    return render_template("web/patient/site.html", site=site_or_404(site_id))
