"""HTTP caching of the public reads: wait, display feed, best times and the patient's ticket.

Each answer is named by the state it is built from (the site's state version,
its model and the instant; see `services.public`), by the request's path
and query, and by its language (`api.language`: `Content-Language`, `Vary:
Accept-Language`). The ETag comes from that name, read in one statement before
anything is built, so a client holding it gets a 304 at once, and
`Cache-Control` lets a CDN or reverse proxy hold site-level answers for a
moment. The ticket is personal: no cache stores it; its page sends the ETag it kept itself.

Each worker process also keeps the bodies it built, by ETag (`Bodies`): a read
whose state is unchanged is answered from there, with no estimator work, no
ORM loads and no writes. An answer built from the previous state's estimate
(served while another worker computes the new one) is not kept. Ticket bodies
are kept like the rest, behind the owner check each request makes first.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache
from flask import Response, after_this_request, current_app, request
from flask_smorest.exceptions import NotModified

from schedq.api.language import chosen_language

SITE_PUBLIC = "public, max-age=2"
"""The wait and best times: anyone may hold them two seconds."""

LOBBY = "public, max-age=1"
"""The display feed: one second, so a call reaches the screen within two (the screen polls every 1.5 s)."""

PERSONAL = "private, no-store"
"""The patient's ticket: stored by no cache, not even the browser's (its page keeps the ETag itself)."""

NOT_MODIFIED_DOC = {"description": "Not modified: the ETag sent in If-None-Match is still current"}

BODIES_MAX_BYTES = 32 * 1024 * 1024
"""How much of the answers it built one worker process keeps (least recently used dropped first)."""


class Bodies:
    """Answers built in this process, by ETag, up to `max_bytes` (least recently used dropped first)."""

    def __init__(self, max_bytes: int = BODIES_MAX_BYTES) -> None:
        self._kept: LRUCache[str, tuple[bytes, str]] = LRUCache(
            max_bytes, getsizeof=lambda kept: len(kept[0])
        )
        self._lock = threading.Lock()

    def get(self, etag: str) -> tuple[bytes, str] | None:
        with self._lock:
            return self._kept.get(etag)

    def put(self, etag: str, body: bytes, mimetype: str) -> None:
        with self._lock:
            with contextlib.suppress(ValueError):  # larger than the whole cache: not kept
                self._kept[etag] = (body, mimetype)


def bodies() -> Bodies:
    """This app's bodies in this process (apps in one process, as in tests, keep theirs apart)."""
    found = current_app.extensions.get("schedq.bodies")
    if found is None:
        found = current_app.extensions.setdefault("schedq.bodies", Bodies())
    return found


def answer(state: str, *, cache_control: str, build: Callable[[], Any]) -> Any:
    """The answer named by `state`: 304 when the client holds it, else this worker's copy, else `build()`.

    `build()` runs only when neither will do; what it returns is kept for the
    next read of the same state unless it says it is `stale`.
    """
    language = chosen_language()
    etag = hashlib.sha256(f"{request.full_path}\n{language}\n{state}".encode()).hexdigest()[:32]
    keep = [False]

    @after_this_request
    def _headers(response: Response) -> Response:
        if response.status_code in (200, 304):
            response.set_etag(etag)
            response.headers["Cache-Control"] = cache_control
        if response.status_code == 200 and keep[0]:
            bodies().put(etag, response.get_data(), response.mimetype or "application/json")
        return response

    if request.if_none_match.contains(etag):
        raise NotModified
    kept = bodies().get(etag)
    if kept is not None:
        return Response(kept[0], status=200, mimetype=kept[1])
    result = build()
    keep[0] = not getattr(result, "stale", False)
    return result
