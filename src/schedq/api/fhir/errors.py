"""Every error under /fhir as a FHIR OperationOutcome, never an HTML page or schedq's JSON error body.

The status follows the FHIR REST rules (README: "FHIR read API"): 400 a bad
search parameter, 401 no or a wrong token, 403 a token without the right,
404 an unknown id or path, 405 a method the resource does not take (with
`Allow`), 406 a format other than JSON, 422 a value a rule refuses, 503
while the database cannot be reached (with `Retry-After`).
"""

from __future__ import annotations

from flask import Blueprint, current_app
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from schedq.api.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, STATUS_OF
from schedq.domain.errors import DomainError, InvalidInput, TooManyRequests

ISSUE_CODE_OF = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    503: "transient",
}
"""The OperationOutcome issue type (http://hl7.org/fhir/issue-type) an HTTP status stands for."""


class FhirError(Exception):
    """A refusal of the FHIR API: its HTTP status, the issue type, the words and where (FHIRPath)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        expression: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or ISSUE_CODE_OF.get(status, "processing")
        self.expression = expression
        self.headers = headers or {}


def operation_outcome(
    message: str, *, code: str, severity: str = "error", expression: str | None = None
) -> dict:
    """An OperationOutcome with one issue."""
    issue: dict = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_answer(status: int, message: str, *, code: str | None = None, expression: str | None = None):
    from schedq.api.fhir.negotiation import fhir_response

    body = operation_outcome(
        message, code=code or ISSUE_CODE_OF.get(status, "processing"), expression=expression
    )
    return fhir_response(body, status=status)


def register(bp: Blueprint) -> None:
    """Handlers on the FHIR blueprint: they take precedence over the app's JSON error handlers."""

    @bp.errorhandler(FhirError)
    def _fhir_error(error: FhirError):
        answer = outcome_answer(error.status, error.message, code=error.code, expression=error.expression)
        answer.headers.update(error.headers)
        return answer

    @bp.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        status = next((code for kind, code in STATUS_OF.items() if isinstance(error, kind)), 400)
        expression = error.field if isinstance(error, InvalidInput) else None
        answer = outcome_answer(status, error.message, expression=expression)
        if isinstance(error, TooManyRequests):
            answer.headers["Retry-After"] = str(error.retry_after_seconds)
        return answer

    @bp.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        # flask-smorest's abort (the API token checks) keeps its words in `data["message"]`.
        data = getattr(error, "data", None) or {}
        message = data.get("message") if isinstance(data, dict) else None
        answer = outcome_answer(status, message or error.description or "", code=ISSUE_CODE_OF.get(status))
        for name in ("WWW-Authenticate", "Retry-After"):
            value = (error.get_headers() and dict(error.get_headers()).get(name)) or (
                isinstance(data, dict) and (data.get("headers") or {}).get(name)
            )
            if value:
                answer.headers[name] = value
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            answer.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        if status >= 500:
            answer.status_code = status
        return answer

    def _database_unavailable(error: Exception):
        current_app.logger.warning("database unavailable: %s", error.__class__.__name__)
        answer = outcome_answer(503, "the database is unavailable for a moment; retry shortly")
        answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return answer

    for kind in DATABASE_UNAVAILABLE:
        bp.register_error_handler(kind, _database_unavailable)
