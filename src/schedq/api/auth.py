"""Bearer API tokens and patient tokens, read from the request."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_smorest import abort

from schedq.db.uow import UnitOfWork
from schedq.domain.access import Principal
from schedq.services import access
from schedq.web_context import uow

BEARER_DOC: dict[str, Any] = {"security": [{"bearerAuth": []}]}
PATIENT_TOKEN_HEADER = "X-Patient-Token"


def patient_token_doc(what: str) -> dict:
    """The OpenAPI parameter for a patient's secret, described as `what`."""
    return {
        "in": "header",
        "name": PATIENT_TOKEN_HEADER,
        "required": False,
        "schema": {"type": "string"},
        "description": f"{what} (or the `token` query parameter)",
    }


def current_principal(within: UnitOfWork | None = None) -> Principal | None:
    """The API token's principal; aborts 401 on a malformed, unknown or revoked token.

    `within`: a unit of work the request has open already, so the token is read
    in it rather than in a transaction of its own (one connection, one round of
    BEGIN and ROLLBACK fewer).
    """
    if "principal" not in g:
        header = request.headers.get("Authorization", "")
        if not header:
            g.principal = None
        else:
            scheme, _, plain = header.partition(" ")
            principal = None
            if scheme.lower() == "bearer" and plain.strip():
                principal = (
                    access.authenticate(uow(write=False), plain=plain.strip())
                    if within is None
                    else access.principal_in(within, plain=plain.strip())
                )
            if principal is None:
                abort(401, message="invalid or revoked API token", headers={"WWW-Authenticate": "Bearer"})
            g.principal = principal
    return g.principal


def _required() -> Principal:
    principal = current_principal()
    if principal is None:
        abort(401, message="an API token is required", headers={"WWW-Authenticate": "Bearer"})
    return principal


def require_global_admin() -> Principal:
    principal = _required()
    if not principal.is_global_admin:
        abort(403, message="this needs an admin token for all sites")
    return principal


def require_configure(site_id: int) -> Principal:
    principal = _required()
    if not principal.may_configure(site_id):
        abort(403, message="this needs an admin token for this site")
    return principal


def require_staff(site_id: int) -> Principal:
    principal = _required()
    if not principal.may_staff(site_id):
        abort(403, message="this needs a staff token for this site")
    return principal


def require_display(site_id: int) -> Principal:
    principal = _required()
    if not principal.may_display(site_id):
        abort(403, message="this needs a display or staff token for this site")
    return principal


def patient_token() -> str:
    """The patient's secret from the header or the `token` query parameter; 401 if absent."""
    token = request.headers.get(PATIENT_TOKEN_HEADER) or request.args.get("token", "")
    if not token:
        abort(
            401, message=f"the patient token is required ({PATIENT_TOKEN_HEADER} header or token parameter)"
        )
    return token


def secret_key() -> str:
    return current_app.config["SECRET_KEY"]
