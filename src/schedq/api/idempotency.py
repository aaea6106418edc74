"""Retried writes answered once: the `Idempotency-Key` header on any POST that may be retried.

The first request with a key reserves it (a row committed before the work
starts), does the work and stores its answer; a retry with the same key and
the same body gets that answer again, with `Idempotent-Replayed: true`, and
changes nothing. A retry that arrives while the first is still running gets a
409 and can try again; a first attempt that failed frees its key. Keys are
scoped to the endpoint, its URL and the caller's API token, so one caller
cannot replay another's answer.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import wraps

from flask import Response, jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from schedq.api.auth import current_principal
from schedq.api.errors import error_body
from schedq.db.models import IdempotencyRecord
from schedq.domain.errors import InvalidInput
from schedq.web_context import now, uow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 128
KEEP = timedelta(days=1)
PENDING = 0

HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "a retry with the same key and body returns the first answer and changes nothing",
}


def idempotency_key() -> str | None:
    key = request.headers.get(HEADER)
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput(HEADER, f"must be 1 to {MAX_KEY_LENGTH} characters")
    return key


def idempotent(blp: Blueprint):
    """Make a view's POST answer once per `Idempotency-Key` (put it above @blp.arguments)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = idempotency_key()
            if key is None:
                return view(*args, **kwargs)
            principal = current_principal()
            scope = f"{request.endpoint}:{request.path}:{principal.token_id if principal else 'public'}"
            fingerprint = hashlib.sha256(request.get_data()).hexdigest()
            replay = _reserve(scope, key, fingerprint)
            if replay is not None:
                return replay
            try:
                response = view(*args, **kwargs)
            except BaseException:
                _release(scope, key)
                raise
            if response.status_code >= 500:
                _release(scope, key)
            else:
                _store(scope, key, response)
            return response

        return blp.doc(parameters=[HEADER_DOC])(wrapper)

    return decorator


def _reserve(scope: str, key: str, fingerprint: str) -> Response | None:
    """Reserve the key, or the answer to give instead of doing the work again."""
    for _ in range(2):
        with uow() as work:
            record = work.session.scalars(
                select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
            ).one_or_none()
            if record is None:
                _forget_old(work, now())
                work.session.add(
                    IdempotencyRecord(scope=scope, key=key, fingerprint=fingerprint, status_code=PENDING, response={}, created_at=now())
                )
                try:
                    work.commit()
                    return None
                except IntegrityError:
                    continue  # reserved by a concurrent retry a moment ago: read it
            if record.fingerprint != fingerprint:
                return _answer(422, error_body(422, f"this {HEADER} was used with a different request", errors={"headers": {HEADER: ["reused with a different body"]}}))
            if record.status_code == PENDING:
                return _answer(409, error_body(409, "a request with this key is still being processed; retry shortly"))
            replay = _answer(record.status_code, record.response)
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
    return _answer(409, error_body(409, "a request with this key is still being processed; retry shortly"))


def _store(scope: str, key: str, response: Response) -> None:
    with uow() as work:
        record = work.session.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        ).one()
        record.status_code = response.status_code
        record.response = response.get_json(silent=True) or {}
        work.commit()


def _release(scope: str, key: str) -> None:
    with uow() as work:
        work.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key))
        work.commit()


def _forget_old(work, at: datetime) -> None:
    work.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < at - KEEP, IdempotencyRecord.status_code != PENDING))


def _answer(status: int, body: dict) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response
