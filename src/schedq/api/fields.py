"""Fields shared by the resource schemas."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from marshmallow import fields, validate

WALL_TIME = "%H:%M"


def text(max_length: int, *, required: bool = False, **kwargs) -> fields.String:
    """A trimmed string with a length limit (oversized fields are refused, not cut)."""
    minimum = 1 if required else 0
    return fields.String(required=required, validate=validate.Length(min=minimum, max=max_length), **kwargs)


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
