"""API tokens: create, list, revoke, authenticate. Only hashes are stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from schedq.db.models import ApiToken, Site, api_token_sites
from schedq.db.uow import UnitOfWork
from schedq.domain.access import Principal
from schedq.domain.codes import hash_api_token, new_api_token
from schedq.domain.enums import Role
from schedq.domain.errors import InvalidInput, NotFound


def create_token(
    uow: UnitOfWork, *, name: str, role: Role, site_ids: Sequence[int], now: datetime
) -> tuple[str, ApiToken]:
    """A new token; the plain text is returned once and never stored."""
    if role is not Role.ADMIN and not site_ids:
        raise InvalidInput("site_ids", f"a {role.value} token needs at least one site")
    with uow:
        sites = list(uow.session.scalars(select(Site).where(Site.id.in_(site_ids))))
        missing = set(site_ids) - {s.id for s in sites}
        if missing:
            raise InvalidInput("site_ids", f"no site with id {sorted(missing)}")
        plain = new_api_token()
        token = ApiToken(name=name, token_hash=hash_api_token(plain), role=role, created_at=now, sites=sites)
        uow.session.add(token)
        uow.commit()
        return plain, token


def list_tokens(uow: UnitOfWork) -> list[ApiToken]:
    with uow:
        return list(uow.session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(uow: UnitOfWork, *, token_id: int, now: datetime) -> ApiToken:
    with uow:
        token = uow.session.get(ApiToken, token_id)
        if token is None:
            raise NotFound(f"no API token {token_id}")
        if token.revoked_at is None:
            token.revoked_at = now
        uow.commit()
        return token


def authenticate(uow: UnitOfWork, *, plain: str) -> Principal | None:
    """The principal behind a bearer token, or None when unknown or revoked."""
    with uow:
        return principal_in(uow, plain=plain)


def principal_in(uow: UnitOfWork, *, plain: str) -> Principal | None:
    """`authenticate` inside a unit of work already open (the request's own read, `api.auth`).

    One statement, columns only: every staff request authenticates, so the
    token and its sites come in one row per site rather than two statements.
    """
    rows = uow.session.execute(
        select(ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.revoked_at, api_token_sites.c.site_id)
        .outerjoin(api_token_sites, api_token_sites.c.token_id == ApiToken.id)
        .where(ApiToken.token_hash == hash_api_token(plain))
    ).all()
    if not rows or rows[0].revoked_at is not None:
        return None
    token = rows[0]
    site_ids = frozenset(row.site_id for row in rows if row.site_id is not None)
    return Principal(token_id=token.id, name=token.name, role=token.role, site_ids=site_ids)
