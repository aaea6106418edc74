"""Wait ranges told in plain words."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedq.domain.messages import LANGUAGES, SENTENCES, catalogue, messages, wait_message


@pytest.mark.parametrize(
    "p10, p90, english",
    [
        (0.0, 1.0, "You will be called any moment now."),
        (1.0, 4.5, "Less than 5 minutes."),
        (16.2, 23.9, "About 15–25 minutes."),
        (12.0, 13.0, "About 10–15 minutes."),
        (3.0, 9.0, "Up to 10 minutes."),
        (95.0, 170.0, "About 1–3 hours."),
    ],
)
def test_range_is_rounded_outward_to_plain_words(p10, p90, english):
    assert wait_message(p10, p90) == english


def test_spanish_says_the_same_range():
    assert wait_message(16.2, 23.9, language="es") == "De 15 a 25 minutos, más o menos."


def test_no_station_is_said_plainly_instead_of_a_time():
    for words in messages(5, math.inf, no_station_can_serve=True).values():
        assert "minut" not in words


def test_running_past_closing_is_said():
    assert "past closing" in wait_message(30, 80, runs_past_close=True)
    assert "cierre" in wait_message(30, 80, runs_past_close=True, language="es")


@given(p10=st.floats(0, 500), width=st.floats(0, 500))
def test_the_words_never_promise_less_than_the_range(p10, width):
    import re

    p90 = p10 + width
    numbers = [int(n) for n in re.findall(r"\d+", wait_message(p10, p90))]
    if "hours" in wait_message(p10, p90):
        assert numbers[0] * 60 <= p10 + 1e-9 and numbers[1] * 60 >= p90
    elif wait_message(p10, p90).startswith("About"):
        assert numbers[0] <= p10 + 1e-9 and numbers[1] >= p90
    elif wait_message(p10, p90).startswith("Up to"):
        assert p10 < 5 and numbers[0] >= p90
    elif numbers:
        assert numbers == [5] and p90 <= 5


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_sentence_is_said_in_each_catalogue_language(language):
    say = catalogue(language)
    for key, english in SENTENCES.items():
        values = {
            "lo": 10,
            "hi": 20,
            "time": "13:00",
            "weekday": "X",
            "date": "D",
            "reason": "R",
            "speed": 30,
        }
        assert say(key, **values) != english % values, (language, key)


def test_people_not_in_line_are_never_told_they_will_be_called():
    for p10, p90 in [(0.0, 0.0), (0.0, 1.0), (1.0, 4.0), (10.0, 20.0), (90.0, 200.0)]:
        for words in messages(p10, p90, newcomer=True).values():
            assert "called" not in words and "llamar" not in words
    assert messages(0.0, 1.0, newcomer=True) == {"en": "No wait right now.", "es": "Ahora no hay espera."}


def test_a_wait_during_a_closure_counts_from_reopening_and_says_so():
    from schedq.domain.messages import CountedFrom

    told = messages(
        66.0, 76.0, newcomer=True, counted_from=CountedFrom(time="13:00", minutes_away=56.0, reopening=True)
    )
    assert told == {
        "en": "We reopen at 13:00. About 10–20 minutes after that.",
        "es": "Volvemos a abrir a las 13:00. De 10 a 20 minutos después, más o menos.",
    }
