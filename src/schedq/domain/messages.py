"""Every wait and status message patients read, in every language schedq speaks.

The sentences are written here in English and marked for the gettext
catalogues (`src/schedq/translations/`, README: "Languages"), which hold
every other language; tests/test_translations.py checks that each language
has each sentence with the same placeholders. Ranges are rounded outward to whole 5
minutes (whole hours past two hours), so "about 15–25 minutes" reads as a
promise a person can hold the site to. People not in line (a newcomer) are
never told "you will be called"; when nobody waits they read "No wait right now."
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from schedq import catalogues

LANGUAGES = catalogues.LANGUAGES


def _(message: str) -> str:
    """Marks an English sentence for the catalogues (scripts/translations extracts it); said by `catalogue`."""
    return message


SENTENCES: dict[str, str] = {
    # A wait counted from now.
    "any_moment": _("You will be called any moment now."),
    "no_wait": _("No wait right now."),
    "under_five": _("Less than 5 minutes."),
    "minutes": _("About %(lo)s–%(hi)s minutes."),
    "up_to": _("Up to %(hi)s minutes."),
    "hours": _("About %(lo)s–%(hi)s hours."),
    # A wait counted from the site's (re)opening later today.
    "open_at": _("We open at %(time)s."),
    "reopen_at": _("We reopen at %(time)s."),
    "then_soon": _("Soon after that."),
    "then_under_five": _("Less than 5 minutes after that."),
    "then_minutes": _("About %(lo)s–%(hi)s minutes after that."),
    "then_up_to": _("Up to %(hi)s minutes after that."),
    "then_hours": _("About %(lo)s–%(hi)s hours after that."),
    # Said instead of, or after, a range.
    "no_station": _("No station can do this service right now. Please ask at the front desk."),
    "past_close_ticket": _("The line runs past closing time; everyone in line is still seen."),
    "past_close_newcomer": _(
        "That runs past closing time; everyone who joins before the cut-off is still seen."
    ),
    # The site's status, for people not in line.
    "status_open": _("Open now; walk-ins join until %(time)s."),
    "status_midday_break": _("Closed for a midday break until %(time)s."),
    "join_during_break": _("You can join the line now; the wait counts from %(time)s."),
    "status_opens_today": _("Opens today at %(time)s."),
    "status_opens_tomorrow": _("Opens tomorrow at %(time)s."),
    "status_opens_on_weekday": _("Opens on %(weekday)s at %(time)s."),
    "status_opens_on_date": _("Opens on %(date)s at %(time)s."),
    "status_closed_today": _("Closed today."),
    "status_closed_today_reason": _("Closed today (%(reason)s)."),
    "status_closed_by_staff": _("Closed for the day."),
    "status_no_more_walk_ins": _("No more walk-ins today: the line closed to new patients at %(time)s."),
    "status_no_hours": _("No opening hours are set."),
    # Said wherever a travel time is shown.
    "travel_note": _("Travel time is the straight-line distance at %(speed)s km/h."),
    "weekday_0": _("Monday"),
    "weekday_1": _("Tuesday"),
    "weekday_2": _("Wednesday"),
    "weekday_3": _("Thursday"),
    "weekday_4": _("Friday"),
    "weekday_5": _("Saturday"),
    "weekday_6": _("Sunday"),
}
"""Every sentence by its key, in English; the other languages are the gettext catalogues (README: Languages)."""


class Say(Protocol):
    """A catalogue's sentence `key`, its placeholders filled from `values`."""

    def __call__(self, key: str, /, **values: object) -> str: ...


def catalogue(language: str) -> Say:
    """`say(key, **values)`: the catalogue's sentence `key` in `language` (English when unknown)."""
    words = catalogues.translations(language)

    def say(key: str, /, **values: object) -> str:
        text = words.gettext(SENTENCES[key])
        return text % values if values else text

    return say


def every_language(key: str, /, **values: object) -> dict[str, str]:
    """The sentence `key` in every language schedq speaks."""
    return {language: catalogue(language)(key, **values) for language in LANGUAGES}


@dataclass(frozen=True, slots=True)
class CountedFrom:
    """A wait that cannot start before the site (re)opens later today."""

    time: str  # local wall time of the (re)opening, "13:00"
    minutes_away: float  # from now until then
    reopening: bool  # True after a midday break, False before the day's first opening


def wait_message(
    p10_minutes: float,
    p90_minutes: float,
    *,
    language: str = "en",
    runs_past_close: bool = False,
    no_station_can_serve: bool = False,
    newcomer: bool = False,
    counted_from: CountedFrom | None = None,
) -> str:
    """The range as a sentence, e.g. "About 15–25 minutes.".

    With `counted_from`, the range (minutes from now) is told from the
    (re)opening instead: "We reopen at 13:00. About 10–20 minutes after that."
    """
    say = catalogue(language)
    if no_station_can_serve or not math.isfinite(p90_minutes):
        return say("no_station")
    if counted_from is not None:
        shift = counted_from.minutes_away
        lead = say("reopen_at" if counted_from.reopening else "open_at", time=counted_from.time)
        sentence = (
            lead + " " + _range(say, max(p10_minutes - shift, 0.0), max(p90_minutes - shift, 0.0), then=True)
        )
    else:
        sentence = _range(say, p10_minutes, p90_minutes, newcomer=newcomer)
    if runs_past_close:
        sentence += " " + say("past_close_newcomer" if newcomer else "past_close_ticket")
    return sentence


def _range(
    say: Callable[..., str], p10: float, p90: float, *, newcomer: bool = False, then: bool = False
) -> str:
    prefix = "then_" if then else ""
    if p90 < 2:
        return say("then_soon" if then else "no_wait" if newcomer else "any_moment")
    if p90 <= 5:
        return say(prefix + "under_five")
    if p90 <= 120:
        lo = 5 * math.floor(max(p10, 0) / 5)
        hi = max(5 * math.ceil(p90 / 5), lo + 5)
        return say(prefix + ("minutes" if lo > 0 else "up_to"), lo=lo, hi=hi)
    lo = math.floor(max(p10, 0) / 60)
    hi = max(math.ceil(p90 / 60), lo + 1)
    return say(prefix + "hours", lo=lo, hi=hi)


def messages(p10_minutes: float, p90_minutes: float, **options: Any) -> dict[str, str]:
    """The message in every language schedq speaks."""
    return {lang: wait_message(p10_minutes, p90_minutes, language=lang, **options) for lang in LANGUAGES}
