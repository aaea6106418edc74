from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schedq.api.fields import Code, Day, Instant, LocalDateTime, StrictBoolean, name_text, text
from schedq.api.language import chosen_language
from schedq.domain.contact import normal_email
from schedq.domain.errors import InvalidInput


class SlotQueryArgsSchema(Schema):
    service = Code(required=True, metadata={"example": "DRAW"})
    from_ = Day(required=True, data_key="from", metadata={"description": "first local date"})
    to = Day(metadata={"description": "last local date (default: from)"})


class SlotSchema(Schema):
    starts_at = LocalDateTime(zone_from="timezone")
    ends_at = LocalDateTime(zone_from="timezone")
    seats = fields.Integer()
    remaining = fields.Integer()


class SlotListSchema(Schema):
    site_id = fields.Integer()
    timezone = fields.String()
    service = fields.String()
    slots = fields.List(fields.Nested(SlotSchema))


def _email_syntax(value: str) -> None:
    try:
        normal_email(value)
    except InvalidInput as error:
        raise ValidationError(error.message) from None


class ContactSchema(Schema):
    """How to reach the patient: a name, and a phone number or an email (or both)."""

    OPENAPI_EXTRA = {"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}

    name = name_text(120, required=True)
    phone = fields.String(
        validate=validate.Length(max=32),
        metadata={
            "description": "any common way of writing it; without +country code it is read as a number of the site's country. Kept in E.164 (+12015550123)",
            "example": "+1 201 555 0123",
        },
    )
    email = fields.String(
        validate=[validate.Length(max=254), _email_syntax],
        metadata={
            "description": "checked for syntax only; kept normalised and lower-cased",
            "format": "email",
        },
    )

    @validates_schema
    def _reachable(self, data, **kwargs):
        if not data.get("phone") and not data.get("email"):
            raise ValidationError("give a phone number or an email", field_name="phone")


OPT_IN_NOTE = "messages are delivered by `schedq worker` (README: Notifications)"
MESSAGE_LANGUAGES = ("en", "es")


class OptInsSchema(Schema):
    """The messages the patient agrees to, and their language; each opt-in needs its address in `contact`."""

    notify_sms = StrictBoolean(
        load_default=False,
        metadata={"description": f"the patient agrees to text messages at `contact.phone`; {OPT_IN_NOTE}"},
    )
    notify_email = StrictBoolean(
        load_default=False,
        metadata={"description": f"the patient agrees to email messages at `contact.email`; {OPT_IN_NOTE}"},
    )
    language = fields.String(
        load_default="en",
        validate=validate.OneOf(MESSAGE_LANGUAGES),
        metadata={"description": "the language of the patient's messages"},
    )

    @validates_schema
    def _opt_ins_have_an_address(self, data, **kwargs):
        contact = data.get("contact") or {}
        if data.get("notify_sms") and not contact.get("phone"):
            raise ValidationError("text messages need a phone number", field_name="notify_sms")
        if data.get("notify_email") and not contact.get("email"):
            raise ValidationError("email messages need an email", field_name="notify_email")


class AppointmentPostSchema(OptInsSchema):
    service = Code(required=True, metadata={"example": "DRAW"})
    starts_at = Instant(required=True, metadata={"description": "slot start, with its offset"})
    contact = fields.Nested(ContactSchema, required=True)


class AppointmentCancelPostSchema(Schema):
    reason = text(
        500,
        metadata={
            "description": "why the patient cancels, in their words (optional; the body may be left out)",
            "example": "The time does not suit me: I have to work",
        },
    )


class ReschedulePostSchema(Schema):
    starts_at = Instant(required=True, metadata={"description": "the new slot's start, with its offset"})


class AppointmentSchema(Schema):
    reference = fields.String()
    site_id = fields.Integer()
    site_name = fields.String(attribute="site.name")
    site_address = fields.String(attribute="site.address")
    service = fields.String(attribute="service.code")
    service_name = fields.Function(
        lambda a: a.service.name_in(chosen_language()), metadata={"type": "string"}
    )
    preparation = fields.Function(
        lambda a: a.service.preparation_in(chosen_language()), metadata={"type": "string"}
    )
    starts_at = LocalDateTime()
    status = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    notify_sms = fields.Boolean(metadata={"description": f"agreed to text messages; {OPT_IN_NOTE}"})
    notify_email = fields.Boolean(metadata={"description": f"agreed to email messages; {OPT_IN_NOTE}"})
    language = fields.String(metadata={"description": "the language of the patient's messages"})
    cancel_reason = fields.String(
        allow_none=True, metadata={"description": "why the patient cancelled, when they said"}
    )


class BookingSchema(AppointmentSchema):
    manage_token = fields.String(
        metadata={"description": "the patient's secret: keep it to view, reschedule or cancel"}
    )


class DayQueryArgsSchema(Schema):
    date = Day(required=True, metadata={"description": "local date"})
