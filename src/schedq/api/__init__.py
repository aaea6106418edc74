"""The JSON API under /api/v1, documented by flask-smorest."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_smorest import Api
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import BaseConverter, IntegerConverter

from schedq.api.bodies import check_json_body
from schedq.api.errors import (
    RETRY_AFTER_SECONDS,
    DatabaseUnavailableDoc,
    ErrorSchema,
    SchemaExtrasDoc,
    register_error_handlers,
)
from schedq.api.fields import MAX_ID
from schedq.api.language import state_language

API_PREFIX = "/api/"


class IdConverter(IntegerConverter):
    """`<id:name>`: an id in a path, 1 to `MAX_ID`; anything else matches no route (404)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


class ReferenceConverter(BaseConverter):
    """`<reference:name>`: an appointment reference as patients type it (`K7MQ-4XT9`, `k7mq4xt9`)."""

    regex = "[A-Za-z0-9-]{1,16}"


class CodeConverter(BaseConverter):
    """`<code:name>`: a service code (upper-case letters, digits and underscores)."""

    regex = "[A-Z][A-Z0-9_]{0,15}"


PATH_CONVERTERS = {"id": IdConverter, "reference": ReferenceConverter, "code": CodeConverter}


def _pattern_doc(converter: BaseConverter) -> dict:
    return {"type": "string", "pattern": f"^{converter.regex}$"}


class SchedqApi(Api):
    """flask-smorest's Api with schedq's error body; a 405 names the allowed methods in `Allow`."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        payload, status, headers = super().handle_http_exception(error)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers = {**dict(headers or {}), "Allow": ", ".join(sorted(error.valid_methods))}
        return payload, status, headers


def init_app(app: Flask) -> Api:
    from schedq.api.appointments.routes import blp as appointments
    from schedq.api.catalogue.routes import blp as catalogue
    from schedq.api.estimates.routes import blp as estimates
    from schedq.api.nearby.routes import blp as nearby
    from schedq.api.notify.routes import blp as notifications
    from schedq.api.queue.routes import blp as queue
    from schedq.api.reports.routes import blp as reports
    from schedq.api.sites.routes import blp as sites
    from schedq.api.sms.routes import blp as sms
    from schedq.api.staffing.routes import blp as staffing

    app.url_map.converters.update(PATH_CONVERTERS)
    api = SchedqApi(
        app,
        spec_kwargs={
            "info": {"description": API_DESCRIPTION},
            "extra_plugins": [DatabaseUnavailableDoc(), SchemaExtrasDoc()],
        },
    )
    app.extensions["schedq.api"] = api
    for converter in (ReferenceConverter, CodeConverter):
        api.register_converter(converter, _pattern_doc)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "schedq API token"}
    )
    for blueprint in (sites, catalogue, appointments, queue, estimates, nearby, sms, notifications, reports):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    api.register_blueprint(staffing, url_prefix="/api/v1")
    app.before_request(check_json_body)
    register_error_handlers(app)
    app.after_request(_security_headers)
    app.after_request(state_language)
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

Input rules (README: input rules): ids in paths and bodies are 1 to 2147483647
(others: 404 in a path, 422 in a body); JSON bodies nest at most 32 levels
(deeper: 400) and hold no lone surrogates or NUL characters (422); booleans are
`true`/`false` and integers whole JSON numbers; text is trimmed, names are never
blank, and no text holds control or bidirectional-control characters; dates lie
between 2000-01-01 and 2099-12-31. Errors carry `code`, `status`, `message` and,
for bad input, `errors` naming each field.
"""
