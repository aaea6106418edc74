"""The language of a public read's words: `?lang=`, else `Accept-Language`, else English (README: Languages).

A public read (a site's wait, the display feed, the nearby search, a ticket's
status, an appointment) names services, preparation and stations in this
language, with English where no name was set in it; a refused join is said
in it. Every API answer states the language in `Content-Language` and varies
on `Accept-Language`, so a shared cache keeps one answer per language; the
ETag and each worker's kept bodies are per language too (`caching.answer`).
The `message` maps keep every language: the lobby display shows several.
"""

from __future__ import annotations

from flask import Response, has_request_context, request
from marshmallow import Schema, fields, validate

from schedq.catalogues import LANGUAGES


def chosen_language() -> str:
    """The request's language: a known `?lang=`, else the best `Accept-Language` match, else English."""
    if not has_request_context():
        return LANGUAGES[0]
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def state_language(response: Response) -> Response:
    """Every API answer says its language (`Content-Language`) and that it varies on `Accept-Language`."""
    if request.path.startswith("/api/"):
        response.headers["Content-Language"] = chosen_language()
        response.vary.add("Accept-Language")
    return response


class Translations(fields.Dict):
    """Words set per language, by language code: {"es": {"name": …}}; English is the object's own fields.

    A language schedq has no catalogue for is refused (422), so every word set
    here can be shown. Changing them sets only the languages given: one given
    as `{}` is removed (its readers see the English again).
    """

    def __init__(self, words: type[Schema], **options: object) -> None:
        others = [code for code in LANGUAGES if code != LANGUAGES[0]]
        super().__init__(
            keys=fields.String(
                validate=validate.OneOf(others, error="not a language schedq speaks: {input}")
            ),
            values=fields.Nested(words),
            metadata={
                "description": "the words in other languages, by language code "
                f"({', '.join(others)}); English where one is not set"
            },
            **options,  # type: ignore[arg-type]
        )
