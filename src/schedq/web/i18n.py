"""The pages' language: English or Spanish, chosen by the patient and remembered.

The words live in gettext catalogues (`src/schedq/translations/`), read by
Flask-Babel; templates mark text with `_()` and `{% trans %}`. The language of a
page is, in order: `?lang=` in its address (the switch on every page, then
remembered in a cookie for a year), the cookie, the browser's
`Accept-Language`, English. README: "Languages" says how to add one.

Words a page's script shows are handed to it translated, as a JSON island
(`<script type="application/json" id="words">`), with `{name}` placeholders
the script fills in; they are never executed, so the pages' policy of no inline
script holds.
"""

from __future__ import annotations

from babel import Locale
from flask import Flask, Response, request
from flask_babel import Babel, get_locale

from schedq.catalogues import LANGUAGES, translations

# Each language named in itself, as its speakers look for it on the switch ("Español").
LANGUAGE_NAMES = {
    code: (Locale.parse(code).get_display_name(code) or code).capitalize() for code in LANGUAGES
}
COOKIE = "schedq_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def chosen_language() -> str:
    """The language of this request's page (see the module's docstring for the order)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(COOKIE)
    if kept in LANGUAGES:
        return kept
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def current_language() -> str:
    return str(get_locale() or LANGUAGES[0])


def remember_language(response: Response) -> Response:
    """A page opened with `?lang=` keeps that language for the pages after it."""
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        # Not httponly: the ticket page's own switch keeps the choice in it too (it is no secret).
        response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax")
    return response


def _(message: str) -> str:
    """Marks words said in every language at once (`every_language`) for the catalogues."""
    return message


COMMON_WORDS = {
    # The notice every page shows while the server cannot be reached (common.js counts the seconds down).
    "reconnecting": _("Reconnecting… trying again in {seconds} s"),
    # What a wait range means (common.js `explain`).
    "explainRange": _(
        "Most patients in your place are called within {low}–{high} minutes; 1 in 10 waits longer."
    ),
    "explainPastClose": _("The wait may run past closing time. Everyone already in line is still seen."),
    "explainNoStation": _("No station can do this service right now. Please ask at the front desk."),
    # A short range (common.js `rangeShort`).
    "anyMoment": _("any moment"),
    "minutesRange": _("{low}–{high} min"),
    # An API error in words (common.js `describeError`): the server's message, then what is allowed instead.
    "unreachable": _("The server cannot be reached. Check the connection and try again."),
    "failed": _("The request failed (HTTP {status})."),
    "allowedNow": _("Allowed now: {actions}."),
    "noneAllowed": _("No action is allowed on it now."),
    "act.call": _("call"),
    "act.recall": _("call again"),
    "act.start": _("start"),
    "act.complete": _("complete"),
    "act.no_show": _("no-show"),
    "act.requeue": _("put back in line"),
    "act.cancel": _("cancel"),
    "act.leave": _("leave"),
    "act.set_priority": _("set priority"),
    "act.mark_present": _("mark here"),
}
"""The words common.js says on every page, handed to it in every language (`common_words`)."""


def common_words() -> dict[str, dict[str, str]]:
    """COMMON_WORDS in every language schedq speaks: a script picks the page's (or shows several)."""
    return {
        code: {key: translations(code).gettext(message) for key, message in COMMON_WORDS.items()}
        for code in LANGUAGES
    }


def install(app: Flask) -> None:
    Babel(app, locale_selector=chosen_language)

    @app.context_processor
    def _languages() -> dict:
        language = current_language()
        return {
            "language": language,
            "other_languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES if code != language],
            "common_words": common_words(),
        }
