"""The bulk publication served by schedq: /fhir/$bulk-publish, the NDJSON files it names, and the
`walk-in-wait` StructureDefinition at its canonical URL (README: "FHIR and SMART Scheduling Links").

A plain Flask blueprint, outside the /api/v1 OpenAPI document: FHIR clients read
the guide's manifest, not OpenAPI. The files live in the publication directory
(SCHEDQ_FHIR_PUBLICATION_DIR, by default `instance/fhir-publication`), written
there by `schedq fhir publish` (a cron job or its `--every` loop) or, when the
manifest there is missing or older than SCHEDQ_FHIR_PUBLISH_EVERY_SECONDS
(300), by the request that finds it so. Every answer carries an ETag (a digest
of the bytes) and Last-Modified (the publication's transactionTime), answers
If-None-Match / If-Modified-Since with 304, and may be kept by a CDN for a
minute. A refusal (a file the manifest does not name, a method other than GET)
is an OperationOutcome in `application/fhir+json`, as everywhere under /fhir.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.wrappers import Response as BaseResponse

from schedq.api.fhir import errors
from schedq.fhir import files, mapping, publication
from schedq.web_context import now, uow

bp = Blueprint("fhir_bulk", __name__)
errors.register(bp)  # an unknown file is a 404 OperationOutcome, like every error under /fhir

CACHE_CONTROL = "public, max-age=60"
LOCK_NAME = ".publishing.lock"
FILE_NAME = re.compile(r"[A-Za-z]+(-[A-Z0-9]{1,3})?(-[0-9]+)?\.ndjson")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def publication_dir() -> Path:
    configured = current_app.config.get("FHIR_PUBLICATION_DIR")
    return Path(configured) if configured else Path(current_app.config["INSTANCE_DIR"]) / "fhir-publication"


def every_seconds() -> int:
    return int(current_app.config["FHIR_PUBLISH_EVERY_SECONDS"])


def public_url() -> str:
    return current_app.config["PUBLIC_URL"]


def _current() -> dict:
    """The manifest in the publication directory, regenerated first when missing or due.

    One regeneration at a time per directory, whichever worker or host finds it
    due (an exclusive lock on `.publishing.lock` beside the files): while one
    regenerates, the others serve the publication there is, or wait for the
    first one when there is none yet.
    """
    directory = publication_dir()
    manifest = files.read_manifest(directory)
    if manifest is not None and not _due(manifest):
        return manifest
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_NAME, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (fcntl.LOCK_NB if manifest is not None else 0))
        except BlockingIOError:  # only asked not to wait with a publication in hand
            assert manifest is not None
            return manifest  # another worker is regenerating; this one is due but whole
        try:
            manifest = files.read_manifest(directory)  # renewed while this one waited?
            if manifest is None or _due(manifest):
                manifest = publication.publish(uow, directory, public_url=public_url(), now=now()).manifest
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    assert manifest is not None
    return manifest


def _due(manifest: dict) -> bool:
    return now() - files.transaction_time(manifest) >= timedelta(seconds=every_seconds())


@bp.get("/fhir/$bulk-publish")
def manifest():
    """The SMART Scheduling Links manifest: transactionTime and the NDJSON files of this publication."""
    current = _current()
    return _answer(files.manifest_body(current), publication.MANIFEST_TYPE, current)


@bp.get("/fhir/bulk/<string:name>")
def ndjson(name: str):
    """One NDJSON file named by the current manifest."""
    if not FILE_NAME.fullmatch(name):
        abort(404)
    current = _current()
    if not any(entry["url"].endswith("/" + name) for entry in current["output"]):
        abort(404)
    try:
        body = (publication_dir() / name).read_bytes()
    except FileNotFoundError:
        abort(404)
    return _answer(body, publication.FHIR_NDJSON, current)


@bp.get("/fhir/StructureDefinition/" + mapping.WALK_IN_WAIT_ID)
def walk_in_wait_definition():
    """The StructureDefinition of the live walk-in wait extension, at its canonical URL."""
    body = json.dumps(mapping.walk_in_wait_definition(public_url()), indent=1).encode() + b"\n"
    response = Response(body, content_type="application/fhir+json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response.make_conditional(request)


def _answer(body: bytes, content_type: str, current: dict) -> BaseResponse:
    response = Response(body, content_type=content_type)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.last_modified = files.transaction_time(current)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)
