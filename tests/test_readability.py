"""Every catalogue reads at about grade 6 or below (README: Languages, "Plain words").

The sentences of each catalogue (its words that end a sentence: ".", "?",
"!"; labels and headings are too short to measure) are read as one text, each
placeholder standing for a short word. English is held to a Flesch-Kincaid
grade of at most 6; Spanish, where that formula does not fit, to a
Fernández-Huerta score of at least 70 (the Flesch reading ease for Spanish:
70 is "fairly easy", about grade 6).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

textstat = pytest.importorskip("textstat")

CATALOGUES = Path(__file__).parents[1] / "src" / "schedq" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
SENTENCE_END = re.compile(r"[.?!]$")


def sentences(language: str) -> str:
    """The catalogue's sentences in `language` ("en": the words they translate) as one text."""
    path = (
        CATALOGUES / "messages.pot"
        if language == "en"
        else CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    )
    with path.open("rb") as file:
        catalogue = read_po(file)
    said = []
    for message in catalogue:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[-1]
        if not SENTENCE_END.search(english.strip()):
            continue
        text = english if language == "en" else message.string
        text = text if isinstance(text, str) else text[-1]
        said.append(PLACEHOLDER.sub("ten" if language == "en" else "diez", text))
    assert len(said) > 100, "the catalogue's sentences were not found"
    return " ".join(said)


def test_the_english_words_read_at_grade_6_or_below():
    textstat.set_lang("en")
    assert textstat.flesch_kincaid_grade(sentences("en")) <= 6


def test_the_spanish_words_read_at_about_grade_6_or_below():
    textstat.set_lang("es")
    assert textstat.fernandez_huerta(sentences("es")) >= 70
