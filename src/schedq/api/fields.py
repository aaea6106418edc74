"""Fields shared by the resource schemas, with the input rules of README.md ("Input rules").

Request bodies take JSON types as they are: a boolean is `true` or `false`
(never `0` or `"yes"`), an integer is a whole number (never `15.7` or
`"15"`), a number is not a string. Text is trimmed; names must keep at least
one character; no text may hold control characters (free text may hold line
breaks and tabs) nor the bidirectional controls U+202A–U+202E and
U+2066–U+2069, which could make a name read backwards on the staff console.
Dates and instants lie between `EARLIEST_DAY` and `LATEST_DAY`; ids between 1
and `MAX_ID` (the database's integer keys).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validate

from schedq.domain import schedule

WALL_TIME = "%H:%M"

MAX_ID = 2**31 - 1
"""The largest id: integer keys are 32-bit on PostgreSQL."""

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\r\t")

NAME_PATTERN = r"\S"
"""What the OpenAPI document says of a name: it holds something besides spaces."""


def refusal(value: str, *, multiline: bool) -> str | None:
    """Why `value` is not acceptable text (None when it is)."""
    for character in value:
        category = unicodedata.category(character)
        if category == "Cs":
            return "must not hold a lone surrogate (not valid Unicode)"
        if character in BIDI_CONTROLS:
            return f"must not hold the bidirectional control U+{ord(character):04X}"
        if category == "Cc" and not (multiline and character in LINE_BREAKS):
            return f"must not hold the control character U+{ord(character):04X}"
    return None


class Text(fields.String):
    """Trimmed text with a length limit (oversized text is refused, not cut), checked by `refusal`.

    `blank=False` (names) refuses text that is empty once trimmed.
    """

    def __init__(self, max_length: int, *, blank: bool = True, multiline: bool = False, **kwargs) -> None:
        metadata = dict(kwargs.pop("metadata", {}))
        if not blank:
            metadata.setdefault("pattern", NAME_PATTERN)
        super().__init__(validate=validate.Length(max=max_length), metadata=metadata, **kwargs)
        self.blank = blank
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        reason = refusal(text, multiline=self.multiline)
        if reason is not None:
            raise ValidationError(reason)
        if not self.blank and not text:
            raise ValidationError("must not be empty or only spaces")
        return text


def text(max_length: int, *, required: bool = False, **kwargs) -> Text:
    """Free text (address, reason, preparation): trimmed, may be empty."""
    return Text(max_length, required=required, **kwargs)


def name_text(max_length: int, *, required: bool = False, **kwargs) -> Text:
    """A name: trimmed, one line, never empty or only spaces."""
    return Text(max_length, blank=False, required=required, **kwargs)


class Code(fields.String):
    """A service code as the catalogue writes it: upper-case letters, digits and underscores."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            validate=[
                validate.Length(min=1, max=16),
                validate.Regexp(r"^[A-Z][A-Z0-9_]*$", error="upper-case letters, digits and underscores"),
            ],
            **kwargs,
        )


class StrictBoolean(fields.Boolean):
    """`true` or `false` only."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def integer(**kwargs) -> fields.Integer:
    """A whole number as a JSON number (not `15.7`, `15.0`, `"15"` or `true`)."""
    return fields.Integer(strict=True, **kwargs)


class Number(fields.Float):
    """A JSON number (not a string or a boolean)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


def ident(**kwargs) -> fields.Integer:
    """An id in a request body: 1 to `MAX_ID`."""
    return integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class Day(fields.Date):
    """A date between `EARLIEST_DAY` and `LATEST_DAY`."""

    def __init__(self, **kwargs) -> None:
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("description", "")
        metadata["description"] = _with_range(metadata["description"])
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        check_day(day)
        return day


class Instant(fields.AwareDateTime):
    """An instant with its offset, on a date between `EARLIEST_DAY` and `LATEST_DAY`."""

    def __init__(self, **kwargs) -> None:
        metadata = dict(kwargs.pop("metadata", {}))
        metadata["description"] = _with_range(metadata.get("description", "with its offset"))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        instant = super()._deserialize(value, attr, data, **kwargs)
        check_day(instant.date())
        return instant


def check_day(day: date) -> None:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(f"must lie between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}")


def _with_range(description: str) -> str:
    bounds = f"{EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"
    return f"{description} ({bounds})" if description else bounds


class TimeZone(fields.String):
    """An IANA time zone a site can be in (not `localtime`, `Factory` or `posixrules`)."""

    def __init__(self, **kwargs) -> None:
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("example", "America/Chicago")
        metadata.setdefault(
            "description", "an IANA time zone, e.g. America/Chicago (not localtime, Factory or posixrules)"
        )
        super().__init__(validate=validate.Length(min=1, max=64), metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        zone_name = super()._deserialize(value, attr, data, **kwargs)
        if not schedule.is_site_zone(zone_name):
            raise ValidationError(f"unknown IANA timezone {zone_name!r}")
        return zone_name


class WallTime(fields.Time):
    """Local wall time as HH:MM."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format=WALL_TIME, **kwargs)


class LocalDateTime(fields.DateTime):
    """An instant shown in the site's time zone, with its offset.

    `zone_from` names the attribute path on the dumped object that holds the
    IANA zone name, e.g. "site.timezone".
    """

    def __init__(self, zone_from: str = "site.timezone", **kwargs) -> None:
        super().__init__(**kwargs)
        self.zone_from = zone_from

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        if value is None:
            return None
        zone_name = obj
        for part in self.zone_from.split("."):
            zone_name = zone_name[part] if isinstance(zone_name, dict) else getattr(zone_name, part)
        return value.astimezone(ZoneInfo(zone_name)).isoformat()
