"""HTTP caching of the public reads: wait, display feed, best times and the patient's ticket.

Each answer is named by the state it is built from (the site's state version,
its model and the 15-second instant; see `services.estimates.site_state`) and
by the request's path and query. The ETag comes from that name, read cheaply
before anything is built, so a client holding it gets a 304 at once, and
`Cache-Control` lets a CDN or reverse proxy hold site-level answers for a
moment. The ticket is personal: browsers revalidate it and shared caches keep none.
"""

from __future__ import annotations

import hashlib

from flask import Response, after_this_request, request
from flask_smorest.exceptions import NotModified

SITE_PUBLIC = "public, max-age=2"
"""The wait and best times: anyone may hold them two seconds."""

LOBBY = "public, max-age=1"
"""The display feed: one second, so a call reaches the screen within two (the screen polls every 1.5 s)."""

PERSONAL = "private, no-cache"
"""The patient's ticket: their browser only, revalidated each time."""

NOT_MODIFIED_DOC = {"description": "Not modified: the ETag sent in If-None-Match is still current"}


def answer_from_state(state: str, *, cache_control: str) -> None:
    """Name this answer by `state`: 304 now when the client holds it; else the answer carries its ETag."""
    etag = hashlib.sha256(f"{request.full_path}\n{state}".encode()).hexdigest()[:32]

    @after_this_request
    def _headers(response: Response) -> Response:
        if response.status_code in (200, 304):
            response.set_etag(etag)
            response.headers["Cache-Control"] = cache_control
        return response

    if request.if_none_match.contains(etag):
        raise NotModified
