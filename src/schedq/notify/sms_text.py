"""How long an SMS is, in the segments a carrier bills, and how a text is made to fit.

A text is sent in the GSM 03.38 alphabet (7 bits: 160 characters in one
segment, 153 per segment past one; `^{}[]~|\\€` take two) when every character
is in it, else in UCS-2 (70 characters, 67 per segment past one; a character
beyond the Basic Multilingual Plane takes two). A patient's SMS stays within
two segments (README: "Messages"): written with its accents when that fits;
else with the accents GSM lacks folded to their letter (Spanish á í ó ú lose
the accent, é and ñ keep it) and typographic dashes, quotes and spaces made
plain; else with the site's name shortened.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

MAX_SEGMENTS = 2

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
PLAIN = {
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space (CLDR puts one before "AM")
    "\u2009": " ",
    "\u2013": "-",  # en dash, as in "15–25"
    "\u2014": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
}


def is_gsm(text: str) -> bool:
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def segments(text: str) -> int:
    """How many segments `text` is sent in."""
    if is_gsm(text):
        units, single, multi = sum(2 if ch in GSM_EXTENSION else 1 for ch in text), 160, 153
    else:
        units, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def folded(text: str) -> str:
    """`text` with what GSM lacks made plain where a plain form exists (others are kept)."""
    out = []
    for ch in text:
        ch = PLAIN.get(ch, ch)
        if len(ch) == 1 and ch not in GSM_BASIC and ch not in GSM_EXTENSION:
            base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
            ch = base if base and is_gsm(base) else ch
        out.append(ch)
    return "".join(out)


def fitted(render: Callable[[str], str], site_name: str) -> str:
    """The first of: `render(site_name)`, folded, then with the site's name cut short, that fits."""
    text = render(site_name)
    if segments(text) <= MAX_SEGMENTS:
        return text
    text = folded(text)
    name = folded(site_name)
    while segments(text) > MAX_SEGMENTS and len(name) > 1:
        name = name[:-1]
        text = folded(render(name.rstrip() + "..."))
    return text
