"""Domain errors as HTTP answers, in flask-smorest's error format."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from schedq.api.estimates.schemas import SiteStatusSchema
from schedq.domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    SiteClosed,
    TooManyRequests,
)

STATUS_OF = {InvalidInput: 422, NotFound: 404, Conflict: 409, TooManyRequests: 429}


def error_body(status: int, message: str, **extra) -> dict:
    return {"code": status, "status": HTTP_STATUS_CODES.get(status, ""), "message": message, **extra}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        status = next((code for kind, code in STATUS_OF.items() if isinstance(error, kind)), 400)
        extra: dict = {}
        if isinstance(error, InvalidInput):
            location = "query" if request.method in ("GET", "DELETE") else "json"
            extra["errors"] = {location: {error.field: [error.message]}}
        if isinstance(error, Conflict) and error.allowed is not None:
            extra["allowed_actions"] = error.allowed
        if isinstance(error, SiteClosed):
            # Declared as JoinRefusedSchema on the join and check-in endpoints.
            extra["messages"] = dict(error.status.messages)
            extra["site_status"] = SiteStatusSchema().dump(error.status)
        return jsonify(error_body(status, error.message, **extra)), status

    @app.errorhandler(413)
    def _too_large(error: HTTPException):
        return jsonify(error_body(413, "the request body is too large")), 413
