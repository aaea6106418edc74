"""Where the words of every language live, for the pages and for the messages sent to patients.

The gettext catalogues in `src/schedq/translations/` (README: "Languages")
are read by Flask-Babel for the pages, and by `notify.content` for the
messages the worker sends, which has no request to take a language from: so
the folder and the list of languages live here, free of Flask.
"""

from __future__ import annotations

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
