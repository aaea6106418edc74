"""Plain-language wait messages, in English and Spanish.

Ranges are rounded outward to whole 5 minutes (whole hours past two hours), so
"about 15–25 minutes" reads as a promise a person can hold the site to.
"""

from __future__ import annotations

import math

LANGUAGES = ("en", "es")

_TEXT = {
    "en": {
        "any_moment": "You will be called any moment now.",
        "under_five": "Less than 5 minutes.",
        "minutes": "About {lo}–{hi} minutes.",
        "up_to": "Up to {hi} minutes.",
        "hours": "About {lo}–{hi} hours.",
        "no_station": "No station can do this service right now. Please ask at the front desk.",
        "past_close_ticket": "The line runs past closing time; everyone in line is still seen.",
        "past_close_newcomer": "That runs past closing time; everyone who joins before the cut-off is still seen.",
        "walk_ins_closed": "Walk-ins are closed for now.",
    },
    "es": {
        "any_moment": "Lo llamarán en cualquier momento.",
        "under_five": "Menos de 5 minutos.",
        "minutes": "Entre {lo} y {hi} minutos aproximadamente.",
        "up_to": "Hasta {hi} minutos.",
        "hours": "Entre {lo} y {hi} horas aproximadamente.",
        "no_station": "Ninguna estación puede hacer este servicio ahora. Pregunte en recepción.",
        "past_close_ticket": "La fila pasa de la hora de cierre; se atiende a todos los que están en la fila.",
        "past_close_newcomer": "Eso pasa de la hora de cierre; se atiende a todos los que llegan antes del límite.",
        "walk_ins_closed": "No se reciben pacientes sin cita por ahora.",
    },
}


def wait_message(
    p10_minutes: float,
    p90_minutes: float,
    *,
    language: str = "en",
    runs_past_close: bool = False,
    no_station_can_serve: bool = False,
    newcomer: bool = False,
) -> str:
    """The range as a sentence, e.g. "About 15–25 minutes."."""
    text = _TEXT[language if language in _TEXT else "en"]
    if no_station_can_serve or not math.isfinite(p90_minutes):
        return text["no_station"]
    if p90_minutes < 2:
        sentence = text["any_moment"]
    elif p90_minutes <= 5:
        sentence = text["under_five"]
    elif p90_minutes <= 120:
        lo = 5 * math.floor(max(p10_minutes, 0) / 5)
        hi = max(5 * math.ceil(p90_minutes / 5), lo + 5)
        sentence = text["minutes" if lo > 0 else "up_to"].format(lo=lo, hi=hi)
    else:
        lo = math.floor(max(p10_minutes, 0) / 60)
        hi = max(math.ceil(p90_minutes / 60), lo + 1)
        sentence = text["hours"].format(lo=lo, hi=hi)
    if runs_past_close:
        sentence += " " + text["past_close_newcomer" if newcomer else "past_close_ticket"]
    return sentence


def walk_ins_closed(language: str = "en") -> str:
    return _TEXT[language if language in _TEXT else "en"]["walk_ins_closed"]


def messages(p10_minutes: float, p90_minutes: float, **flags: bool) -> dict[str, str]:
    """The message in every language schedq speaks."""
    return {lang: wait_message(p10_minutes, p90_minutes, language=lang, **flags) for lang in LANGUAGES}
