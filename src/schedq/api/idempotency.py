"""Retried writes answered once: the `Idempotency-Key` header on any POST that may be retried.

A request with a key runs in one transaction (`db.uow.shared_transaction`):
it reserves the key, does the work and stores its answer, and all three
commit together or not at all. So a crash, a killed worker or a database
outage never leaves half of it behind: either the work and its answer are
both there, and a retry with the same key and body gets that answer again
(`Idempotent-Replayed: true`) and changes nothing, or neither is, and a retry
does the work. A retry that arrives while the first is still running waits
for it and gets its answer.

The reservation is a lease of `LEASE` (30 s): it lives only as long as the
first request's transaction. A worker that dies loses its connection and the
database rolls the transaction back at once; on PostgreSQL a worker that
stops answering inside it is cut off after the lease
(`idle_in_transaction_session_timeout`), and a retry waits at most the lease
before it is told, with a 409 and `Retry-After`, that the key is still being
processed. (A reservation row committed alone by an older release is taken
over once it is older than the lease.)

Keys are scoped to the endpoint, its URL and the caller: the API token, or
for callers without one the client's address, so one caller cannot replay
another's answer. Stored answers keep no patient token: a replayed join
derives it again from the ticket. Answers are kept for a day (`KEEP`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import Response, current_app, jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from schedq.api.auth import current_principal, secret_key
from schedq.api.errors import RETRY_AFTER_SECONDS, error_body
from schedq.db.models import IdempotencyRecord
from schedq.db.uow import shared_transaction
from schedq.domain.errors import InvalidInput
from schedq.web_context import database, now, uow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 128
KEEP = timedelta(days=1)
LEASE = timedelta(seconds=30)
PENDING = 0
FORGET_BATCH = 100
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout runs out

HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[\\x20-\\x7e]+$"},
    "description": "a retry with the same key and body returns the first answer and changes nothing",
}

TokenOf = Callable[..., "str | None"]
Finish = Callable[[dict], dict]


def idempotency_key() -> str | None:
    key = request.headers.get(HEADER)
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput(HEADER, f"must be 1 to {MAX_KEY_LENGTH} characters")
    if key is not None and not (key.isascii() and key.isprintable()):
        raise InvalidInput(HEADER, "must be printable ASCII")
    return key


def caller() -> str:
    """Who is asking, for scoping keys: the API token, else the client's address."""
    principal = current_principal()
    return f"token:{principal.token_id}" if principal is not None else f"address:{request.remote_addr}"


def request_scope() -> str:
    """The key's scope for this request: endpoint, URL and caller, hashed to fit the column."""
    return hashlib.sha256(f"{request.endpoint}:{request.path}:{caller()}".encode()).hexdigest()


def request_fingerprint() -> str:
    return hashlib.sha256(request.get_data()).hexdigest()


def idempotent(blp: Blueprint, *, token_of: TokenOf | None = None, finish: Finish | None = None):
    """Make a view's POST answer once per `Idempotency-Key` (put it above @blp.arguments).

    `token_of(uow, ticket_id=…, secret_key=…)` derives the patient token a
    replayed answer carries again, for views whose answer holds one.
    `finish(body) -> body` completes a successful answer once the work has
    committed, outside the transaction and its site lock (a join's estimate);
    the stored answer is then brought up to date in a short write of its own.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = idempotency_key()
            if key is None:
                return view(*args, **kwargs)
            scope = request_scope()
            fingerprint = request_fingerprint()
            with shared_transaction(database()) as session:
                _hold_lease(session)
                reserved = _reserve(session, scope, key, fingerprint)
                if isinstance(reserved, Response):
                    return reserved if token_of is None else _with_token(reserved, token_of)
                response = view(*args, **kwargs)
                if response.status_code >= 500:
                    return response  # leaving without a commit frees the key
                reserved.status_code = response.status_code
                reserved.response = _without_token(response.get_json(silent=True) or {})
                session.commit()
                record_id = reserved.id
            if finish is not None and response.status_code < 400:
                body = finish(response.get_json())
                response.set_data(current_app.json.dumps(body) + "\n")
                _update_answer(record_id, _without_token(body))
            return response

        return blp.doc(parameters=[HEADER_DOC])(wrapper)

    return decorator


def _update_answer(record_id: int, body: dict) -> None:
    """Keep the completed answer for replays (until then a replay gets the answer as first stored)."""
    with uow() as writer:
        writer.session.execute(
            update(IdempotencyRecord).where(IdempotencyRecord.id == record_id).values(response=body)
        )
        writer.commit()


def _hold_lease(session: Session) -> None:
    """On PostgreSQL, bound how long this transaction may sit idle and how long a retry waits for it."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the reservation is the write lock, freed when its process ends
    seconds = int(LEASE.total_seconds())
    session.execute(text(f"SET LOCAL lock_timeout = '{seconds}s'"))
    session.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = '{seconds}s'"))


def _reserve(session: Session, scope: str, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    """The key's reservation in this transaction, or the answer to give instead of doing the work."""
    at = now()
    _forget_old(session, at)
    record = _find(session, scope, key)
    if record is not None and record.status_code == PENDING and record.created_at <= at - LEASE:
        session.delete(record)  # a reservation committed alone by an older release, past its lease
        session.flush()
        record = None
    if record is None:
        record = IdempotencyRecord(
            scope=scope, key=key, fingerprint=fingerprint, status_code=PENDING, response={}, created_at=at
        )
        session.add(record)
        try:
            # On PostgreSQL this waits while a concurrent request holds the same key.
            session.flush()
            return record
        except IntegrityError:
            session.rollback()  # that request committed first: answer with its answer
            record = _find(session, scope, key)
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            return _still_processing()
        if record is None:
            return _still_processing()
    if record.fingerprint != fingerprint:
        return _answer(
            422,
            error_body(
                422,
                f"this {HEADER} was used with a different request",
                errors={"headers": {HEADER: ["reused with a different body"]}},
            ),
        )
    if record.status_code == PENDING:
        return _still_processing()
    replay = _answer(record.status_code, record.response)
    replay.headers["Idempotent-Replayed"] = "true"
    return replay


def _find(session: Session, scope: str, key: str) -> IdempotencyRecord | None:
    return session.scalars(
        select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    ).one_or_none()


def _forget_old(session: Session, at) -> None:
    """Drop answers older than `KEEP`, skipping rows another request is dropping right now."""
    old = (
        select(IdempotencyRecord.id)
        .where(IdempotencyRecord.created_at < at - KEEP)
        .limit(FORGET_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(old)))


def _without_token(body: dict) -> dict:
    return {name: value for name, value in body.items() if name != "token"}


def _with_token(replay: Response, token_of: TokenOf) -> Response:
    body = replay.get_json(silent=True)
    if replay.status_code >= 400 or not isinstance(body, dict) or "id" not in body:
        return replay
    token = token_of(uow(write=False), ticket_id=body["id"], secret_key=secret_key())
    answer = _answer(replay.status_code, {**body, "token": token} if token is not None else body)
    answer.headers["Idempotent-Replayed"] = replay.headers["Idempotent-Replayed"]
    return answer


def _still_processing() -> Response:
    answer = _answer(409, error_body(409, "a request with this key is still being processed; retry shortly"))
    answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return answer


def _answer(status: int, body: dict) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response
