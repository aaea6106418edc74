"""Where the words of every language live, for the pages and for the messages sent to patients.

The gettext catalogues in `src/schedq/translations/` (README: "Languages")
are read by Flask-Babel for the pages, and by `notify.content` for the
messages the worker sends, which has no request to take a language from: so
the folder and the list of languages live here, free of Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

CATALOGUES = Path(__file__).parent / "translations"
# English is the words in the code; every other language is a catalogue: adding one adds a folder.
LANGUAGES = (
    "en",
    *sorted(p.name for p in CATALOGUES.iterdir() if (p / "LC_MESSAGES" / "messages.mo").exists()),
)


@cache
def translations(language: str) -> NullTranslations:
    """The words of `language` (English, the words in the code, for a language schedq does not speak)."""
    if language == LANGUAGES[0] or language not in LANGUAGES:
        return NullTranslations()
    return Translations.load(str(CATALOGUES), [language])


def localized(
    english: str, translations: Mapping[str, Mapping[str, str]] | None, field: str, language: str
) -> str:
    """A name set per language (a service's, a station's): `field` in `language`, else the English one."""
    return ((translations or {}).get(language) or {}).get(field) or english


def with_translations(
    kept: Mapping[str, Mapping[str, str]] | None, given: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """`kept` with the languages in `given` set to theirs: an empty one removes that language."""
    merged = {language: dict(words) for language, words in (kept or {}).items()}
    for language, words in given.items():
        said = {field: text for field, text in words.items() if text}
        if said:
            merged[language] = said
        else:
            merged.pop(language, None)
    return merged
