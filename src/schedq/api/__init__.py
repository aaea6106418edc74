"""The JSON API under /api/v1, documented by flask-smorest."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_smorest import Api

from schedq.api.errors import RETRY_AFTER_SECONDS, DatabaseUnavailableDoc, register_error_handlers

API_PREFIX = "/api/"


def init_app(app: Flask) -> Api:
    from schedq.api.appointments.routes import blp as appointments
    from schedq.api.catalogue.routes import blp as catalogue
    from schedq.api.estimates.routes import blp as estimates
    from schedq.api.queue.routes import blp as queue
    from schedq.api.sites.routes import blp as sites

    api = Api(
        app,
        spec_kwargs={"info": {"description": API_DESCRIPTION}, "extra_plugins": [DatabaseUnavailableDoc()]},
    )
    app.extensions["schedq.api"] = api
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "schedq API token"}
    )
    for blueprint in (sites, catalogue, appointments, queue, estimates):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    register_error_handlers(app)
    app.after_request(_security_headers)
    return api


def _security_headers(response: Response) -> Response:
    """Headers every answer carries (README: API, caching and privacy).

    API answers no cache may keep (`no-store`) unless the view named them
    cacheable (`api/caching.py`): tokens and contacts live in those answers.
    Every 429 says when to try again.
    """
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith(API_PREFIX) and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if response.status_code == 429:
        response.headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return response


API_DESCRIPTION = """\
Appointments, walk-in queue and wait-time estimates for collection sites.

Staff, display and admin calls carry `Authorization: Bearer <API token>`.
Patients manage their own appointment or ticket with the secret token they were
given (`X-Patient-Token` header or `token` query parameter).

Answers that are not public reads carry `Cache-Control: no-store`; a 429
carries `Retry-After`.
"""
