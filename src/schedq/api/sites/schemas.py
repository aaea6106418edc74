from __future__ import annotations

from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email
from marshmallow import Schema, ValidationError, fields, validate
from phonenumbers import SUPPORTED_REGIONS

from schedq.api.fields import Code, Day, Number, StrictBoolean, TimeZone, WallTime, integer, name_text, text
from schedq.api.language import Translations
from schedq.catalogues import LANGUAGES
from schedq.domain import geo
from schedq.domain.contact import phone_for_people
from schedq.domain.enums import DisplayAnnounce

WEEKDAY = integer(
    required=True, validate=validate.Range(0, 6), metadata={"description": "0 = Monday … 6 = Sunday"}
)


def _known_country(value: str) -> None:
    if value not in SUPPORTED_REGIONS:
        raise ValidationError("not an ISO 3166 country code phone numbers are known for")


def _sender_address(value: str | None) -> None:
    """`Name <address>` or a bare address, its address a valid email (syntax only)."""
    if not value:
        return
    name, address = parseaddr(value)
    if not address or "\n" in value or "\r" in value:
        raise ValidationError("not an email sender: `Name <address>` or an address")
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(str(error)) from None


def _each_once(values: list[str]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("name each language once")


def _limit(description: str) -> fields.Integer:
    return integer(validate=validate.Range(1, 10_000), metadata={"description": description})


class SiteSettingsSchema(Schema):
    name = name_text(120)
    address = text(300)
    timezone = TimeZone()
    grace_minutes = integer(validate=validate.Range(0, 120))
    walk_in_cutoff_minutes = integer(
        validate=validate.Range(0, 240),
        metadata={"description": "walk-ins stop joining this many minutes before closing"},
    )
    sla_minutes = integer(validate=validate.Range(1, 240))
    sla_percent = integer(validate=validate.Range(1, 100))
    booking_horizon_days = integer(validate=validate.Range(1, 365))
    min_lead_minutes = integer(validate=validate.Range(0, 7 * 24 * 60))
    no_show_after_minutes = integer(
        validate=validate.Range(1, 120),
        metadata={"description": "a called patient who has not started after this long is marked no-show"},
    )
    walk_ins_during_closure = StrictBoolean(
        metadata={
            "description": "walk-ins may join during a midday closure, their wait counted from reopening (default false: refused until it ends)"
        }
    )
    country = fields.String(
        validate=_known_country,
        metadata={
            "description": "ISO 3166 country whose numbering reads phone numbers given without +country code (default US)",
            "example": "US",
            "pattern": "^[A-Z]{2}$",
        },
    )
    phone = text(
        40,
        allow_none=True,
        metadata={
            "description": "the number patients may call, kept in E.164 (read as a number of `country` when it has no +code); shown on every patient page",
            "example": "+12175550100",
        },
    )
    region = text(
        80,
        allow_none=True,
        metadata={
            "description": "the region the chain groups the site in (reports across sites: `GET /reports?region=`); empty or null: none",
            "example": "North",
        },
    )
    state = fields.String(
        allow_none=True,
        validate=validate.Regexp(
            r"^([A-Za-z0-9]{1,3})?$", error="a state or province code of 1 to 3 letters or digits, such as MA"
        ),
        metadata={
            "description": "the state or province the site is in, its ISO 3166-2 code without the country (MA, CA, ON); the bulk FHIR publication splits its files by it (README: FHIR and SMART Scheduling Links); kept in upper case; empty or null: none",
            "example": "MA",
        },
    )
    latitude = Number(
        allow_none=True,
        validate=validate.Range(-90, 90),
        metadata={
            "description": "WGS 84 degrees north; with `longitude`, places the site for patients looking for one near them"
        },
    )
    longitude = Number(
        allow_none=True,
        validate=validate.Range(-180, 180),
        metadata={"description": "WGS 84 degrees east; given with `latitude`"},
    )
    quiet_hours_start = WallTime(
        allow_none=True,
        metadata={
            "description": "local time from which no reminder or rating request is delivered until `quiet_hours_end` (README: Notifications)",
            "example": "21:00",
        },
    )
    quiet_hours_end = WallTime(
        allow_none=True,
        metadata={"description": "local time quiet hours end (may be the next morning)", "example": "08:00"},
    )
    reminder_hour = integer(
        validate=validate.Range(0, 23),
        metadata={
            "description": "local hour of the day before an appointment when its reminder is sent (default 18)"
        },
    )
    near_turn_position = integer(
        validate=validate.Range(1, 50),
        metadata={
            "description": "a patient is told their turn is near at this place in line or nearer (default 3)"
        },
    )
    email_from = fields.String(
        allow_none=True,
        validate=_sender_address,
        metadata={
            "description": "the site's own sender of emails (`Riverside Lab <riverside@lab.example>`); unset: the deployment's `SCHEDQ_SMTP_FROM`",
        },
    )
    sms_from = text(
        40,
        allow_none=True,
        metadata={
            "description": "the site's own SMS number (kept in E.164) or messaging service (`MG…`); unset: the deployment's `SCHEDQ_SMS_FROM`",
        },
    )
    bookings_per_contact_per_day = _limit(
        "bookings one phone or email may hold, made in the last 24 hours, at any site (default 3)"
    )
    bookings_per_address_per_hour = _limit(
        "bookings one client address may make at this site in an hour (default 10)"
    )
    remote_joins_per_contact_per_day = _limit(
        '"save my spot" joins one phone or email may make in 24 hours, at any site (default 2)'
    )
    remote_joins_per_address_per_hour = _limit(
        '"save my spot" joins one client address may make at this site in an hour (default 10)'
    )
    display_languages = fields.List(
        fields.String(validate=validate.OneOf(LANGUAGES)),
        validate=[validate.Length(min=1, max=len(LANGUAGES)), _each_once],
        metadata={
            "description": "the lobby display's languages, in order, each line said once in each (README: The lobby display; default en, es)",
            "example": ["en", "es"],
        },
    )
    display_announce = fields.String(
        validate=validate.OneOf([a.value for a in DisplayAnnounce]),
        metadata={
            "description": "what the lobby display does on each call: nothing more (off, the default), a chime, or a chime and the call spoken in each display language",
            "enum": [a.value for a in DisplayAnnounce],
        },
    )


class SitePostSchema(SiteSettingsSchema):
    slug = fields.String(
        required=True,
        validate=[
            validate.Length(min=2, max=64),
            validate.Regexp(r"^[a-z0-9][a-z0-9-]*$", error="lower-case letters, digits and dashes"),
        ],
    )
    name = name_text(120, required=True)
    timezone = TimeZone(required=True)


class SitePatchSchema(SiteSettingsSchema):
    pass


class HoursSchema(Schema):
    weekday = WEEKDAY
    opens = WallTime(required=True)
    closes = WallTime(required=True)


class HoursPutSchema(Schema):
    hours = fields.List(fields.Nested(HoursSchema), required=True, validate=validate.Length(max=70))


class ClosureSchema(Schema):
    day = Day(required=True)
    reason = text(200, load_default="")


class CapacityBlockSchema(Schema):
    weekday = WEEKDAY
    starts = WallTime(required=True)
    ends = WallTime(required=True)
    stations = integer(
        required=True,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "planned open stations"},
    )
    seats_per_slot = integer(
        required=True,
        validate=validate.Range(min=0, max=200),
        metadata={"description": "appointment seats in each slot (0: walk-ins only)"},
    )


