"""The pages' catalogues are complete and current, and a page speaks the language asked of it (README: Languages)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from schedq.web.i18n import COOKIE, LANGUAGES

ROOT = Path(__file__).parents[1]
CATALOGUES = ROOT / "src" / "schedq" / "translations"
TRANSLATED = [language for language in LANGUAGES if language != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def catalogue(language: str):
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file)


def ids(messages) -> set:
    return {m.id for m in messages if m.id}


def test_the_template_holds_every_word_the_pages_mark(tmp_path):
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel", "-q", "extract", "-F", str(CATALOGUES / "babel.cfg"), "-o", str(fresh),
            "--no-location", "--omit-header", str(ROOT),
        ]
    )  # fmt: skip
    with fresh.open("rb") as file:
        marked = ids(read_po(file))
    with (CATALOGUES / "messages.pot").open("rb") as file:
        kept = ids(read_po(file))
    assert marked - kept == set(), "words marked but not extracted: run scripts/translations"
    assert kept - marked == set(), "words extracted that nothing marks now: run scripts/translations"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_word_is_translated_with_the_same_placeholders(language):
    with (CATALOGUES / "messages.pot").open("rb") as file:
        wanted = ids(read_po(file))
    kept = {m.id: m for m in catalogue(language) if m.id}
    assert wanted - set(kept) == set(), (
        f"{language} lacks these words: run scripts/translations and translate"
    )
    for msgid in wanted:
        message = kept[msgid]
        assert not message.fuzzy, f"{language}: {msgid!r} is marked fuzzy"
        sources = msgid if isinstance(msgid, tuple) else (msgid,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            assert string.strip(), f"{language}: {msgid!r} is not translated"
            assert placeholders(string) == placeholders(sources[-1]), (
                f"{language}: {msgid!r} placeholders differ"
            )


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_one_written(language):
    def same_form(value):  # a plural's forms come as a list from the .mo, a tuple from the .po
        return tuple(value) if isinstance(value, list | tuple) else value

    with (CATALOGUES / language / "LC_MESSAGES" / "messages.mo").open("rb") as file:
        compiled = {same_form(m.id): same_form(m.string) for m in read_mo(file) if m.id}
    written = {same_form(m.id): same_form(m.string) for m in catalogue(language) if m.id and not m.fuzzy}
    assert compiled == written, "messages.mo is stale: run scripts/translations compile"


def test_a_page_speaks_the_language_asked_and_remembers_it(client, site):
    english = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Find a collection site" in english.get_data(as_text=True)

    spanish = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert '<html lang="es">' in spanish.get_data(as_text=True)
    assert "Buscar un centro de toma de muestras" in spanish.get_data(as_text=True)

    switched = client.get("/?lang=es", headers={"Accept-Language": "en"})
    assert "Buscar un centro" in switched.get_data(as_text=True)
    assert f"{COOKIE}=es" in switched.headers["Set-Cookie"]
    later = client.get(f"/sites/{site.site_id}", headers={"Accept-Language": "en"})
    assert '<html lang="es">' in later.get_data(as_text=True), "the switch is remembered on the next page"


def test_the_spanish_avoids_the_phrases_a_review_found_wrong_or_stiff():
    found_wrong = ["son llamados", "antes que usted", "hacer este servicio", "antes del límite"]
    for message in catalogue("es"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            assert not [p for p in found_wrong if p in string], f"{message.id!r} reads {string!r}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_different_words_never_read_the_same(language):
    """Two headings that mean different things in English ("Your spot is saved", "On your way") stay apart."""
    seen: dict[str, str] = {}
    for message in catalogue(language):
        if not message.id or not isinstance(message.string, str):
            continue
        other = seen.setdefault(message.string.casefold(), message.id)
        # The same English word capitalised ("Call", "call") is the same word.
        assert other.casefold() == message.id.casefold(), (
            f"{language}: {other!r} and {message.id!r} both read {message.string!r}"
        )
