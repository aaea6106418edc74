"""The FHIR R4 read API under /fhir: the CapabilityStatement, reads, searches and errors.

A plain Flask blueprint, outside the OpenAPI document: FHIR clients learn the
API from `/fhir/metadata`, which is built from the same table (`INTERACTIONS`)
the routes are registered from, so what it states is what is served. Every
answer is FHIR JSON and every refusal an OperationOutcome (`errors`), also for
a path or method the API does not have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from schedq.api.fhir import errors
from schedq.api.fhir.negotiation import FHIR_JSON, answer_type, fhir_response
from schedq.api.language import chosen_language

FHIR_VERSION = "4.0.1"
CAPABILITY_DATE = "2026-12-02"
"""When what this statement says last changed: change it with the interactions."""
PREFIX = "/fhir"

bp = Blueprint("fhir", __name__, url_prefix=PREFIX)
errors.register(bp)


@dataclass(frozen=True)
class SearchParameter:
    name: str
    type: str
    documentation: str


@dataclass
class ResourceInteractions:
    """What the API does with one resource type: read, search (with its parameters), the view functions."""

    type: str
    documentation: str
    read: Callable[[str], dict] | None = None
    search: Callable[[], dict] | None = None
    parameters: list[SearchParameter] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    create: Callable[[], Response] | None = None

    def type_methods(self) -> set[str]:
        """The methods `/fhir/{type}` takes: GET to search, POST to create."""
        return ({"GET"} if self.search else set()) | ({"POST"} if self.create else set())


INTERACTIONS: dict[str, ResourceInteractions] = {}
"""Filled by the resource modules as they register (`resource`)."""


def resource(
    type_: str,
    *,
    documentation: str,
    read: Callable[[str], dict] | None = None,
    search: Callable[[], dict] | None = None,
    parameters: list[SearchParameter] | None = None,
    profiles: list[str] | None = None,
    create: Callable[[], Response] | None = None,
) -> None:
    """Serve `type_`: `GET /fhir/{type}/{id}` with `read`, `GET /fhir/{type}?…` with `search`, `POST /fhir/{type}`
    with `create`."""
    INTERACTIONS[type_] = ResourceInteractions(
        type_, documentation, read, search, list(parameters or []), list(profiles or []), create
    )


def base_url() -> str:
    """The FHIR base URL of this deployment (SCHEDQ_PUBLIC_URL + /fhir): fullUrls and links start with it."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + PREFIX


def _only(methods: set[str]) -> None:
    """405 with `Allow` for any other method (HEAD and OPTIONS come with GET)."""
    allowed = methods | ({"HEAD", "OPTIONS"} if "GET" in methods else set())
    if request.method not in allowed:
        raise MethodNotAllowed(valid_methods=sorted(allowed))


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@bp.before_request
def _negotiate() -> None:
    answer_type()  # 406 before any work when the client takes no JSON


@bp.after_request
def _headers(response: Response) -> Response:
    # Slots and appointments change with every booking; a patient's appointment is personal.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Service names and preparation are in the language asked (`?lang=`, else Accept-Language).
    response.headers["Content-Language"] = chosen_language()
    response.vary.add("Accept-Language")
    return response


@bp.route("/metadata", methods=ALL_METHODS)
def metadata() -> Response:
    """The CapabilityStatement: what this server serves (FHIR R4 `capabilities` interaction)."""
    _only({"GET"})
    return fhir_response(capability_statement())


@bp.route("/<string:type_>", methods=ALL_METHODS)
def search_type(type_: str) -> Response:
    interactions = INTERACTIONS.get(type_)
    methods = set() if interactions is None else interactions.type_methods()
    if interactions is None or not methods:
        _not_served()
    _only(methods)
    if request.method == "POST" and interactions.create is not None:
        return interactions.create()
    assert interactions.search is not None  # `_only` let a GET through
    return fhir_response(interactions.search())


@bp.route("/<string:type_>/<string:id_>", methods=ALL_METHODS)
def read(type_: str, id_: str) -> Response:
    interactions = INTERACTIONS.get(type_)
    if interactions is None or interactions.read is None:
        _not_served()
    _only({"GET"})
    return fhir_response(interactions.read(id_))


@bp.route("/", methods=ALL_METHODS)
@bp.route("/<path:rest>", methods=ALL_METHODS)
def unknown(rest: str = "") -> Response:
    """Any other path under /fhir: a 404 OperationOutcome, not an HTML page."""
    _not_served()


def _not_served() -> NoReturn:
    """404, or 405 when another blueprint (the bulk publication's) serves this path with other methods.

    These catch-all rules take every method, so a method the other rule does
    not take lands here rather than in werkzeug's own 405.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    others = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if not str(endpoint).startswith(bp.name + "."):
            others.add(method)
    if others:
        _only(others)
    raise NotFound(f"{request.path} is not served here; see /fhir/metadata")


def capability_statement() -> dict:
    """The server's CapabilityStatement (kind `instance`, FHIR 4.0.1, JSON)."""
    resources = []
    for interactions in sorted(INTERACTIONS.values(), key=lambda each: each.type):
        entry: dict = {"type": interactions.type, "documentation": interactions.documentation}
        if interactions.profiles:
            entry["supportedProfile"] = interactions.profiles
        entry["interaction"] = [
            {"code": code}
            for code, view in (
                ("read", interactions.read),
                ("search-type", interactions.search),
                ("create", interactions.create),
            )
            if view is not None
        ]
        if interactions.parameters:
            entry["searchParam"] = [
                {"name": p.name, "type": p.type, "documentation": p.documentation}
                for p in interactions.parameters
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "schedq",
        "kind": "instance",
        "software": {"name": "schedq", "version": _version()},
        "implementation": {"description": "schedq FHIR R4 read API", "url": base_url()},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Reads and searches, and booking a Slot by creating an Appointment. "
                "Errors are OperationOutcomes. Unknown search parameters are "
                "ignored unless `Prefer: handling=strict`.",
                "security": {
                    "description": "Public: Location, HealthcareService, Schedule, Slot. Appointment: the "
                    "patient's manage token (X-Patient-Token header or token parameter) or a staff API "
                    "token of the appointment's site (Authorization: Bearer). Creating an Appointment needs no "
                    "token; its answer carries the patient's manage token (X-Patient-Token)."
                },
                "resource": resources,
                "operation": [
                    {
                        "name": "bulk-publish",
                        "definition": "http://hl7.org/fhir/uv/smart-scheduling-links/OperationDefinition/bulk-publish",
                        "documentation": "SMART Scheduling Links: the manifest of NDJSON files of Location, "
                        "Schedule and Slot (GET /fhir/$bulk-publish)",
                    }
                ],
            }
        ],
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("schedq")
    except PackageNotFoundError:
        return "unknown"