class CapacityPlanSchema(Schema):
    slot_minutes = integer(required=True, validate=validate.Range(5, 240))
    blocks = fields.List(fields.Nested(CapacityBlockSchema), required=True, validate=validate.Length(max=200))


class CapacityPlanViewSchema(Schema):
    slot_minutes = fields.Integer()
    blocks = fields.List(fields.Nested(CapacityBlockSchema), attribute="capacity_blocks")


class StationPostSchema(Schema):
    name = name_text(60, required=True)
    services = fields.List(
        Code(),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "service codes this station can do"},
    )


class StationWordsSchema(Schema):
    """A station's name in one language, as the lobby and the ticket page say it ("Estación 1")."""

    name = name_text(60)


class StationPatchSchema(Schema):
    name = name_text(60)
    services = fields.List(Code(), validate=validate.Length(min=1, max=50))
    translations = Translations(StationWordsSchema)


class ServiceCodeSchema(Schema):
    code = fields.String()


class StationSchema(Schema):
    id = fields.Integer()
    site_id = fields.Integer()
    name = fields.String()
    translations = Translations(StationWordsSchema)
    state = fields.String(metadata={"enum": ["open", "paused", "closed"]})
    services = fields.Pluck(ServiceCodeSchema, "code", many=True)


class SiteSchema(SiteSettingsSchema):
    id = fields.Integer()
    map_link = fields.Function(
        lambda site: geo.map_link(site.latitude, site.longitude) if site.latitude is not None else None,
        allow_none=True,
        metadata={"description": "the site on OpenStreetMap (from `latitude` and `longitude`), for patients"},
    )
    phone_display = fields.Function(
        lambda site: phone_for_people(site.phone, site.country) if site.phone else None,
        allow_none=True,
        metadata={"description": "`phone` as people of the site's country write it, e.g. (217) 555-0100"},
    )
    slug = fields.String()
    slot_minutes = fields.Integer()
    hours = fields.List(fields.Nested(HoursSchema))
    closures = fields.List(fields.Nested(ClosureSchema))
    stations = fields.List(fields.Nested(StationSchema))
