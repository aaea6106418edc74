"""Formats and search handling of the FHIR API: JSON only, `_format`, `Accept` and `Prefer: handling`.

The server speaks FHIR JSON (`application/fhir+json`); a client that asks for
plain `application/json` gets the same body under that type. XML, Turtle or
any other format asked by `_format` or by an `Accept` that takes no JSON is a
406. Unknown search parameters are ignored (and left out of the Bundle's
`self` link) unless the client sends `Prefer: handling=strict`, which turns
them into a 400 (FHIR R4 "Handling errors" in search).
"""

from __future__ import annotations

import json

from flask import Response, request

from schedq.api.fhir.errors import FhirError

FHIR_JSON = "application/fhir+json"
JSON = "application/json"
FORMAT_ALIASES = {"json": FHIR_JSON, FHIR_JSON: FHIR_JSON, JSON: JSON, "text/json": JSON}
COMMON_PARAMETERS = frozenset({"_format", "_pretty"})
"""Parameters every interaction takes besides its own (FHIR R4 "Common parameters")."""


def answer_type() -> str:
    """The content type to answer in; FhirError 406 when the client takes no JSON."""
    asked = request.args.get("_format")
    if asked is not None:
        kind = FORMAT_ALIASES.get(asked.split(";")[0].strip().lower())
        if kind is None:
            raise FhirError(406, f"_format {asked!r} is not served: this server speaks FHIR JSON only")
        return kind
    accept = request.accept_mimetypes
    if not request.headers.get("Accept", "").strip():
        return FHIR_JSON
    if accept.best_match([FHIR_JSON, JSON]) is None and accept.best_match(["text/html"]) is None:
        # A browser asks for text/html (with */*): it gets JSON. A client that takes only XML does not.
        raise FhirError(406, "this server speaks FHIR JSON only (application/fhir+json)")
    return JSON if accept[JSON] > accept[FHIR_JSON] else FHIR_JSON


def fhir_response(body: dict, *, status: int = 200) -> Response:
    """A FHIR JSON answer; errors found choosing the type fall back to FHIR JSON."""
    try:
        mimetype = answer_type()
    except FhirError:
        mimetype = FHIR_JSON
    pretty = request.args.get("_pretty") == "true"
    text = json.dumps(
        body, ensure_ascii=False, indent=2 if pretty else None, separators=None if pretty else (",", ":")
    )
    return Response(text, status=status, mimetype=mimetype, content_type=f"{mimetype}; charset=utf-8")


def strict_handling() -> bool:
    """`Prefer: handling=strict`: unknown or unsupported search parameters are errors, not ignored."""
    for part in request.headers.get("Prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "handling":
            return value.strip().strip('"').lower() == "strict"
    return False


def check_parameters(known: frozenset[str]) -> list[str]:
    """The request's parameters this interaction ignores; 400 for them under strict handling.

    A parameter with a modifier (`status:not`) the interaction does not take
    counts as unknown.
    """
    unknown = sorted(name for name in request.args if name not in known and name not in COMMON_PARAMETERS)
    if unknown and strict_handling():
        raise FhirError(
            400,
            f"unknown or unsupported search parameter(s): {', '.join(unknown)}",
            code="not-supported",
            expression=unknown[0],
        )
    return unknown
