"""Every wait and status message patients read, in English and Spanish, from one catalogue.

Each key means the same thing in every language and takes the same
placeholders (a test checks both). Ranges are rounded outward to whole 5
minutes (whole hours past two hours), so "about 15–25 minutes" reads as a
promise a person can hold the site to. People not in line (a newcomer) are
never told "you will be called"; when nobody waits they read "No wait right now."
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

LANGUAGES = ("en", "es")

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        # A wait counted from now.
        "any_moment": "You will be called any moment now.",
        "no_wait": "No wait right now.",
        "under_five": "Less than 5 minutes.",
        "minutes": "About {lo}–{hi} minutes.",
        "up_to": "Up to {hi} minutes.",
        "hours": "About {lo}–{hi} hours.",
        # A wait counted from the site's (re)opening later today.
        "open_at": "We open at {time}.",
        "reopen_at": "We reopen at {time}.",
        "then_soon": "Soon after that.",
        "then_under_five": "Less than 5 minutes after that.",
        "then_minutes": "About {lo}–{hi} minutes after that.",
        "then_up_to": "Up to {hi} minutes after that.",
        "then_hours": "About {lo}–{hi} hours after that.",
        # Said instead of, or after, a range.
        "no_station": "No station can do this service right now. Please ask at the front desk.",
        "past_close_ticket": "The line runs past closing time; everyone in line is still seen.",
        "past_close_newcomer": "That runs past closing time; everyone who joins before the cut-off is still seen.",
        # The site's status, for people not in line.
        "status_open": "Open now; walk-ins join until {time}.",
        "status_midday_break": "Closed for a midday break until {time}.",
        "join_during_break": "You can join the line now; the wait counts from {time}.",
        "status_opens_today": "Opens today at {time}.",
        "status_opens_tomorrow": "Opens tomorrow at {time}.",
        "status_opens_on_weekday": "Opens on {weekday} at {time}.",
        "status_opens_on_date": "Opens on {date} at {time}.",
        "status_closed_today": "Closed today.",
        "status_closed_today_reason": "Closed today ({reason}).",
        "status_closed_by_staff": "Closed for the day.",
        "status_no_more_walk_ins": "No more walk-ins today: the line closed to new patients at {time}.",
        "status_no_hours": "No opening hours are set.",
        "weekday_0": "Monday",
        "weekday_1": "Tuesday",
        "weekday_2": "Wednesday",
        "weekday_3": "Thursday",
        "weekday_4": "Friday",
        "weekday_5": "Saturday",
        "weekday_6": "Sunday",
    },
    "es": {
        "any_moment": "Lo llamarán en cualquier momento.",
        "no_wait": "Ahora no hay espera.",
        "under_five": "Menos de 5 minutos.",
        "minutes": "Entre {lo} y {hi} minutos aproximadamente.",
        "up_to": "Hasta {hi} minutos.",
        "hours": "Entre {lo} y {hi} horas aproximadamente.",
        "open_at": "Abrimos a las {time}.",
        "reopen_at": "Reabrimos a las {time}.",
        "then_soon": "Poco después de esa hora.",
        "then_under_five": "Menos de 5 minutos después de esa hora.",
        "then_minutes": "Entre {lo} y {hi} minutos después de esa hora, aproximadamente.",
        "then_up_to": "Hasta {hi} minutos después de esa hora.",
        "then_hours": "Entre {lo} y {hi} horas después de esa hora, aproximadamente.",
        "no_station": "Ninguna estación puede hacer este servicio ahora. Pregunte en recepción.",
        "past_close_ticket": "La fila pasa de la hora de cierre; se atiende a todos los que están en la fila.",
        "past_close_newcomer": "Eso pasa de la hora de cierre; se atiende a todos los que llegan antes del límite.",
        "status_open": "Abierto; se reciben pacientes sin cita hasta las {time}.",
        "status_midday_break": "Cerrado por el descanso del mediodía hasta las {time}.",
        "join_during_break": "Puede unirse a la fila ahora; la espera cuenta desde las {time}.",
        "status_opens_today": "Abre hoy a las {time}.",
        "status_opens_tomorrow": "Abre mañana a las {time}.",
        "status_opens_on_weekday": "Abre el {weekday} a las {time}.",
        "status_opens_on_date": "Abre el {date} a las {time}.",
        "status_closed_today": "Cerrado hoy.",
        "status_closed_today_reason": "Cerrado hoy ({reason}).",
        "status_closed_by_staff": "Cerrado por hoy.",
        "status_no_more_walk_ins": "Hoy no se reciben más pacientes sin cita: la fila se cerró a nuevos pacientes a las {time}.",
        "status_no_hours": "No hay horario de atención.",
        "weekday_0": "lunes",
        "weekday_1": "martes",
        "weekday_2": "miércoles",
        "weekday_3": "jueves",
        "weekday_4": "viernes",
        "weekday_5": "sábado",
        "weekday_6": "domingo",
    },
}


class Say(Protocol):
    """A catalogue's sentence `key`, its placeholders filled from `values`."""

    def __call__(self, key: str, /, **values: object) -> str: ...


def catalogue(language: str) -> Say:
    """`say(key, **values)`: the catalogue's sentence `key` in `language` (English when unknown)."""
    text = CATALOGUE[language if language in CATALOGUE else LANGUAGES[0]]

    def say(key: str, /, **values: object) -> str:
        return text[key].format(**values)

    return say


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
