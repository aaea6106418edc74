"""A site's webhook endpoints: where its systems hear of every ticket and appointment change.

Only the name of the environment variable holding the signing secret is
stored; the secret itself never enters the database (README: "Notifications").
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from schedq.db.models import WebhookEndpoint
from schedq.db.uow import UnitOfWork
from schedq.domain.errors import Conflict, InvalidInput, NotFound
from schedq.services.sites import load_site

ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")


def add(uow: UnitOfWork, *, site_id: int, url: str, secret_env: str, now: datetime) -> WebhookEndpoint:
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise InvalidInput("url", "must be an absolute http(s) URL")
    if not ENV_NAME.match(secret_env):
        raise InvalidInput("secret_env", "must name an environment variable (A-Z, 0-9, _)")
    with uow:
        load_site(uow, site_id)
        endpoint = WebhookEndpoint(
            site_id=site_id, url=url, secret_env=secret_env, active=True, created_at=now
        )
        uow.session.add(endpoint)
        try:
            uow.commit()
        except IntegrityError:
            raise Conflict("this site already has an endpoint at that URL") from None
        return endpoint


def list_for(uow: UnitOfWork, *, site_id: int) -> list[WebhookEndpoint]:
    with uow:
        load_site(uow, site_id)
        return list(
            uow.session.scalars(
                select(WebhookEndpoint).where(WebhookEndpoint.site_id == site_id).order_by(WebhookEndpoint.id)
            )
        )


def remove(uow: UnitOfWork, *, site_id: int, endpoint_id: int) -> None:
    with uow:
        endpoint = uow.session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None or endpoint.site_id != site_id:
            raise NotFound(f"no webhook endpoint {endpoint_id} at this site")
        uow.session.delete(endpoint)
        uow.commit()
