"""Domain errors as HTTP answers, in flask-smorest's error format.

A database that cannot be reached (restarting, failing over, or locked for
longer than the wait allowed) is a 503 with `Retry-After`: nothing was
written, and the same request can be sent again.
"""

from __future__ import annotations

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask, jsonify, request
from marshmallow import Schema, fields
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from schedq.api.estimates.schemas import SiteStatusSchema
from schedq.api.language import chosen_language
from schedq.domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    SiteClosed,
    TooManyRequests,
)

STATUS_OF = {InvalidInput: 422, NotFound: 404, Conflict: 409, TooManyRequests: 429}
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)
RETRY_AFTER_SECONDS = 2
RETRY_AFTER_HEADER = {
    "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
}


def error_body(status: int, message: str, **extra) -> dict:
    return {"code": status, "status": HTTP_STATUS_CODES.get(status, ""), "message": message, **extra}


class LimitSchema(Schema):
    per = fields.String(
        metadata={
            "enum": ["contact", "address"],
            "description": "`contact`: writes by the same phone or email in the last 24 hours; `address`: from this client address in the current hour",
        }
    )
    count = fields.Integer(metadata={"description": "how many such writes the limit lets in"})


class ErrorSchema(Schema):
    """Every error answer: 4xx and 5xx (README: API)."""

    code = fields.Integer(metadata={"description": "the HTTP status"})
    status = fields.String(metadata={"description": "the status's name"})
    message = fields.String(metadata={"description": "what went wrong, in English"})
    errors = fields.Dict(
        metadata={
            "description": "bad input: per location (`json`, `query`, `headers`), each field's messages, e.g. "
            '`{"json": {"hours": {"1": {"opens": ["…"]}}}}`'
        }
    )
    allowed_actions = fields.List(
        fields.String(),
        metadata={"description": "a 409 for a ticket action its status does not allow: the actions it does"},
    )
    retry_after_seconds = fields.Integer(metadata={"description": "a 429: the same as its `Retry-After`"})
    limit = fields.Nested(
        LimitSchema,
        metadata={
            "description": "a 429 of the site's limits (README: contacts and limits): which limit held"
        },
    )


class SchemaExtrasDoc(BasePlugin):
    """Adds a schema class's `OPENAPI_EXTRA` (rules across fields, e.g. `anyOf`) to its OpenAPI schema."""

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        if schema is None:
            return None
        return dict(getattr(resolve_schema_cls(schema), "OPENAPI_EXTRA", None) or {}) or None


class DatabaseUnavailableDoc(BasePlugin):
    """Declares on every operation the 503 a database outage answers, with its `Retry-After`."""

    RESPONSE = "DATABASE_UNAVAILABLE"

    def init_spec(self, spec: APISpec) -> None:
        spec.components.response(
            self.RESPONSE,
            {
                "description": "the database is unavailable for a moment; nothing was written, retry after the given seconds",
                "headers": {
                    "Retry-After": {
                        "description": "seconds to wait before retrying",
                        "schema": {"type": "integer"},
                    }
                },
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            operation.setdefault("responses", {})["503"] = {"$ref": f"#/components/responses/{self.RESPONSE}"}


def _nested(field: str, messages: list[str]) -> dict:
    """`{"contact": {"phone": [...]}}` for the field `contact.phone`, as marshmallow names nested fields."""
    head, _, rest = field.partition(".")
    return {head: _nested(rest, messages) if rest else messages}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        status = next((code for kind, code in STATUS_OF.items() if isinstance(error, kind)), 400)
        extra: dict = {}
        headers: dict[str, str] = {}
        message = error.message
        if isinstance(error, InvalidInput):
            location = "query" if request.method in ("GET", "DELETE") else "json"
            extra["errors"] = {location: _nested(error.field, [error.message])}
        if isinstance(error, Conflict) and error.allowed is not None:
            extra["allowed_actions"] = error.allowed
        if isinstance(error, SiteClosed):
            # Declared as JoinRefusedSchema on the join and check-in endpoints.
            extra["messages"] = dict(error.status.messages)
            extra["site_status"] = SiteStatusSchema().dump(error.status)
            message = error.status.message(chosen_language())
        if isinstance(error, TooManyRequests):
            headers["Retry-After"] = str(error.retry_after_seconds)
            extra["retry_after_seconds"] = error.retry_after_seconds
            if error.per is not None:
                extra["limit"] = {"per": error.per, "count": error.count}
        return jsonify(error_body(status, message, **extra)), status, headers

    def _database_unavailable(error: Exception):
        app.logger.warning("database unavailable: %s", error.__class__.__name__)
        body = error_body(503, "the database is unavailable for a moment; retry shortly")
        return jsonify(body), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, _database_unavailable)

    @app.errorhandler(413)
    def _too_large(error: HTTPException):
        return jsonify(error_body(413, "the request body is too large")), 413
